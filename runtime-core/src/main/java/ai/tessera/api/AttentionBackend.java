package ai.tessera.api;

import org.bytedeco.pytorch.Tensor;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * An attention implementation, registered with {@link #PROPERTY} (e.g. {@code sdpa}, {@code paged}).
 * The platform's preference order picks among the backends that {@link #supports} a layer.
 */
@ConsumerType
public interface AttentionBackend {
    String PROPERTY = "tessera.attention";

    /** Whether this backend can run a layer of this spec on this platform; {@code null} or a reason why not. */
    String unsupportedReason(AttentionLayerSpec spec, Platform platform);

    default boolean supports(AttentionLayerSpec spec, Platform platform) {
        return unsupportedReason(spec, platform) == null;
    }

    /**
     * Causal attention over one sequence without a cache.
     *
     * @param query {@code [numHeads, tokens, headDim]}
     * @param key   {@code [numKvHeads, tokens, headDim]}
     * @param value {@code [numKvHeads, tokens, headDim]}
     * @param scale the softmax scale (often {@code headDim^-0.5})
     * @return {@code [numHeads, tokens, headDim]}
     */
    Tensor attend(Tensor query, Tensor key, Tensor value, AttentionLayerSpec spec, double scale);
}
