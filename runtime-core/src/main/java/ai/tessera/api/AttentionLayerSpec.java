package ai.tessera.api;

import java.util.OptionalDouble;
import java.util.OptionalInt;

import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * What one attention layer needs from a backend and from the KV cache.
 *
 * @param headDim        size of each query/key head
 * @param numHeads       query heads
 * @param numKvHeads     key/value heads (fewer than {@code numHeads} under grouped-query attention)
 * @param slidingWindow  tokens a query may look back, when the layer is local
 * @param logitSoftCap   {@code tanh} soft-cap of attention scores, when the family uses one
 * @param dtype          the activation dtype
 */
public record AttentionLayerSpec(int headDim, int numHeads, int numKvHeads, OptionalInt slidingWindow,
                                 OptionalDouble logitSoftCap, ScalarType dtype) {
    public AttentionLayerSpec {
        if (headDim <= 0 || numHeads <= 0 || numKvHeads <= 0 || numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException("attention heads must be positive and numHeads a multiple of numKvHeads,"
                    + " got headDim=" + headDim + " numHeads=" + numHeads + " numKvHeads=" + numKvHeads);
        }
    }

    /** In words, for error messages: "head size 128, 28 query / 4 key-value heads, sliding window 4096, bfloat16". */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("head size " + headDim + ", " + numHeads + " query / " + numKvHeads
                + " key-value heads");
        slidingWindow.ifPresent(w -> s.append(", sliding window ").append(w));
        logitSoftCap.ifPresent(c -> s.append(", soft-cap ").append(c));
        return s.append(", ").append(dtype.name().toLowerCase(java.util.Locale.ROOT)).toString();
    }

    /** A plain causal layer with no window or soft-cap. */
    public static AttentionLayerSpec causal(int headDim, int numHeads, int numKvHeads, ScalarType dtype) {
        return new AttentionLayerSpec(headDim, numHeads, numKvHeads, OptionalInt.empty(), OptionalDouble.empty(), dtype);
    }
}
