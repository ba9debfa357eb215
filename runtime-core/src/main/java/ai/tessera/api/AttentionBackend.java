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
     * Whether {@link #forward} honours {@link AttentionMetadata.Sequence#bidirectionalSpans()} (tokens of a span
     * attending to each other both ways). A backend that does not would silently attend causally, so models that
     * need the spans ask first.
     */
    default boolean supportsBidirectionalSpans() {
        return false;
    }

    /**
     * Causal attention for one layer over a packed step: writes the step's keys and values into the layer's cache
     * at {@link AttentionMetadata#slotMapping()}, then attends each sequence's queries to its whole cached context
     * (respecting the spec's sliding window and soft-cap).
     *
     * @param query {@code [tokens, numHeads, headDim]}
     * @param key   {@code [tokens, numKvHeads, headDim]}
     * @param value {@code [tokens, numKvHeads, headDim]}
     * @param scale the softmax scale (often {@code headDim^-0.5})
     * @return {@code [tokens, numHeads, headDim]}
     */
    Tensor forward(Tensor query, Tensor key, Tensor value, KvCache.Layer cache, AttentionMetadata metadata,
                   AttentionLayerSpec spec, double scale);
}
