package ai.tessera.nn;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/** {@code torch.nn.LayerNorm} over the last dimension, with weight and bias (the vision and audio towers' norm). */
public final class LayerNorm implements AutoCloseable {
    /** {@code torch.nn.LayerNorm}'s default epsilon. */
    public static final double DEFAULT_EPS = 1e-5;

    private final Tensor weight;
    private final Tensor bias;
    private final long[] shape;
    private final double eps;

    public LayerNorm(Tensor weight, Tensor bias, double eps) {
        if (weight.dim() != 1 || bias.dim() != 1 || weight.size(0) != bias.size(0)) {
            throw new IllegalArgumentException("a LayerNorm needs a 1-D weight and bias of one size, got "
                    + java.util.Arrays.toString(weight.shape()) + " and " + java.util.Arrays.toString(bias.shape()));
        }
        if (!(eps > 0)) {
            throw new IllegalArgumentException("LayerNorm epsilon must be positive, got " + eps);
        }
        this.weight = Weights.hold(weight);
        this.bias = Weights.hold(bias);
        this.shape = new long[] {weight.size(0)};
        this.eps = eps;
    }

    /** Loads {@code prefix.weight} and {@code prefix.bias}, both {@code [size]}. */
    public static LayerNorm load(WeightSource weights, WeightPrefix prefix, long size, double eps)
            throws ModelLoadException {
        return new LayerNorm(weights.load(prefix.tensor("weight"), size), weights.load(prefix.tensor("bias"), size),
                eps);
    }

    /** {@code x [..., size]} → the same shape. */
    public Tensor forward(Tensor x) {
        return torch.layer_norm(x, shape, new TensorOptional(weight), new TensorOptional(bias), eps, false);
    }

    @Override
    public void close() {
        Weights.release(weight);
        Weights.release(bias);
    }
}
