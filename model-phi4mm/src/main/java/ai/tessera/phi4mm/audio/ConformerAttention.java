package ai.tessera.phi4mm.audio;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.Linear;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Bidirectional multi-head self-attention ({@code self_attn}: {@code linear_q/k/v}, {@code linear_out}, with biases)
 * whose logits get the relative position bias and the key padding mask added, computed as transformers' eager
 * attention: {@code softmax(q kᵀ · head_dim^-1/2 + bias) v}.
 */
final class ConformerAttention implements AutoCloseable {
    private final Linear q;
    private final Linear k;
    private final Linear v;
    private final Linear out;
    private final int heads;
    private final int headDim;

    private ConformerAttention(Linear q, Linear k, Linear v, Linear out, int heads, int headDim) {
        this.q = q;
        this.k = k;
        this.v = v;
        this.out = out;
        this.heads = heads;
        this.headDim = headDim;
    }

    static ConformerAttention load(WeightSource weights, WeightPrefix prefix, Phi4MMAudioConfig config)
            throws ModelLoadException {
        long d = config.attentionDim();
        return new ConformerAttention(Linear.load(weights, prefix.child("linear_q"), d, d, true),
                Linear.load(weights, prefix.child("linear_k"), d, d, true),
                Linear.load(weights, prefix.child("linear_v"), d, d, true),
                Linear.load(weights, prefix.child("linear_out"), d, d, true), config.attentionHeads(),
                config.headDim());
    }

    /**
     * @param x    {@code [sequences, length, attention_dim]}
     * @param bias {@code [sequences or 1, heads, length, length]}: relative position bias plus -inf at padded keys
     */
    Tensor forward(Tensor x, Tensor bias) {
        long sequences = x.size(0);
        long length = x.size(1);
        Tensor scores = torch.matmul(split(q.forward(x)), split(k.forward(x)).transpose(2, 3))
                .mul(new Scalar(Math.pow(headDim, -0.5))).add(bias);
        Tensor attended = torch.matmul(torch.softmax(scores, -1), split(v.forward(x)));
        return out.forward(attended.transpose(1, 2).reshape(sequences, length, (long) heads * headDim));
    }

    /** {@code [s, n, heads * head_dim]} → {@code [s, heads, n, head_dim]}. */
    private Tensor split(Tensor x) {
        return x.view(x.size(0), x.size(1), heads, headDim).transpose(1, 2);
    }

    @Override
    public void close() {
        q.close();
        k.close();
        v.close();
        out.close();
    }
}
