package ai.tessera.core.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Hands out the blocks of the paged KV cache to requests and keeps the prefix cache.
 *
 * <p>Each request holds a block table (its blocks in order). A full block whose KV is computed is registered
 * under a hash of its parent block's hash and its token ids, so a later request whose prompt starts with the
 * same tokens takes the same blocks (reference counted) instead of recomputing them. Freed blocks go to a free
 * queue; cached ones stay findable there until they are taken for new data, least recently freed first.
 *
 * <p>Blocks are registered when the step that computes them is scheduled: every attention backend writes a
 * step's keys and values before it attends, so a request scheduled later in the same step can already use them.
 * Not thread-safe: only the engine thread uses it.
 */
final class BlockManager {
    private final int blockSize;
    private final KvBlock[] blocks;
    private final FreeBlockQueue free = new FreeBlockQueue();
    private final Map<Long, KvBlock> cachedByHash = new HashMap<>();
    private final boolean prefixCaching;
    private long prefixQueryTokens;
    private long prefixHitTokens;

    BlockManager(int numBlocks, int blockSize, boolean prefixCaching) {
        if (numBlocks <= 0 || blockSize <= 0) {
            throw new IllegalArgumentException("need positive numBlocks and blockSize, got " + numBlocks + " and "
                    + blockSize);
        }
        this.blockSize = blockSize;
        this.prefixCaching = prefixCaching;
        this.blocks = new KvBlock[numBlocks];
        for (int i = 0; i < numBlocks; i++) {
            blocks[i] = new KvBlock(i);
            free.pushBack(blocks[i]);
        }
    }

    int blockSize() {
        return blockSize;
    }

    int numBlocks() {
        return blocks.length;
    }

    /** Blocks no request holds (cached ones that may still be reused included). */
    int freeBlocks() {
        return free.size();
    }

    /** Blocks registered in the prefix cache, held or free. */
    int cachedBlocks() {
        return cachedByHash.size();
    }

    /** Prompt tokens looked up in the prefix cache so far. */
    long prefixQueryTokens() {
        return prefixQueryTokens;
    }

    /** Of {@link #prefixQueryTokens()}, those found (their KV reused). */
    long prefixHitTokens() {
        return prefixHitTokens;
    }

    /** Blocks needed to hold {@code tokens} tokens. */
    int blocksFor(int tokens) {
        return (tokens + blockSize - 1) / blockSize;
    }

    /**
     * The cached blocks that hold the start of the request's tokens, stopping before its last token (whose logits
     * must be computed). Takes no references; pass the result to {@link #allocate}.
     */
    List<KvBlock> findCachedPrefix(RequestState r) {
        if (!prefixCaching || r.longSequence) {
            return List.of();
        }
        List<KvBlock> hit = new ArrayList<>();
        int maxBlocks = (r.numTokens() - 1) / blockSize;
        long parent = 0;
        for (int i = 0; i < maxBlocks; i++) {
            long hash = r.blockHash(i, blockSize);
            KvBlock b = cachedByHash.get(hash);
            if (b == null || b.parentHash != parent || !Arrays.equals(b.tokens, r.tokenRange(i * blockSize, blockSize))) {
                break;
            }
            hit.add(b);
            parent = hash;
        }
        return hit;
    }

    /** Counts a prompt's lookup for the hit-rate statistics, once per admission. */
    void recordLookup(int queryTokens, int hitTokens) {
        prefixQueryTokens += queryTokens;
        prefixHitTokens += hitTokens;
    }

    /**
     * Gives the request room for {@code numNewTokens} more tokens after those it has computed, first taking
     * {@code cachedPrefix} (from {@link #findCachedPrefix}, only when the request holds no blocks yet), and
     * registers the blocks those tokens fill in the prefix cache.
     *
     * @return false, changing nothing, when too few blocks are free
     */
    boolean allocate(RequestState r, List<KvBlock> cachedPrefix, int numNewTokens) {
        if (!cachedPrefix.isEmpty() && !r.blocks.isEmpty()) {
            throw new IllegalStateException("request " + r.id + " already holds " + r.blocks.size()
                    + " blocks; a cached prefix is only taken on admission");
        }
        int computed = cachedPrefix.isEmpty() ? r.numComputed : cachedPrefix.size() * blockSize;
        int held = r.blocks.size() + cachedPrefix.size();
        int needed = Math.max(0, blocksFor(computed + numNewTokens) - held);
        int prefixFromFree = 0;
        for (KvBlock b : cachedPrefix) {
            if (b.refCount == 0) {
                prefixFromFree++;
            }
        }
        if (needed + prefixFromFree > free.size()) {
            return false;
        }
        for (KvBlock b : cachedPrefix) {
            if (b.refCount == 0) {
                free.remove(b);
            }
            b.refCount++;
            r.blocks.add(b);
        }
        r.numCachedBlocks = Math.max(r.numCachedBlocks, cachedPrefix.size());
        for (int i = 0; i < needed; i++) {
            KvBlock b = free.popFront();
            if (b.cached) {
                evict(b);
            }
            b.refCount = 1;
            r.blocks.add(b);
        }
        registerFullBlocks(r, computed + numNewTokens);
        return true;
    }

    /** Registers the request's blocks that {@code tokens} tokens fill completely. */
    private void registerFullBlocks(RequestState r, int tokens) {
        if (!prefixCaching || r.longSequence) {
            return;
        }
        int full = tokens / blockSize;
        for (int i = r.numCachedBlocks; i < full; i++) {
            KvBlock b = r.blocks.get(i);
            long hash = r.blockHash(i, blockSize);
            if (!b.cached && !cachedByHash.containsKey(hash)) {
                b.cached = true;
                b.hash = hash;
                b.parentHash = i == 0 ? 0 : r.blockHash(i - 1, blockSize);
                b.tokens = r.tokenRange(i * blockSize, blockSize);
                cachedByHash.put(hash, b);
            }
        }
        r.numCachedBlocks = Math.max(r.numCachedBlocks, full);
    }

    private void evict(KvBlock b) {
        cachedByHash.remove(b.hash, b);
        b.cached = false;
        b.tokens = null;
    }

    /**
     * Releases the request's blocks. Its last blocks go into the free queue first, so that its prefix, the part
     * most likely shared, is evicted last.
     */
    void free(RequestState r) {
        for (int i = r.blocks.size() - 1; i >= 0; i--) {
            KvBlock b = r.blocks.get(i);
            if (b.refCount <= 0) {
                throw new IllegalStateException("request " + r.id + " frees " + b + " which has no references");
            }
            if (--b.refCount == 0) {
                if (b.cached) {
                    free.pushBack(b);
                } else {
                    free.pushFront(b);
                }
            }
        }
        r.blocks.clear();
        r.numCachedBlocks = 0;
    }

    /**
     * Forgets every cached block, e.g. after a failed step whose blocks were registered but never written.
     * Blocks in use stay with their requests.
     */
    void resetPrefixCache() {
        for (KvBlock b : new ArrayList<>(cachedByHash.values())) {
            evict(b);
        }
    }
}
