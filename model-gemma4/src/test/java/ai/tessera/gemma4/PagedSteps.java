package ai.tessera.gemma4;

import static ai.tessera.testing.Parity.values;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import ai.tessera.api.ForwardBatch;
import ai.tessera.api.LoadedModel;
import ai.tessera.api.MultimodalItem;
import ai.tessera.core.kv.PagedKvCache;
import ai.tessera.core.platform.CpuPlatform;
import ai.tessera.testing.PackedStep;
import ai.tessera.testing.Parity;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Forward steps over a paged KV cache as the engine builds them, for the parity tests: the cache geometry they
 * share, packed steps of several sequences, and steps of one multimodal prompt with its media rows merged in.
 */
final class PagedSteps {
    static final int BLOCK_SIZE = 16;
    static final int NUM_BLOCKS = 24;
    /** Out of order on purpose, so that slots are not positions; 14 blocks hold the longest multimodal sequence. */
    static final long[] BLOCK_TABLE = {11, 3, 14, 0, 7, 9, 1, 20, 17, 5, 12, 2, 8, 15};

    private PagedSteps() {
    }

    /** One sequence of a step: its tokens so far, the first one this step computes, and its cache blocks. */
    record SequenceStep(long[] tokens, int from, long[] blockTable) {
    }

    static PagedKvCache allocate(LoadedModel model, CpuPlatform cpu) {
        return PagedKvCache.allocate(model.attentionLayers(), NUM_BLOCKS, BLOCK_SIZE, cpu.device());
    }

    /** The logits of one sequence's last token after a step over tokens {@code from ..}. */
    static float[] forwardLast(LoadedModel model, PagedKvCache cache, SequenceStep seq) {
        try (PointerScope scope = new PointerScope()) {
            int computed = seq.tokens().length - seq.from();
            return forward(model, cache, List.of(seq), new long[] {computed - 1})[0];
        }
    }

    /** Runs one packed step and returns the logits rows ({@code logitsIndices} null: every token). */
    static float[][] forward(LoadedModel model, PagedKvCache cache, List<SequenceStep> seqs, long[] logitsIndices) {
        Tensor logits = model.forward(batch(cache, seqs, logitsIndices));
        assertEquals(ScalarType.Float, logits.scalar_type().intern(), "logits must be float32");
        float[][] rows = new float[(int) logits.size(0)][];
        for (int r = 0; r < rows.length; r++) {
            rows[r] = values(logits.select(0, r));
        }
        return rows;
    }

    /** One packed step of {@code seqs}, each computing its tokens from {@code from} on. */
    static ForwardBatch batch(PagedKvCache cache, List<SequenceStep> seqs, long[] logitsIndices) {
        List<PackedStep.Sequence> packed = new ArrayList<>();
        for (SequenceStep seq : seqs) {
            packed.add(new PackedStep.Sequence(seq.tokens(), seq.from(), seq.blockTable()));
        }
        return PackedStep.batch(cache, BLOCK_SIZE, packed, logitsIndices);
    }

    /** Steps through the cache of one multimodal prompt, whose media rows are merged in where its tokens are. */
    record Multimodal(LoadedModel model, PagedKvCache cache, long[] blockTable, List<MultimodalItem> items,
                      List<Tensor> embeds) {
        /** The logits rows of the step over the prompt's tokens {@code from..to} ({@code logitsIndices} null: all). */
        float[][] logits(long[] tokens, int from, int to, long[] logitsIndices) {
            return Parity.rows(model.forward(PackedStep.batch(cache, BLOCK_SIZE, List.of(new PackedStep.Sequence(
                    Arrays.copyOf(tokens, to), from, blockTable, items, embeds)), logitsIndices)));
        }
    }
}
