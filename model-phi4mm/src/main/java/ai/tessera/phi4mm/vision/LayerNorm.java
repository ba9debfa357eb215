package ai.tessera.phi4mm.vision;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/** {@code torch.nn.LayerNorm} over the last dimension, with weight and bias. */
final class LayerNorm implements AutoCloseable {
    private final Tensor weight;
    private final Tensor bias;
    private final long[] shape;
    private final double eps;

    private LayerNorm(Tensor weight, Tensor bias, double eps) {
        this.weight = weight;
        this.bias = bias;
        this.shape = new long[] {weight.size(0)};
        this.eps = eps;
        weight.retainReference();
        bias.retainReference();
    }

    static LayerNorm load(WeightSource weights, WeightPrefix prefix, long size, double eps) throws ModelLoadException {
        return new LayerNorm(weights.load(prefix.tensor("weight"), size), weights.load(prefix.tensor("bias"), size),
                eps);
    }

    Tensor forward(Tensor x) {
        return torch.layer_norm(x, shape, new TensorOptional(weight), new TensorOptional(bias), eps, false);
    }

    @Override
    public void close() {
        weight.releaseReference();
        bias.releaseReference();
    }
}
