package ai.tessera.core.engine;

/**
 * One block of the paged KV cache as the {@link BlockManager} tracks it: who uses it, and, once full and
 * computed, which tokens it holds (so later requests with the same prefix can reuse it).
 */
final class KvBlock {
    final int id;
    int refCount;
    /** Prefix hash of the block when it is registered in the prefix cache. */
    long hash;
    boolean cached;
    /** Hash of the previous block (0 for the first) and the block's tokens, to verify a hash match exactly. */
    long parentHash;
    int[] tokens;

    // links of the free queue
    KvBlock prev;
    KvBlock next;
    boolean queued;

    KvBlock(int id) {
        this.id = id;
    }

    @Override
    public String toString() {
        return "block " + id + " (refs " + refCount + (cached ? ", cached" : "") + ")";
    }
}
