package ai.tessera.nn;

import ai.tessera.api.AttentionBackend;
import ai.tessera.api.AttentionLayerSpec;
import ai.tessera.api.ForwardBatch;
import ai.tessera.api.ModelContext;
import ai.tessera.api.ModelLoadException;
import org.bytedeco.pytorch.Tensor;

/**
 * One attention layer's call into the backend the container chose for its spec: the backend writes the step's
 * keys and values into this layer's cache and attends each sequence's queries to its cached context, so model code
 * only projects and rotates q, k and v.
 */
public final class Attention {
    private final int layerIndex;
    private final AttentionLayerSpec spec;
    private final AttentionBackend backend;
    private final double scale;

    /**
     * @param layerIndex the layer's index among the model's attention layers (its KV-cache layer)
     * @param scale      the softmax scale, usually {@code headDim^-0.5}
     */
    public Attention(int layerIndex, AttentionLayerSpec spec, AttentionBackend backend, double scale) {
        if (layerIndex < 0) {
            throw new IllegalArgumentException("layerIndex must be >= 0, got " + layerIndex);
        }
        this.layerIndex = layerIndex;
        this.spec = spec;
        this.backend = backend;
        this.scale = scale;
    }

    /** The layer with the backend {@link ModelContext#attentionFor} picks for {@code spec}. */
    public static Attention create(ModelContext context, int layerIndex, AttentionLayerSpec spec, double scale)
            throws ModelLoadException {
        return new Attention(layerIndex, spec, context.attentionFor(spec), scale);
    }

    public AttentionLayerSpec spec() {
        return spec;
    }

    /**
     * @param query {@code [tokens, numHeads, headDim]}, already rotated
     * @param key   {@code [tokens, numKvHeads, headDim]}, already rotated
     * @param value {@code [tokens, numKvHeads, headDim]}
     * @return {@code [tokens, numHeads, headDim]}
     */
    public Tensor forward(Tensor query, Tensor key, Tensor value, ForwardBatch batch) {
        checkShape("query", query, spec.numHeads(), batch.tokens());
        checkShape("key", key, spec.numKvHeads(), batch.tokens());
        checkShape("value", value, spec.numKvHeads(), batch.tokens());
        return backend.forward(query, key, value, batch.kvCache().layer(layerIndex), batch.attention(), spec, scale);
    }

    /**
     * The common case of a fused projection: splits {@code qkv [tokens, (numHeads + 2·numKvHeads)·headDim]}, laid
     * out {@code [q | k | v]}, rotates q and k and attends.
     *
     * @return {@code [tokens, numHeads·headDim]}, ready for the output projection
     */
    public Tensor forwardPacked(Tensor qkv, CosSin cosSin, ForwardBatch batch) {
        long tokens = qkv.size(0);
        long querySize = (long) spec.numHeads() * spec.headDim();
        long kvSize = (long) spec.numKvHeads() * spec.headDim();
        if (qkv.dim() != 2 || qkv.size(1) != querySize + 2 * kvSize) {
            throw new IllegalArgumentException("attention layer " + layerIndex + ": qkv must be [" + tokens + ", "
                    + (querySize + 2 * kvSize) + "], got " + java.util.Arrays.toString(Weights.shape(qkv)));
        }
        Tensor query = qkv.narrow(1, 0, querySize).view(tokens, spec.numHeads(), spec.headDim());
        Tensor key = qkv.narrow(1, querySize, kvSize).view(tokens, spec.numKvHeads(), spec.headDim());
        Tensor value = qkv.narrow(1, querySize + kvSize, kvSize).view(tokens, spec.numKvHeads(), spec.headDim());
        return forward(cosSin.apply(query), cosSin.apply(key), value, batch).reshape(tokens, querySize);
    }

    private void checkShape(String what, Tensor t, int heads, long tokens) {
        if (t.dim() != 3 || t.size(0) != tokens || t.size(1) != heads || t.size(2) != spec.headDim()) {
            throw new IllegalArgumentException("attention layer " + layerIndex + ": " + what + " must be [" + tokens
                    + ", " + heads + ", " + spec.headDim() + "], got " + java.util.Arrays.toString(Weights.shape(t)));
        }
    }
}
