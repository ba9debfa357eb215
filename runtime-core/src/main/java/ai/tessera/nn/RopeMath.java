package ai.tessera.nn;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** The float32 arithmetic shared by the RoPE variants, in transformers' order of operations. */
final class RopeMath {
    private RopeMath() {
    }

    /** {@code theta ^ (arange(0, rotaryDim, 2) / rotaryDim)}, float32 on the CPU: the wavelengths before scaling. */
    static Tensor basePowers(double theta, int rotaryDim) {
        Tensor exponents = torch.arange(new Scalar(0L), new Scalar((long) rotaryDim), new Scalar(2L),
                new TensorOptions(ScalarType.Float)).div(new Scalar((long) rotaryDim));
        return torch.pow(new Scalar(theta), exponents);
    }

    /**
     * cos and sin of {@code positions × invFreq}, duplicated over both halves, scaled by {@code attentionScaling}
     * in float32 and cast to {@code dtype}.
     *
     * @param positions int64 {@code [tokens]}
     * @param invFreq   float32 {@code [1, rotaryDim/2]} or {@code [tokens, rotaryDim/2]}
     */
    static CosSin cosSin(Tensor positions, Tensor invFreq, double attentionScaling, ScalarType dtype) {
        Tensor freqs = positions.to(ScalarType.Float).unsqueeze(1).mul(invFreq);
        Tensor emb = torch.cat(new TensorVector(freqs, freqs), 1);
        Scalar scaling = new Scalar(attentionScaling);
        return new CosSin(emb.cos().mul(scaling).to(dtype), emb.sin().mul(scaling).to(dtype));
    }
}
