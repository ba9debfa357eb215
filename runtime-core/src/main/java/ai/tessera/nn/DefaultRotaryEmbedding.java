package ai.tessera.nn;

import ai.tessera.api.AttentionMetadata;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** The original RoPE: {@code inv_freq[i] = 1 / theta^(2i / rotaryDim)}, no scaling. */
public final class DefaultRotaryEmbedding implements RotaryEmbedding {
    private final int rotaryDim;
    private final Tensor invFreq;

    public DefaultRotaryEmbedding(int rotaryDim, double theta, Device device) {
        if (rotaryDim <= 0 || rotaryDim % 2 != 0) {
            throw new IllegalArgumentException("the rotary dimension must be positive and even, got " + rotaryDim);
        }
        this.rotaryDim = rotaryDim;
        this.invFreq = Weights.hold(RopeMath.basePowers(theta, rotaryDim).reciprocal().unsqueeze(0).to(device,
                ScalarType.Float));
    }

    /** float32 {@code [1, rotaryDim/2]} on the model's device. */
    public Tensor inverseFrequencies() {
        return invFreq;
    }

    @Override
    public int rotaryDim() {
        return rotaryDim;
    }

    @Override
    public CosSin cosSin(Tensor positions, AttentionMetadata attention, ScalarType dtype) {
        return RopeMath.cosSin(positions, invFreq, 1.0, dtype);
    }

    @Override
    public void close() {
        Weights.release(invFreq);
    }
}
