package ai.tessera.phi4mm.audio;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/** {@code torch.nn.LayerNorm} over the last dimension with weight and bias, at its default eps 1e-5. */
final class LayerNorm implements AutoCloseable {
    private static final double EPS = 1e-5;
    private final Tensor weight;
    private final Tensor bias;
    private final long[] shape;

    private LayerNorm(Tensor weight, Tensor bias) {
        this.weight = weight;
        this.bias = bias;
        this.shape = new long[] {weight.size(0)};
        weight.retainReference();
        bias.retainReference();
    }

    static LayerNorm load(WeightSource weights, WeightPrefix prefix, long size) throws ModelLoadException {
        return new LayerNorm(weights.load(prefix.tensor("weight"), size), weights.load(prefix.tensor("bias"), size));
    }

    Tensor forward(Tensor x) {
        return torch.layer_norm(x, shape, new TensorOptional(weight), new TensorOptional(bias), EPS, false);
    }

    @Override
    public void close() {
        weight.releaseReference();
        bias.releaseReference();
    }
}
