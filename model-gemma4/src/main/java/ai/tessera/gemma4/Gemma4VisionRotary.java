package ai.tessera.gemma4;

import ai.tessera.nn.CosSin;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The tower's 2-D RoPE ({@code Gemma4VisionRotaryEmbedding} and {@code apply_multidimensional_rope}): the head
 * splits in halves, the first rotated by the patch's column x, the second by its row y, each half with its own
 * {@code inv_freq[j] = theta^(-2j / (head_dim/2))} and {@code rotate_half} inside the half.
 */
final class Gemma4VisionRotary implements AutoCloseable {
    private final Tensor invFreq;

    private Gemma4VisionRotary(Tensor invFreq) {
        this.invFreq = Held.hold(invFreq);
    }

    static Gemma4VisionRotary create(int headDim, double theta, Device device) {
        int spatial = headDim / 2;
        TensorOptions floats = new TensorOptions(ScalarType.Float);
        Tensor exponents = torch.arange(new Scalar(0L), new Scalar((long) spatial), new Scalar(2L), floats)
                .div(new Scalar((long) spatial));
        Tensor inv = torch.pow(new Scalar(theta), exponents).reciprocal();
        return new Gemma4VisionRotary(inv.unsqueeze(0).to(device, ScalarType.Float));
    }

    /** cos and sin {@code [patches, 1, head_dim]}: {@code [x half | y half]}, each {@code cat(freqs, freqs)}. */
    CosSin cosSin(Tensor positions) {
        Tensor fx = positions.select(1, 0).to(ScalarType.Float).unsqueeze(1).mul(invFreq);
        Tensor fy = positions.select(1, 1).to(ScalarType.Float).unsqueeze(1).mul(invFreq);
        Tensor emb = torch.cat(new TensorVector(fx, fx, fy, fy), 1).unsqueeze(1);
        return new CosSin(emb.cos(), emb.sin());
    }

    /** {@code x [patches, heads, head_dim]} rotated half by half. */
    static Tensor apply(Tensor x, CosSin cs) {
        long half = x.size(2) / 2;
        Tensor[] parts = new Tensor[2];
        for (int h = 0; h < 2; h++) {
            Tensor part = x.narrow(2, h * half, half);
            Tensor cos = cs.cos().narrow(2, h * half, half);
            Tensor sin = cs.sin().narrow(2, h * half, half);
            parts[h] = part.mul(cos).add(rotateHalf(part).mul(sin));
        }
        return torch.cat(new TensorVector(parts[0], parts[1]), 2);
    }

    private static Tensor rotateHalf(Tensor x) {
        long half = x.size(-1) / 2;
        Tensor x1 = x.narrow(-1, 0, half);
        Tensor x2 = x.narrow(-1, half, half);
        return torch.cat(new TensorVector(x2.neg(), x1), -1);
    }

    @Override
    public void close() {
        Held.release(invFreq);
    }
}
