package ai.tessera.phi4mm.vision;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.LayerNorm;
import ai.tessera.nn.Linear;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * A pre-norm SigLIP encoder layer, {@code h += attn(ln1(h)); h += fc2(gelu(fc1(ln2(h))))}, over a batch of crops:
 * every patch of a crop attends to the crop's unpadded patches ({@code patch_attention_mask}).
 */
final class SiglipEncoderLayer implements AutoCloseable {
    private final LayerNorm layerNorm1;
    private final Linear qProj;
    private final Linear kProj;
    private final Linear vProj;
    private final Linear outProj;
    private final LayerNorm layerNorm2;
    private final Linear fc1;
    private final Linear fc2;
    private final SiglipVisionConfig config;

    private SiglipEncoderLayer(LayerNorm ln1, Linear q, Linear k, Linear v, Linear out, LayerNorm ln2, Linear fc1,
                               Linear fc2, SiglipVisionConfig config) {
        this.layerNorm1 = ln1;
        this.qProj = q;
        this.kProj = k;
        this.vProj = v;
        this.outProj = out;
        this.layerNorm2 = ln2;
        this.fc1 = fc1;
        this.fc2 = fc2;
        this.config = config;
    }

    static SiglipEncoderLayer load(WeightSource weights, WeightPrefix prefix, SiglipVisionConfig config)
            throws ModelLoadException {
        long d = config.hiddenSize();
        WeightPrefix attn = prefix.child("self_attn");
        WeightPrefix mlp = prefix.child("mlp");
        return new SiglipEncoderLayer(
                LayerNorm.load(weights, prefix.child("layer_norm1"), d, config.layerNormEps()),
                Linear.load(weights, attn.child("q_proj"), d, d, true),
                Linear.load(weights, attn.child("k_proj"), d, d, true),
                Linear.load(weights, attn.child("v_proj"), d, d, true),
                Linear.load(weights, attn.child("out_proj"), d, d, true),
                LayerNorm.load(weights, prefix.child("layer_norm2"), d, config.layerNormEps()),
                Linear.load(weights, mlp.child("fc1"), d, config.intermediateSize(), true),
                Linear.load(weights, mlp.child("fc2"), config.intermediateSize(), d, true),
                config);
    }

    /**
     * @param hidden  {@code [crops, patches, d]}
     * @param keyMask bool {@code [crops, 1, 1, patches]}: true for the patches that may be attended to, or
     *                {@code null} when none is padded
     */
    Tensor forward(Tensor hidden, Tensor keyMask) {
        hidden = hidden.add(attention(layerNorm1.forward(hidden), keyMask));
        return hidden.add(fc2.forward(torch.gelu(fc1.forward(layerNorm2.forward(hidden)),
                config.geluApproximation())));
    }

    private Tensor attention(Tensor x, Tensor keyMask) {
        long crops = x.size(0);
        long n = x.size(1);
        int heads = config.numAttentionHeads();
        int headDim = config.headDim();
        Tensor q = qProj.forward(x).view(crops, n, heads, headDim).transpose(1, 2);
        Tensor k = kProj.forward(x).view(crops, n, heads, headDim).transpose(1, 2);
        Tensor v = vProj.forward(x).view(crops, n, heads, headDim).transpose(1, 2);
        Tensor out = torch.scaled_dot_product_attention(q, k, v,
                keyMask == null ? new TensorOptional() : new TensorOptional(keyMask), 0.0, false,
                new DoubleOptional(Math.pow(headDim, -0.5)), false);
        return outProj.forward(out.transpose(1, 2).reshape(crops, n, (long) heads * headDim));
    }

    @Override
    public void close() {
        layerNorm1.close();
        qProj.close();
        kProj.close();
        vProj.close();
        outProj.close();
        layerNorm2.close();
        fc1.close();
        fc2.close();
    }
}
