package ai.tessera.qwen25vl;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.CosSin;
import ai.tessera.nn.Linear;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Bidirectional attention within segments ({@code Qwen2_5_VLVisionAttention}): one {@code qkv} projection with bias,
 * the 2-D rotary embedding applied in float32, attention of each window (or frame) to itself, {@code proj} with
 * bias. transformers runs one attention per segment; here all segments go through one padded call.
 */
final class VisionAttention implements AutoCloseable {
    private final Linear qkv;
    private final Linear proj;
    private final int numHeads;
    private final int headDim;

    private VisionAttention(Linear qkv, Linear proj, int numHeads, int headDim) {
        this.qkv = qkv;
        this.proj = proj;
        this.numHeads = numHeads;
        this.headDim = headDim;
    }

    static VisionAttention load(WeightSource weights, VisionConfig config, WeightPrefix prefix)
            throws ModelLoadException {
        long dim = config.hiddenSize();
        return new VisionAttention(Linear.load(weights, prefix.child("qkv"), dim, 3 * dim, true),
                Linear.load(weights, prefix.child("proj"), dim, dim, true), config.numHeads(), config.headDim());
    }

    /** {@code hidden [patches, dim]} in window order → {@code [patches, dim]}. */
    Tensor forward(Tensor hidden, CosSin cosSin, PackedSegments segments) {
        long patches = hidden.size(0);
        // [patches, 3, heads, headDim]: queries, keys and values of each head, as transformers reshapes it
        Tensor projected = qkv.forward(hidden).view(patches, 3, numHeads, headDim);
        ScalarType dtype = hidden.scalar_type();
        Tensor query = cosSin.apply(projected.select(1, 0).to(ScalarType.Float)).to(dtype);
        Tensor key = cosSin.apply(projected.select(1, 1).to(ScalarType.Float)).to(dtype);
        Tensor value = projected.select(1, 2);
        Tensor mask = segments.keyMask();
        Tensor attended = torch.scaled_dot_product_attention(segments.pad(query), segments.pad(key),
                segments.pad(value), mask == null ? new TensorOptional() : new TensorOptional(mask), 0.0, false,
                new DoubleOptional(Math.pow(headDim, -0.5)), false);
        return proj.forward(segments.unpad(attended));
    }

    @Override
    public void close() {
        qkv.close();
        proj.close();
    }
}
