package ai.tessera.gemma4;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Gemma 4's RMSNorm: {@code x * (mean(x²) + eps)^-0.5 * weight}, all in float32, then cast back. Unlike Gemma 2/3
 * the weight multiplies as it is (not {@code 1 + weight}), and unlike Llama's norm it multiplies before the cast.
 * Some norms have no weight (the value norm, the router's and the multimodal embedders').
 */
final class Gemma4RmsNorm implements AutoCloseable {
    private static final long[] LAST_DIM = {-1};
    private final Tensor weight;
    private final double eps;

    private Gemma4RmsNorm(Tensor weight, double eps) {
        if (!(eps > 0)) {
            throw new IllegalArgumentException("RMSNorm epsilon must be positive, got " + eps);
        }
        this.weight = Held.hold(weight);
        this.eps = eps;
    }

    /** Loads {@code prefix.weight} {@code [dim]}. */
    static Gemma4RmsNorm load(WeightSource weights, WeightPrefix prefix, long dim, double eps)
            throws ModelLoadException {
        return new Gemma4RmsNorm(weights.load(prefix.tensor("weight"), dim), eps);
    }

    /** A norm without a learned scale ({@code with_scale=False}). */
    static Gemma4RmsNorm withoutScale(double eps) {
        return new Gemma4RmsNorm(null, eps);
    }

    /** {@code x [..., dim]} → the same shape and dtype. */
    Tensor forward(Tensor x) {
        ScalarType inputType = x.scalar_type();
        Tensor h = x.to(ScalarType.Float);
        Tensor meanSquared = h.pow(new Scalar(2L)).mean(LAST_DIM, true, new ScalarTypeOptional())
                .add(new Scalar(eps));
        Tensor normed = h.mul(meanSquared.pow(new Scalar(-0.5)));
        if (weight != null) {
            normed = normed.mul(weight.to(ScalarType.Float));
        }
        return normed.to(inputType);
    }

    @Override
    public void close() {
        Held.release(weight);
    }
}
