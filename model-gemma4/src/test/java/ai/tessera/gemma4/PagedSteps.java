package ai.tessera.gemma4;

import static ai.tessera.testing.Parity.longTensor;
import static ai.tessera.testing.Parity.values;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import ai.tessera.api.AttentionMetadata;
import ai.tessera.api.ForwardBatch;
import ai.tessera.api.LoadedModel;
import ai.tessera.api.MultimodalEmbeddings;
import ai.tessera.api.MultimodalItem;
import ai.tessera.core.kv.PagedKvCache;
import ai.tessera.core.platform.CpuPlatform;
import ai.tessera.testing.Parity;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
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
        List<Long> ids = new ArrayList<>();
        List<Long> positions = new ArrayList<>();
        List<Long> slots = new ArrayList<>();
        List<AttentionMetadata.Sequence> sequences = new ArrayList<>();
        for (SequenceStep seq : seqs) {
            int context = seq.tokens().length;
            AttentionMetadata.Sequence sequence = new AttentionMetadata.Sequence(ids.size(), context - seq.from(),
                    context, seq.blockTable());
            long[] contextSlots = sequence.contextSlots(BLOCK_SIZE);
            for (int p = seq.from(); p < context; p++) {
                ids.add(seq.tokens()[p]);
                positions.add((long) p);
                slots.add(contextSlots[p]);
            }
            sequences.add(sequence);
        }
        return new ForwardBatch(longTensor(ids), longTensor(positions),
                new AttentionMetadata(longTensor(slots), sequences, BLOCK_SIZE), cache,
                logitsIndices == null ? null : torch.tensor(logitsIndices));
    }

    /** Steps through the cache of one multimodal prompt, whose media rows are merged in where its tokens are. */
    record Multimodal(LoadedModel model, PagedKvCache cache, long[] blockTable, List<MultimodalItem> items,
                      List<Tensor> embeds) {
        /** The logits rows of the step over the prompt's tokens {@code from..to} ({@code logitsIndices} null: all). */
        float[][] logits(long[] tokens, int from, int to, long[] logitsIndices) {
            ForwardBatch batch = batch(cache, List.of(new SequenceStep(Arrays.copyOf(tokens, to), from, blockTable)),
                    logitsIndices);
            return Parity.rows(model.forward(new ForwardBatch(batch.inputIds(), batch.positions(),
                    batch.attention(), batch.kvCache(), batch.logitsIndices(), slice(items, embeds, from, to))));
        }
    }

    /** The prompt's multimodal embeddings for the tokens {@code from..to} of the step starting at {@code from}. */
    private static MultimodalEmbeddings slice(List<MultimodalItem> items, List<Tensor> embeds, int from, int to) {
        List<Tensor> rows = new ArrayList<>();
        List<Long> indices = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            MultimodalItem item = items.get(i);
            int lo = Math.max(from, item.offset());
            int hi = Math.min(to, item.offset() + item.length());
            if (lo < hi) {
                rows.add(embeds.get(i).narrow(0, lo - item.offset(), hi - lo));
                for (int t = lo; t < hi; t++) {
                    indices.add((long) (t - from));
                }
            }
        }
        if (rows.isEmpty()) {
            return null;
        }
        return new MultimodalEmbeddings(torch.cat(new TensorVector(rows.toArray(new Tensor[0])), 0),
                torch.tensor(indices.stream().mapToLong(Long::longValue).toArray()));
    }
}
