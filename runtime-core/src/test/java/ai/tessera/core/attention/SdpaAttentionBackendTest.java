package ai.tessera.core.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalInt;

import ai.tessera.api.AttentionLayerSpec;
import ai.tessera.api.AttentionMetadata;
import ai.tessera.api.KvCache;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;

/**
 * A mixed step (decodes batched in one call, a prefill chunk, a decode behind it, a new prompt read from the step's
 * own rows) gives every sequence what it gets computed alone from the cache.
 */
class SdpaAttentionBackendTest {
    private static final int BLOCK = 4;
    private static final TensorOptions FLOATS = new TensorOptions(ScalarType.Float);

    /** Two decodes, a chunk of 5 tokens over 4 cached ones, a decode packed after it, a new prompt: 11 query rows. */
    private static final List<AttentionMetadata.Sequence> MIXED = List.of(
            new AttentionMetadata.Sequence(0, 1, 7, new long[] {0, 1}),
            new AttentionMetadata.Sequence(1, 1, 3, new long[] {2}),
            new AttentionMetadata.Sequence(2, 5, 9, new long[] {3, 4, 5}),
            new AttentionMetadata.Sequence(7, 1, 10, new long[] {6, 7, 8}),
            new AttentionMetadata.Sequence(8, 3, 3, new long[] {9}));
    /** Where each query row's key and value go: block * 4 + offset of its position. */
    private static final long[] SLOTS = {6, 10, 16, 17, 18, 19, 20, 33, 36, 37, 38};

    private static KvCache.Layer cache(long seed, int kvHeads, int headDim) {
        torch.manual_seed(seed);
        return new KvCache.Layer(torch.randn(new long[] {10, BLOCK, kvHeads, headDim}, FLOATS),
                torch.randn(new long[] {10, BLOCK, kvHeads, headDim}, FLOATS));
    }

    private static KvCache.Layer copy(KvCache.Layer layer) {
        return new KvCache.Layer(layer.key().clone(), layer.value().clone());
    }

    /** The same cache in float64: the backend then reads every context from it (never from the step's rows). */
    private static KvCache.Layer inDouble(KvCache.Layer layer) {
        return new KvCache.Layer(layer.key().to(ScalarType.Double), layer.value().to(ScalarType.Double));
    }

    private static Tensor slots(long... slots) {
        return torch.tensor(slots).to(ScalarType.Long);
    }

    private static double mixedAgainstAlone(AttentionLayerSpec spec) {
        torch.manual_seed(7);
        Tensor query = torch.randn(new long[] {11, spec.numHeads(), spec.headDim()}, FLOATS);
        Tensor key = torch.randn(new long[] {11, spec.numKvHeads(), spec.headDim()}, FLOATS);
        Tensor value = torch.randn(new long[] {11, spec.numKvHeads(), spec.headDim()}, FLOATS);
        KvCache.Layer start = cache(3, spec.numKvHeads(), spec.headDim());
        SdpaAttentionBackend sdpa = new SdpaAttentionBackend();
        AttentionMetadata mixed = new AttentionMetadata(slots(SLOTS), MIXED, BLOCK);
        assertEquals(2, mixed.leadingDecodes());
        Tensor together = sdpa.forward(query, key, value, copy(start), mixed, spec, 0.3);

        double worst = 0;
        for (AttentionMetadata.Sequence s : MIXED) {
            int row = s.queryStart();
            int n = s.queryLength();
            AttentionMetadata alone = new AttentionMetadata(slots(java.util.Arrays.copyOfRange(SLOTS, row, row + n)),
                    List.of(new AttentionMetadata.Sequence(0, n, s.contextLength(), s.blockTable())), BLOCK);
            Tensor expected = sdpa.forward(query.narrow(0, row, n), key.narrow(0, row, n), value.narrow(0, row, n),
                    inDouble(start), alone, spec, 0.3);
            worst = Math.max(worst, together.narrow(0, row, n).sub(expected).abs().max().item_double());
        }
        return worst;
    }

    @Test
    void aMixedStepEqualsEachSequenceAlone() {
        double grouped = mixedAgainstAlone(AttentionLayerSpec.causal(8, 4, 2, ScalarType.Float));
        assertTrue(grouped < 1e-6, "grouped heads: " + grouped);
        double windowed = mixedAgainstAlone(new AttentionLayerSpec(8, 4, 4, OptionalInt.of(4), OptionalDouble.empty(),
                ScalarType.Float));
        assertTrue(windowed < 1e-6, "sliding window of 4: " + windowed);
    }

    @Test
    void theStepAfterTheLeadingDecodesStandsAlone() {
        AttentionMetadata mixed = new AttentionMetadata(slots(SLOTS), MIXED, BLOCK);
        AttentionMetadata rest = mixed.from(2);
        assertEquals(List.of(0, 5, 6), rest.sequences().stream().map(AttentionMetadata.Sequence::queryStart).toList());
        assertEquals(9, rest.slotMapping().size(0));
        assertEquals(16, rest.slotMapping().get(0).item_long());
        assertEquals(0, rest.leadingDecodes());
    }
}
