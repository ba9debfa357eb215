package ai.tessera.nn;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Root-mean-square normalisation, {@code weight * x / sqrt(mean(x²) + eps)}. As transformers' Llama/Phi-3 RMSNorm,
 * the statistics are computed in float32 whatever the activation dtype (bfloat16 squares lose too much), and the
 * result is cast back before the weight multiplies it.
 */
public final class RmsNorm implements AutoCloseable {
    private static final long[] LAST_DIM = {-1};
    private final Tensor weight;
    private final double eps;

    public RmsNorm(Tensor weight, double eps) {
        if (weight.dim() != 1) {
            throw new IllegalArgumentException("an RMSNorm weight must be 1-D, got " + weight.dim() + "-D");
        }
        if (!(eps > 0)) {
            throw new IllegalArgumentException("RMSNorm epsilon must be positive, got " + eps);
        }
        this.weight = Weights.hold(weight);
        this.eps = eps;
    }

    /** Loads {@code prefix.weight} {@code [hidden]}. */
    public static RmsNorm load(WeightSource weights, WeightPrefix prefix, long hidden, double eps)
            throws ModelLoadException {
        return new RmsNorm(weights.load(prefix.tensor("weight"), hidden), eps);
    }

    /** {@code x [..., hidden]} → the same shape and dtype. */
    public Tensor forward(Tensor x) {
        ScalarType inputType = x.scalar_type();
        Tensor h = x.to(ScalarType.Float);
        Tensor variance = h.pow(new Scalar(2L)).mean(LAST_DIM, true, new ScalarTypeOptional());
        h = h.mul(torch.rsqrt(variance.add(new Scalar(eps))));
        return weight.mul(h.to(inputType));
    }

    @Override
    public void close() {
        Weights.release(weight);
    }
}
