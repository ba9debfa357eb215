package ai.tessera.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import ai.tessera.api.AttentionMetadata;
import ai.tessera.core.kv.PagedKvCache;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;

/** Token budget, chunked prefill, sequence limit, preemption, and the batch the scheduler's step packs into. */
class SchedulerTest {
    private static final int BS = 16;

    /** Pretends the step ran and sampled token 1 for every sequence that reached its last token. */
    private static void run(Scheduler s, ScheduledStep step) {
        List<ScheduledStep.Entry> sampled = step.entries().stream().filter(ScheduledStep.Entry::samples).toList();
        s.advance(step);
        sampled.forEach(e -> e.request().append(1));
    }

    /**
     * Items the model attends within both ways are never split: a chunk that would end inside one ends where it
     * starts, the next chunk takes it whole, and the packed batch gives it as a span; other modalities split.
     */
    @Test
    void itemsAttendedBothWaysAreNeverSplitAcrossChunks() {
        BlockManager blocks = new BlockManager(100, BS, true);
        Scheduler s = new Scheduler(new SchedulerConfig(8, 32, 512), blocks, 0, "image"::equals);
        int[] prompt = new int[70];
        java.util.List<ai.tessera.api.MultimodalItem> items = List.of(
                new ai.tessera.api.MultimodalItem("image", 20, 30, java.util.Map.of(), "a"),
                new ai.tessera.api.MultimodalItem("audio", 55, 10, java.util.Map.of(), "b"));
        GenerationRequest request = GenerationRequest.of("mm", new ai.tessera.api.MultimodalPrompt(prompt, items, null,
                0), SamplingParams.greedy());
        RequestState r = new RequestState(request, SamplingParams.greedy(), new OutputText(TextDecoder.NONE.start(
                prompt), List.of()), new RequestPublisher(Runnable::run, () -> { }, () -> { }));
        s.add(r);
        ScheduledStep first = s.schedule();
        assertEquals(20, first.entries().get(0).numNewTokens(), "ends where the image starts, not at the budget (32)");
        run(s, first);
        ScheduledStep second = s.schedule();
        assertEquals(32, second.entries().get(0).numNewTokens(), "the whole image (30) and what fits after it");
        try (PointerScope scope = new PointerScope();
             PagedKvCache cache = PagedKvCache.allocate(List.of(ai.tessera.api.AttentionLayerSpec.causal(4, 1, 1,
                     ScalarType.Float)), 100, BS, new Device("cpu"))) {
            r.mmEmbeddings = List.of(org.bytedeco.pytorch.global.torch.zeros(30, 4),
                    org.bytedeco.pytorch.global.torch.zeros(10, 4));
            AttentionMetadata.Sequence seq = BatchBuilder.build(second, cache, new Device("cpu"), 1, "image"::equals)
                    .batch().attention().sequences().get(0);
            assertEquals(List.of(new AttentionMetadata.Span(20, 50)), seq.bidirectionalSpans());
        }
        run(s, second);
        assertEquals(18, s.schedule().entries().get(0).numNewTokens(), "audio is split like text: 52..70");
    }

    @Test
    void aLongPromptIsPrefilledInChunksWhileOthersDecode() {
        BlockManager blocks = new BlockManager(100, BS, true);
        Scheduler s = new Scheduler(new SchedulerConfig(8, 32, 512), blocks);
        RequestState shortOne = Requests.state("short", 5);
        s.add(shortOne);
        run(s, s.schedule());
        RequestState longOne = Requests.state("long", 70);
        s.add(longOne);
        ScheduledStep step = s.schedule();
        assertEquals(2, step.entries().size());
        assertEquals(1, step.entries().get(0).numNewTokens(), "the running request decodes first");
        assertEquals(31, step.entries().get(1).numNewTokens(), "the new prompt gets the rest of the budget");
        assertFalse(step.entries().get(1).samples(), "a partial chunk is not sampled");
        run(s, step);
        step = s.schedule();
        assertEquals(31, step.entries().get(1).numNewTokens());
        run(s, step);
        step = s.schedule();
        assertEquals(8, step.entries().get(1).numNewTokens());
        assertTrue(step.entries().get(1).samples(), "the last chunk samples");
    }

    @Test
    void noMoreThanMaxNumSeqsRun() {
        Scheduler s = new Scheduler(new SchedulerConfig(2, 1000, 512), new BlockManager(100, BS, true));
        for (int i = 0; i < 3; i++) {
            s.add(Requests.state("r" + i, 10));
        }
        assertEquals(2, s.schedule().entries().size());
        assertEquals(1, s.numWaiting());
    }

    @Test
    void runningOutOfBlocksPreemptsTheNewestRequestBackToTheFrontOfWaiting() {
        BlockManager blocks = new BlockManager(2, BS, true);
        Scheduler s = new Scheduler(new SchedulerConfig(8, 1000, 32), blocks);
        RequestState older = Requests.state("older", 16);
        RequestState newer = Requests.state("newer", 15);
        s.add(older);
        s.add(newer);
        run(s, s.schedule()); // both prefilled: one block each, both full
        assertEquals(0, blocks.freeBlocks());
        run(s, s.schedule()); // newer's 16th token fits; older needs a second block: newer is preempted
        ScheduledStep step = s.schedule();
        assertEquals(1, step.entries().size());
        assertSame(older, step.entries().get(0).request());
        assertEquals(1, s.numWaiting());
        assertTrue(s.preemptions() >= 1);
        assertEquals(0, newer.numComputed, "a preempted request is recomputed from scratch");
        assertTrue(newer.numOutputTokens() >= 1, "and keeps the tokens it generated");
    }

    @Test
    void theBatchPacksSequencesWithSlotsBlockTablesAndLogitsOfLastTokensOnly() {
        BlockManager blocks = new BlockManager(10, BS, false);
        Scheduler s = new Scheduler(new SchedulerConfig(8, 40, 512), blocks);
        RequestState a = Requests.state("a", 20);
        RequestState b = Requests.state("b", 30);
        s.add(a);
        s.add(b);
        ScheduledStep step = s.schedule();
        try (PointerScope scope = new PointerScope();
             PagedKvCache cache = PagedKvCache.allocate(TinyModelSpecs.one(), 10, BS, new Device("cpu"))) {
            BatchBuilder.Packed packed = BatchBuilder.build(step, cache, new Device("cpu"), 1);
            assertEquals(40, packed.batch().tokens());
            List<AttentionMetadata.Sequence> seqs = packed.batch().attention().sequences();
            assertEquals(new AttentionMetadata.Sequence(0, 20, 20, new long[0]).queryLength(), seqs.get(0).queryLength());
            assertEquals(20, seqs.get(1).queryStart());
            assertEquals(20, seqs.get(1).queryLength(), "b gets the 20 tokens left of the budget");
            assertEquals(List.of(a), packed.sampled(), "b's partial chunk is not sampled");
            long[] logitRows = Sampler.toLongs(packed.batch().logitsIndices());
            assertEquals(1, logitRows.length);
            assertEquals(19, logitRows[0]);
            long[] slots = Sampler.toLongs(packed.batch().attention().slotMapping());
            long[] bTable = seqs.get(1).blockTable();
            assertEquals(bTable[1] * BS + 3, slots[20 + 19], "b's 20th token sits at offset 3 of its second block");
            long[] positions = Sampler.toLongs(packed.batch().positions());
            assertEquals(19, positions[39]);
        }
    }

    /** A one-layer spec for cache allocation. */
    static final class TinyModelSpecs {
        static List<ai.tessera.api.AttentionLayerSpec> one() {
            return List.of(ai.tessera.api.AttentionLayerSpec.causal(8, 2, 2, ScalarType.Float));
        }
    }
}
