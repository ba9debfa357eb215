package ai.tessera.nn;

import ai.tessera.api.AttentionMetadata;
import ai.tessera.api.ModelLoadException;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Rotary position embedding (RoFormer) as transformers computes it: inverse frequencies in float32, cos and sin of
 * {@code position × inv_freq} in float32, then cast to the activation dtype and applied by {@link CosSin#apply}.
 */
public interface RotaryEmbedding extends AutoCloseable {

    /** The variant {@code rope.ropeType()} names, rotating {@code rope.rotaryDim(headDim)} channels per head. */
    static RotaryEmbedding create(RopeParameters rope, int headDim, Device device) throws ModelLoadException {
        return switch (rope.ropeType()) {
            case "default" -> new DefaultRotaryEmbedding(rope.rotaryDim(headDim), rope.theta(), device);
            case "longrope", "su" -> LongRopeRotaryEmbedding.create(rope, headDim, device);
            default -> throw new ModelLoadException("RoPE type '" + rope.ropeType() + "' is not supported;"
                    + " supported: default, longrope (su)");
        };
    }

    /** Channels rotated at the start of each head. */
    int rotaryDim();

    /**
     * cos and sin for one step.
     *
     * @param positions int64 {@code [tokens]}, each token's position in its sequence
     * @param attention the step's sequences (variants whose frequencies depend on a sequence's length read it here)
     */
    CosSin cosSin(Tensor positions, AttentionMetadata attention, ScalarType dtype);

    /**
     * Whether keys cached for the first {@code cachedTokens} positions of a sequence were rotated differently from
     * how a step reaching {@code contextLength} tokens rotates, so that the sequence must be recomputed from its
     * tokens to match transformers (LongRoPE crossing {@code original_max_position_embeddings}).
     */
    default boolean invalidatesCache(int cachedTokens, int contextLength) {
        int beyond = recomputeBeyond();
        return beyond > 0 && cachedTokens > 0 && cachedTokens <= beyond && contextLength > beyond;
    }

    /**
     * The sequence length past which every position is rotated differently (LongRoPE's long factors), or 0: what a
     * model reports as {@link ai.tessera.api.LoadedModel#recomputeBeyond()}.
     */
    default int recomputeBeyond() {
        return 0;
    }

    @Override
    void close();
}
