package ai.tessera.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/** Allocation, reference counts, prefix cache hits and LRU eviction, with exact free-block accounting. */
class BlockManagerTest {
    private static final int BS = 4;

    private static RequestState request(String id, int... prompt) {
        return Requests.state(id, prompt, SamplingParams.greedy());
    }

    private static int[] range(int from, int to) {
        int[] ids = new int[to - from];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = from + i;
        }
        return ids;
    }

    /** Admits a request as the scheduler does: cached prefix first, then room for the rest. */
    private static boolean admit(BlockManager m, RequestState r) {
        List<KvBlock> hit = m.findCachedPrefix(r);
        int cached = hit.size() * BS;
        if (!m.allocate(r, hit, r.numTokens() - cached)) {
            return false;
        }
        r.numComputed = r.numTokens();
        return true;
    }

    @Test
    void allocationTakesWholeBlocksAndFreeingReturnsThemAll() {
        BlockManager m = new BlockManager(8, BS, true);
        RequestState a = request("a", range(0, 9));
        assertTrue(admit(m, a));
        assertEquals(3, a.blocks.size());
        assertEquals(5, m.freeBlocks());
        a.append(50);
        assertTrue(m.allocate(a, List.of(), 1), "token 10 still fits the third block");
        assertEquals(3, a.blocks.size());
        m.free(a);
        assertEquals(8, m.freeBlocks());
        assertTrue(a.blocks.isEmpty());
    }

    @Test
    void aFailedAllocationChangesNothing() {
        BlockManager m = new BlockManager(3, BS, true);
        RequestState a = request("a", range(0, 8));
        assertTrue(admit(m, a));
        RequestState b = request("b", range(100, 108));
        assertFalse(admit(m, b));
        assertEquals(1, m.freeBlocks());
        assertTrue(b.blocks.isEmpty());
    }

    @Test
    void aSharedPrefixIsReusedWithReferenceCounts() {
        BlockManager m = new BlockManager(10, BS, true);
        RequestState a = request("a", range(0, 10)); // blocks [0-3] [4-7] full, [8-9] partial
        assertTrue(admit(m, a));
        RequestState b = request("b", concat(range(0, 8), range(50, 53)));
        List<KvBlock> hit = m.findCachedPrefix(b);
        assertEquals(2, hit.size());
        assertSame(a.blocks.get(0), hit.get(0));
        assertTrue(admit(m, b));
        assertEquals(2, a.blocks.get(0).refCount);
        assertEquals(10 - 3 - 1, m.freeBlocks(), "b took one new block for its 3 own tokens");
        m.free(a);
        assertEquals(1, b.blocks.get(0).refCount);
        m.free(b);
        assertEquals(10, m.freeBlocks());
    }

    @Test
    void theLastTokenIsAlwaysComputedEvenWhenTheWholePromptIsCached() {
        BlockManager m = new BlockManager(10, BS, true);
        RequestState a = request("a", range(0, 8));
        assertTrue(admit(m, a));
        m.free(a);
        RequestState again = request("again", range(0, 8));
        assertEquals(1, m.findCachedPrefix(again).size(), "only the first block: the second holds the last token");
    }

    @Test
    void freedCachedBlocksStayReusableUntilEvictedLeastRecentlyUsedFirst() {
        BlockManager m = new BlockManager(4, BS, true);
        RequestState a = request("a", range(0, 5)); // 1 full block + 1 partial
        assertTrue(admit(m, a));
        m.free(a);
        RequestState b = request("b", range(100, 105));
        assertTrue(admit(m, b));
        m.free(b);
        assertEquals(4, m.freeBlocks());
        assertEquals(2, m.cachedBlocks());
        // the two partial blocks are reused first; then the least recently freed cached block (a's) goes
        RequestState c = request("c", range(200, 212));
        assertTrue(admit(m, c));
        assertEquals(0, m.findCachedPrefix(request("a2", range(0, 5))).size(), "a's block was evicted");
        assertEquals(1, m.findCachedPrefix(request("b2", range(100, 105))).size(), "b's block is still cached");
        m.free(c);
        assertEquals(4, m.freeBlocks());
    }

    @Test
    void aHitOnAFreeCachedBlockCountsAgainstTheFreeBlocks() {
        BlockManager m = new BlockManager(3, BS, true);
        RequestState a = request("a", range(0, 9));
        assertTrue(admit(m, a));
        m.free(a);
        RequestState b = request("b", range(0, 9));
        assertTrue(admit(m, b));
        assertEquals(0, m.freeBlocks());
        assertEquals(8, b.numComputed - 1, "sanity: all 9 tokens computed");
        m.free(b);
        assertEquals(3, m.freeBlocks());
    }

    @Test
    void withoutPrefixCachingNothingIsShared() {
        BlockManager m = new BlockManager(10, BS, false);
        RequestState a = request("a", range(0, 10));
        assertTrue(admit(m, a));
        assertEquals(0, m.findCachedPrefix(request("b", range(0, 10))).size());
        assertEquals(0, m.cachedBlocks());
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
