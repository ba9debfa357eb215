package ai.tessera.api;

import org.bytedeco.pytorch.Tensor;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The paged KV cache the engine allocated for a model: per attention layer, a key and a value tensor of shape
 * {@code [numBlocks, blockSize, numKvHeads, headDim]} (the layer's own head count and size, so layers of
 * different shapes fit). Which blocks belong to which sequence is in {@link AttentionMetadata}.
 */
@ProviderType
public interface KvCache {
    /** Tokens per block (16 by default). */
    int blockSize();

    /** The number of attention layers this cache holds. */
    int layers();

    /** The key and value tensors of one attention layer, in the order of {@link LoadedModel#attentionLayers()}. */
    Layer layer(int index);

    /** One layer's cache tensors. */
    record Layer(Tensor key, Tensor value) {
    }
}
