package ai.tessera.phi4.vision;

import java.util.ArrayList;
import java.util.List;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.Linear;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Bidirectional multi-head attention within each image of a packed sequence (varlen attention over
 * {@code cu_seqlens}): an image's patches attend to all of its patches and to no other image's, with no padding
 * computed or masked.
 */
final class Siglip2Attention implements AutoCloseable {
    private final Linear qProj;
    private final Linear kProj;
    private final Linear vProj;
    private final Linear outProj;
    private final int heads;
    private final int headDim;

    private Siglip2Attention(Linear q, Linear k, Linear v, Linear out, int heads, int headDim) {
        this.qProj = q;
        this.kProj = k;
        this.vProj = v;
        this.outProj = out;
        this.heads = heads;
        this.headDim = headDim;
    }

    static Siglip2Attention load(WeightSource weights, WeightPrefix prefix, Siglip2VisionConfig config)
            throws ModelLoadException {
        long d = config.hiddenSize();
        return new Siglip2Attention(Linear.load(weights, prefix.child("q_proj"), d, d, true),
                Linear.load(weights, prefix.child("k_proj"), d, d, true),
                Linear.load(weights, prefix.child("v_proj"), d, d, true),
                Linear.load(weights, prefix.child("out_proj"), d, d, true), config.numAttentionHeads(),
                config.headDim());
    }

    /** {@code hidden [Σ n, d]}, image {@code i} at rows {@code cuSeqlens[i] .. cuSeqlens[i+1]}. */
    Tensor forward(Tensor hidden, int[] cuSeqlens) {
        Tensor q = qProj.forward(hidden);
        Tensor k = kProj.forward(hidden);
        Tensor v = vProj.forward(hidden);
        List<Tensor> outputs = new ArrayList<>();
        DoubleOptional scale = new DoubleOptional(Math.pow(headDim, -0.5));
        for (int i = 0; i + 1 < cuSeqlens.length; i++) {
            int from = cuSeqlens[i];
            int n = cuSeqlens[i + 1] - from;
            Tensor out = torch.scaled_dot_product_attention(heads(q, from, n), heads(k, from, n), heads(v, from, n),
                    new TensorOptional(), 0.0, false, scale, false);
            outputs.add(out.squeeze(0).transpose(0, 1).reshape(n, (long) heads * headDim));
        }
        Tensor attended = outputs.size() == 1 ? outputs.get(0)
                : torch.cat(new TensorVector(outputs.toArray(new Tensor[0])), 0);
        return outProj.forward(attended);
    }

    /** Rows {@code from .. from+n} as {@code [1, heads, n, head_dim]}. */
    private Tensor heads(Tensor x, int from, int n) {
        return x.narrow(0, from, n).view(n, heads, headDim).transpose(0, 1).unsqueeze(0);
    }

    @Override
    public void close() {
        qProj.close();
        kProj.close();
        vProj.close();
        outProj.close();
    }
}
