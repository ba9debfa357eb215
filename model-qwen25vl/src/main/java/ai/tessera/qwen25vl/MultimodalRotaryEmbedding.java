package ai.tessera.qwen25vl;

import java.util.List;

import ai.tessera.nn.CosSin;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Multimodal rotary position embedding (M-RoPE, transformers' {@code Qwen2_5_VLRotaryEmbedding}): every token has
 * a temporal, a height and a width position; the first {@code mrope_section[0]} rotary frequencies turn with the
 * temporal one, the next {@code mrope_section[1]} with the height, the rest with the width. Text tokens have three
 * equal positions, which makes it the ordinary RoPE. Computed in float32, then cast, as transformers does.
 */
final class MultimodalRotaryEmbedding implements AutoCloseable {
    private final Tensor invFreq;
    private final List<Integer> section;

    MultimodalRotaryEmbedding(int headDim, double theta, List<Integer> section, Device device) {
        this.invFreq = inverseFrequencies(theta, headDim).to(device, ScalarType.Float);
        this.invFreq.retainReference();
        this.section = List.copyOf(section);
    }

    /** {@code 1 / theta^(2i / dim)} for {@code i < dim / 2}, in float32 as transformers computes it. */
    static Tensor inverseFrequencies(double theta, int dim) {
        Tensor exponents = torch.arange(new Scalar(0L), new Scalar((long) dim), new Scalar(2L),
                new TensorOptions(ScalarType.Float)).div(new Scalar((long) dim));
        return torch.pow(new Scalar(theta), exponents).reciprocal();
    }

    /** float32 {@code [headDim / 2]}. */
    Tensor inverseFrequencies() {
        return invFreq;
    }

    /**
     * cos and sin {@code [tokens, headDim]} for one step.
     *
     * @param positions int64 {@code [3, tokens]} (temporal, height, width), or {@code [tokens]} for text alone
     */
    CosSin cosSin(Tensor positions, ScalarType dtype) {
        if (positions.dim() == 1) {
            positions = positions.unsqueeze(0).expand(3, -1);
        }
        if (positions.dim() != 2 || positions.size(0) != 3) {
            throw new IllegalArgumentException("M-RoPE positions must be [3, tokens] (temporal, height, width), got "
                    + positions.dim() + "-D with " + positions.size(0) + " rows");
        }
        // [3, tokens, dim/2]: every frequency against every row; each section then takes its own row
        Tensor freqs = positions.to(invFreq.device(), ScalarType.Float).unsqueeze(2).mul(invFreq);
        TensorVector parts = new TensorVector();
        long start = 0;
        for (int row = 0; row < 3; row++) {
            parts.push_back(freqs.select(0, row).narrow(1, start, section.get(row)));
            start += section.get(row);
        }
        Tensor picked = torch.cat(parts, 1);
        Tensor emb = torch.cat(new TensorVector(picked, picked), 1);
        return new CosSin(emb.cos().to(dtype), emb.sin().to(dtype));
    }

    @Override
    public void close() {
        invFreq.releaseReference();
    }
}
