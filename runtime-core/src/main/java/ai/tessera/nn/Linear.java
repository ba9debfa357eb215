package ai.tessera.nn;

import java.util.Arrays;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * A fully connected layer, {@code y = x Wᵀ + b}, as {@code torch.nn.Linear}: the weight is {@code [out, in]}, the
 * layout checkpoints store, so it is used as loaded.
 */
public final class Linear implements AutoCloseable {
    private final Tensor weight;
    private final Tensor bias;

    /**
     * @param weight {@code [out, in]}
     * @param bias   {@code [out]}, or {@code null} for none
     */
    public Linear(Tensor weight, Tensor bias) {
        if (weight.dim() != 2) {
            throw new IllegalArgumentException("a linear weight must be 2-D [out, in], got shape "
                    + Arrays.toString(Weights.shape(weight)));
        }
        if (bias != null && (bias.dim() != 1 || bias.size(0) != weight.size(0))) {
            throw new IllegalArgumentException("a linear bias must be [" + weight.size(0) + "], got shape "
                    + Arrays.toString(Weights.shape(bias)));
        }
        this.weight = Weights.hold(weight);
        this.bias = Weights.hold(bias);
    }

    /** Loads {@code prefix.weight} {@code [outFeatures, inFeatures]} and, if {@code withBias}, {@code prefix.bias}. */
    public static Linear load(WeightSource weights, WeightPrefix prefix, long inFeatures, long outFeatures,
                              boolean withBias) throws ModelLoadException {
        Tensor weight = weights.load(prefix.tensor("weight"), outFeatures, inFeatures);
        Tensor bias = withBias ? weights.load(prefix.tensor("bias"), outFeatures) : null;
        return new Linear(weight, bias);
    }

    /** The output projection of tied word embeddings: {@code logits = h Eᵀ} with the embedding matrix itself. */
    public static Linear tiedTo(Embedding embedding) {
        return new Linear(embedding.weight(), null);
    }

    /** {@code x [..., in]} → {@code [..., out]}. */
    public Tensor forward(Tensor x) {
        return bias == null ? torch.linear(x, weight) : torch.linear(x, weight, new TensorOptional(bias));
    }

    public long inFeatures() {
        return weight.size(1);
    }

    public long outFeatures() {
        return weight.size(0);
    }

    public Tensor weight() {
        return weight;
    }

    @Override
    public void close() {
        Weights.release(weight);
        Weights.release(bias);
    }
}
