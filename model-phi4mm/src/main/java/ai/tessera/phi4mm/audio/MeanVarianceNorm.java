package ai.tessera.phi4mm.audio;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Tensor;

/** The encoder's input normalisation with the checkpoint's global statistics: {@code (x - global_mean) * global_invstd}. */
final class MeanVarianceNorm implements AutoCloseable {
    private final Tensor mean;
    private final Tensor invStd;

    private MeanVarianceNorm(Tensor mean, Tensor invStd) {
        this.mean = mean;
        this.invStd = invStd;
        mean.retainReference();
        invStd.retainReference();
    }

    static MeanVarianceNorm load(WeightSource weights, WeightPrefix prefix, int inputSize) throws ModelLoadException {
        return new MeanVarianceNorm(weights.load(prefix.tensor("global_mean"), inputSize),
                weights.load(prefix.tensor("global_invstd"), inputSize));
    }

    /** {@code [..., input_size]}. */
    Tensor forward(Tensor x) {
        return x.sub(mean).mul(invStd);
    }

    @Override
    public void close() {
        mean.releaseReference();
        invStd.releaseReference();
    }
}
