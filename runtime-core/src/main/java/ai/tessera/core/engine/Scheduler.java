package ai.tessera.core.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Predicate;

import ai.tessera.api.MultimodalItem;

/**
 * Continuous batching: each step first continues the running requests (one decode token each, or the next chunk
 * of a prompt), then admits waiting requests while the token budget, {@code maxNumSeqs} and the free blocks
 * allow, so new requests join at step boundaries and prefill and decode share a step. A prompt larger than the
 * remaining budget is prefilled in chunks over several steps.
 *
 * <p>When a running request needs a block and none is free, the most recently admitted running request is
 * preempted: its blocks are freed and it goes back to the front of the waiting queue, to be recomputed later over
 * its prompt and the tokens it had generated (the prefix cache usually still holds most of them). Nothing is
 * admitted in a step that preempted. Not thread-safe: only the engine thread uses it.
 */
final class Scheduler {
    private final SchedulerConfig config;
    private final BlockManager blocks;
    private final Deque<RequestState> waiting = new ArrayDeque<>();
    private final List<RequestState> running = new ArrayList<>();
    private long preemptions;
    /** The model's {@code recomputeBeyond()}: 0, or the length past which a sequence's KV must be recomputed. */
    private final int recomputeBeyond;
    private long recomputes;
    private final Predicate<String> wholeItems;

    Scheduler(SchedulerConfig config, BlockManager blocks) {
        this(config, blocks, 0);
    }

    Scheduler(SchedulerConfig config, BlockManager blocks, int recomputeBeyond) {
        this(config, blocks, recomputeBeyond, modality -> false);
    }

    /**
     * @param wholeItems the modalities whose media items are computed in one step, never split across prefill
     *                   chunks (the model attends within them both ways: {@code LoadedModel.bidirectionalWithin})
     */
    Scheduler(SchedulerConfig config, BlockManager blocks, int recomputeBeyond, Predicate<String> wholeItems) {
        this.recomputeBeyond = recomputeBeyond;
        this.config = config;
        this.blocks = blocks;
        this.wholeItems = wholeItems;
    }

    void add(RequestState r) {
        waiting.addLast(r);
    }

    boolean hasWork() {
        return !waiting.isEmpty() || !running.isEmpty();
    }

    int numWaiting() {
        return waiting.size();
    }

    int numRunning() {
        return running.size();
    }

    /** Sequences computed again because they grew past the model's {@code recomputeBeyond()} length. */
    long recomputes() {
        return recomputes;
    }

    long preemptions() {
        return preemptions;
    }

    /** The requests of the next step and how many tokens each computes; reserves their blocks. */
    ScheduledStep schedule() {
        int budget = config.maxNumBatchedTokens();
        List<ScheduledStep.Entry> entries = new ArrayList<>();
        List<RequestState> preempted = new ArrayList<>();

        int i = 0;
        while (i < running.size() && budget > 0) {
            RequestState r = running.get(i);
            if (recomputeBeyond > 0 && !r.longSequence && r.numTokens() > recomputeBeyond) {
                // Its KV was computed for a shorter sequence, which the model computes differently (LongRoPE):
                // compute it all again, as transformers recomputes the sequence when it first grows past that length.
                blocks.free(r);
                r.numComputed = 0;
                r.longSequence = true;
                recomputes++;
            }
            int numNew = keepItemsWhole(r, r.numComputed, Math.min(r.numTokens() - r.numComputed, budget));
            if (numNew == 0) {
                i++; // its next media item does not fit in what is left of this step's budget
                continue;
            }
            boolean allocated;
            while (!(allocated = blocks.allocate(r, List.of(), numNew))) {
                RequestState victim = running.remove(running.size() - 1);
                preempt(victim);
                preempted.add(victim);
                if (victim == r) {
                    break;
                }
            }
            if (!allocated) {
                break;
            }
            entries.add(new ScheduledStep.Entry(r, numNew));
            budget -= numNew;
            i++;
        }

        if (preempted.isEmpty()) {
            while (!waiting.isEmpty() && budget > 0 && running.size() < config.maxNumSeqs()) {
                RequestState r = waiting.peekFirst();
                r.longSequence = recomputeBeyond > 0 && r.numTokens() > recomputeBeyond;
                List<KvBlock> hit = blocks.findCachedPrefix(r);
                int cachedTokens = hit.size() * blocks.blockSize();
                int numNew = keepItemsWhole(r, cachedTokens, Math.min(r.numTokens() - cachedTokens, budget));
                if (numNew == 0 || !blocks.allocate(r, hit, numNew)) {
                    break;
                }
                waiting.pollFirst();
                r.numComputed = cachedTokens;
                if (r.cachedPromptTokens < 0) {
                    r.cachedPromptTokens = cachedTokens;
                    blocks.recordLookup(r.numTokens(), cachedTokens);
                }
                running.add(r);
                entries.add(new ScheduledStep.Entry(r, numNew));
                budget -= numNew;
            }
        }
        return new ScheduledStep(oneTokenEntriesFirst(entries), preempted);
    }

    /**
     * The entries that compute one token (decodes) ahead of the others, each group in its order, so that attention
     * backends compute them in one call ({@code AttentionMetadata.leadingDecodes}): a request still prefilling in
     * chunks would otherwise split the running decodes.
     */
    private static List<ScheduledStep.Entry> oneTokenEntriesFirst(List<ScheduledStep.Entry> entries) {
        List<ScheduledStep.Entry> ordered = new ArrayList<>(entries.size());
        for (ScheduledStep.Entry e : entries) {
            if (e.numNewTokens() == 1) {
                ordered.add(e);
            }
        }
        for (ScheduledStep.Entry e : entries) {
            if (e.numNewTokens() != 1) {
                ordered.add(e);
            }
        }
        return ordered;
    }

    /**
     * {@code numNew} tokens from {@code start}, shortened so that the chunk does not end inside a media item that
     * must be computed whole: it then ends where that item starts (0 when the chunk starts in it or at it).
     */
    private int keepItemsWhole(RequestState r, int start, int numNew) {
        if (r.multimodal == null) {
            return numNew;
        }
        int end = start + numNew;
        for (MultimodalItem item : r.multimodal.items()) {
            int itemEnd = item.offset() + item.length();
            if (item.offset() < end && end < itemEnd && wholeItems.test(item.modality())) {
                end = Math.max(start, item.offset());
            }
        }
        return end - start;
    }

    private void preempt(RequestState r) {
        blocks.free(r);
        r.resetForRecompute();
        waiting.addFirst(r);
        preemptions++;
    }

    /**
     * Puts a running request back at the head of the queue with no blocks, to be computed again from its first
     * token (after a step that failed: its KV may not have been written).
     */
    void recompute(RequestState r) {
        if (running.remove(r)) {
            preempt(r);
        }
    }

    /** Records that the step ran: the scheduled tokens now have KV in the cache. */
    void advance(ScheduledStep step) {
        for (ScheduledStep.Entry e : step.entries()) {
            e.request().numComputed += e.numNewTokens();
        }
    }

    /** Removes a request that finished, was aborted or failed, and frees its blocks at once. */
    void remove(RequestState r) {
        if (!running.remove(r)) {
            waiting.remove(r);
        }
        blocks.free(r);
    }

    /** The requests the scheduler holds, running first. */
    List<RequestState> all() {
        List<RequestState> all = new ArrayList<>(running);
        all.addAll(waiting);
        return all;
    }
}
