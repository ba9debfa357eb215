package ai.tessera.testing;

import static ai.tessera.testing.Parity.longTensor;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import ai.tessera.api.AttentionMetadata;
import ai.tessera.api.ForwardBatch;
import ai.tessera.api.KvCache;
import ai.tessera.api.LoadedModel;
import ai.tessera.api.MultimodalEmbeddings;
import ai.tessera.api.MultimodalItem;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * A forward step over a paged KV cache packed as the engine packs it, for the model bundles' parity tests: several
 * sequences, each computing its tokens from some point on, with the media rows that fall in those tokens merged in
 * and the adapter it runs with. Positions are the plain token indices (models without M-RoPE).
 */
public final class PackedStep {
    private PackedStep() {
    }

    /**
     * One sequence of a step.
     *
     * @param tokens     its tokens so far (the context after this step)
     * @param from       the first token this step computes
     * @param blockTable its cache blocks
     * @param items      its media items, whose {@code embeddings} (same order) replace their tokens' embeddings
     * @param adapter    the adapter it runs with, {@code null} for the base model
     */
    public record Sequence(long[] tokens, int from, long[] blockTable, List<MultimodalItem> items,
                           List<Tensor> embeddings, String adapter) {
        public Sequence(long[] tokens, int from, long[] blockTable, List<MultimodalItem> items,
                        List<Tensor> embeddings) {
            this(tokens, from, blockTable, items, embeddings, null);
        }

        /** A text-only sequence on the base model. */
        public Sequence(long[] tokens, int from, long[] blockTable) {
            this(tokens, from, blockTable, List.of(), List.of(), null);
        }
    }

    /** The packed step of {@code seqs} ({@code logitsIndices} null: every token's logits). */
    public static ForwardBatch batch(KvCache cache, int blockSize, List<Sequence> seqs, long[] logitsIndices) {
        List<Long> ids = new ArrayList<>();
        List<Long> positions = new ArrayList<>();
        List<Long> slots = new ArrayList<>();
        List<AttentionMetadata.Sequence> sequences = new ArrayList<>();
        List<Tensor> mediaRows = new ArrayList<>();
        List<Long> mediaIndices = new ArrayList<>();
        List<String> adapters = new ArrayList<>();
        boolean anyAdapter = false;
        for (Sequence seq : seqs) {
            int context = seq.tokens().length;
            int base = ids.size();
            AttentionMetadata.Sequence sequence = new AttentionMetadata.Sequence(base, context - seq.from(), context,
                    seq.blockTable());
            long[] contextSlots = sequence.contextSlots(blockSize);
            for (int p = seq.from(); p < context; p++) {
                ids.add(seq.tokens()[p]);
                positions.add((long) p);
                slots.add(contextSlots[p]);
            }
            for (int i = 0; i < seq.items().size(); i++) {
                MultimodalItem item = seq.items().get(i);
                int lo = Math.max(seq.from(), item.offset());
                int hi = Math.min(context, item.offset() + item.length());
                if (lo < hi) {
                    mediaRows.add(seq.embeddings().get(i).narrow(0, lo - item.offset(), hi - lo));
                    for (int t = lo; t < hi; t++) {
                        mediaIndices.add((long) (base + t - seq.from()));
                    }
                }
            }
            sequences.add(sequence);
            adapters.add(seq.adapter());
            anyAdapter |= seq.adapter() != null;
        }
        MultimodalEmbeddings multimodal = mediaRows.isEmpty() ? null : new MultimodalEmbeddings(
                torch.cat(new TensorVector(mediaRows.toArray(new Tensor[0])), 0), longTensor(mediaIndices));
        return new ForwardBatch(longTensor(ids), longTensor(positions),
                new AttentionMetadata(longTensor(slots), sequences, blockSize), cache,
                logitsIndices == null ? null : torch.tensor(logitsIndices), multimodal, anyAdapter ? adapters : null);
    }

    /** Runs the packed step and returns its float32 logits rows. */
    public static float[][] logits(LoadedModel model, KvCache cache, int blockSize, List<Sequence> seqs,
                                   long[] logitsIndices) {
        Tensor logits = model.forward(batch(cache, blockSize, seqs, logitsIndices));
        assertEquals(ScalarType.Float, logits.scalar_type().intern(), "logits must be float32");
        return Parity.rows(logits);
    }
}
