package ai.tessera.qwen25vl;

import ai.tessera.nn.CosSin;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The vision tower's 2-D rotary embedding ({@code Qwen2_5_VLVisionRotaryEmbedding}, "axial"): a head's first half
 * turns with the patch's row, its second half with its column, both with the frequencies of a
 * {@code headDim / 2}-channel RoPE; float32 throughout.
 */
final class VisionRotaryEmbedding implements AutoCloseable {
    private final Tensor invFreq;

    VisionRotaryEmbedding(int headDim, double theta, Device device) {
        this.invFreq = MultimodalRotaryEmbedding.inverseFrequencies(theta, headDim / 2).to(device, ScalarType.Float);
        this.invFreq.retainReference();
    }

    /** float32 {@code [headDim / 4]}. */
    Tensor inverseFrequencies() {
        return invFreq;
    }

    /** float32 cos and sin {@code [patches, headDim]} of int64 {@code rows} and {@code cols} {@code [patches]}. */
    CosSin cosSin(Tensor rows, Tensor cols) {
        Tensor freqH = rows.to(invFreq.device(), ScalarType.Float).unsqueeze(1).mul(invFreq);
        Tensor freqW = cols.to(invFreq.device(), ScalarType.Float).unsqueeze(1).mul(invFreq);
        Tensor hw = torch.cat(new TensorVector(freqH, freqW), 1);
        Tensor emb = torch.cat(new TensorVector(hw, hw), 1);
        return new CosSin(emb.cos(), emb.sin());
    }

    @Override
    public void close() {
        invFreq.releaseReference();
    }
}
