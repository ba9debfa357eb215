package ai.tessera.gemma4;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.Embedding;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * An embedding lookup multiplied by a constant ({@code Gemma4TextScaledWordEmbedding}): {@code sqrt(hidden_size)} for
 * the token embeddings, {@code sqrt(hidden_size_per_layer_input)} for the per-layer ones. The constant is rounded to
 * the weight's dtype first, as transformers does (in bfloat16, sqrt(1536) = 39.19 becomes 39.25).
 */
final class ScaledEmbedding implements AutoCloseable {
    private final Embedding embedding;
    private final Tensor scale;

    private ScaledEmbedding(Embedding embedding, Tensor scale) {
        this.embedding = embedding;
        this.scale = Held.hold(scale);
    }

    static ScaledEmbedding load(WeightSource weights, WeightPrefix prefix, long numEmbeddings, long dim, double scale)
            throws ModelLoadException {
        Embedding embedding = Embedding.load(weights, prefix, numEmbeddings, dim);
        Tensor weight = embedding.weight();
        Tensor constant = torch.scalar_tensor(new Scalar(scale), new TensorOptions(ScalarType.Float))
                .to(weight.device(), weight.scalar_type());
        return new ScaledEmbedding(embedding, constant);
    }

    /** int64 {@code ids [...]} → {@code [..., dim]}. */
    Tensor forward(Tensor ids) {
        return embedding.forward(ids).mul(scale);
    }

    /** The unscaled table: the tied {@code lm_head}. */
    Embedding embedding() {
        return embedding;
    }

    @Override
    public void close() {
        embedding.close();
        Held.release(scale);
    }
}
