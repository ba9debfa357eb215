package ai.tessera.gemma4;

import ai.tessera.api.ModelLoadException;
import ai.tessera.nn.CosSin;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The RoPE of one Gemma 4 layer kind, as transformers' {@code Gemma4TextRotaryEmbedding} computes it: inverse
 * frequencies over the whole head ({@code headDim / 2} of them) in float32, and cos/sin of {@code position × inv_freq}
 * duplicated over both halves, applied in the rotate-half layout to every channel.
 *
 * <p>Sliding layers use the default RoPE, {@code inv_freq[j] = theta^(-2j / head_dim)}. Full layers use
 * proportional RoPE: only the first {@code n = floor(partial_rotary_factor * global_head_dim / 2)} frequencies are
 * non-zero, still with denominator {@code global_head_dim}, so channels {@code [0, n)} and
 * {@code [D/2, D/2 + n)} rotate and the others see cos 1 and sin 0; all are divided by {@code factor}.
 */
final class Gemma4Rotary implements AutoCloseable {
    private final Tensor invFreq;

    private Gemma4Rotary(Tensor invFreq) {
        this.invFreq = Held.hold(invFreq);
    }

    static Gemma4Rotary create(Gemma4TextConfig.Rope rope, int headDim, Device device) throws ModelLoadException {
        if (headDim % 2 != 0) {
            throw new ModelLoadException("RoPE needs an even head size, got " + headDim);
        }
        int rotated = switch (rope.type()) {
            case "default" -> headDim / 2;
            case "proportional" -> (int) Math.floor(rope.partialRotaryFactor() * headDim / 2.0);
            default -> throw new ModelLoadException("RoPE type '" + rope.type() + "' is not one of Gemma 4's"
                    + " (default, proportional)");
        };
        TensorOptions floats = new TensorOptions(ScalarType.Float);
        Tensor exponents = torch.arange(new Scalar(0L), new Scalar(2L * rotated), new Scalar(2L), floats)
                .div(new Scalar((long) headDim));
        Tensor inv = torch.pow(new Scalar(rope.theta()), exponents).reciprocal();
        if (rotated < headDim / 2) {
            inv = torch.cat(new TensorVector(inv, torch.zeros(new long[] {headDim / 2 - rotated}, floats)), 0);
        }
        if (rope.type().equals("proportional")) {
            inv = inv.div(new Scalar(rope.factor()));
        }
        return new Gemma4Rotary(inv.unsqueeze(0).to(device, ScalarType.Float));
    }

    /** float32 {@code [1, headDim/2]}. */
    Tensor inverseFrequencies() {
        return invFreq;
    }

    /** cos and sin {@code [tokens, headDim]} of int64 {@code positions [tokens]}, in {@code dtype}. */
    CosSin cosSin(Tensor positions, ScalarType dtype) {
        Tensor freqs = positions.to(ScalarType.Float).unsqueeze(1).mul(invFreq);
        Tensor emb = torch.cat(new TensorVector(freqs, freqs), 1);
        return new CosSin(emb.cos().to(dtype), emb.sin().to(dtype));
    }

    @Override
    public void close() {
        Held.release(invFreq);
    }
}
