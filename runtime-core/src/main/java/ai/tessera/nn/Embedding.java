package ai.tessera.nn;

import java.util.Arrays;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** A lookup table of token embeddings, {@code [vocab, hidden]}, as {@code torch.nn.Embedding}. */
public final class Embedding implements AutoCloseable {
    private final Tensor weight;

    public Embedding(Tensor weight) {
        if (weight.dim() != 2) {
            throw new IllegalArgumentException("an embedding table must be 2-D [vocab, hidden], got shape "
                    + Arrays.toString(Weights.shape(weight)));
        }
        this.weight = Weights.hold(weight);
    }

    /** Loads {@code prefix.weight} {@code [numEmbeddings, embeddingDim]}. */
    public static Embedding load(WeightSource weights, WeightPrefix prefix, long numEmbeddings, long embeddingDim)
            throws ModelLoadException {
        return new Embedding(weights.load(prefix.tensor("weight"), numEmbeddings, embeddingDim));
    }

    /** int64 {@code ids [...]} → {@code [..., hidden]}. */
    public Tensor forward(Tensor ids) {
        return torch.embedding(weight, ids);
    }

    public Tensor weight() {
        return weight;
    }

    @Override
    public void close() {
        Weights.release(weight);
    }
}
