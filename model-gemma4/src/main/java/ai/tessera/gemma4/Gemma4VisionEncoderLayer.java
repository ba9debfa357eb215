package ai.tessera.gemma4;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.CosSin;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * One layer of the vision encoder ({@code Gemma4VisionEncoderLayer}): sandwich norms around attention and the gated
 * MLP as in the text decoder. Attention ({@code Gemma4VisionAttention}) has q/k norms with weights, a v norm
 * without, the 2-D RoPE, scale 1.0, and is bidirectional over one image's patches (the padding transformers masks
 * is never computed here: an image is encoded with its real patches only).
 */
final class Gemma4VisionEncoderLayer implements AutoCloseable {
    private final Gemma4VisionConfig config;
    private final ClippableLinear qProj;
    private final ClippableLinear kProj;
    private final ClippableLinear vProj;
    private final ClippableLinear oProj;
    private final Gemma4RmsNorm qNorm;
    private final Gemma4RmsNorm kNorm;
    private final Gemma4RmsNorm vNorm;
    private final ClippableLinear gateProj;
    private final ClippableLinear upProj;
    private final ClippableLinear downProj;
    private final Gemma4RmsNorm inputLayernorm;
    private final Gemma4RmsNorm postAttentionLayernorm;
    private final Gemma4RmsNorm preFeedforwardLayernorm;
    private final Gemma4RmsNorm postFeedforwardLayernorm;

    private Gemma4VisionEncoderLayer(Gemma4VisionConfig config, ClippableLinear[] projections, Gemma4RmsNorm[] norms) {
        this.config = config;
        this.qProj = projections[0];
        this.kProj = projections[1];
        this.vProj = projections[2];
        this.oProj = projections[3];
        this.gateProj = projections[4];
        this.upProj = projections[5];
        this.downProj = projections[6];
        this.qNorm = norms[0];
        this.kNorm = norms[1];
        this.vNorm = norms[2];
        this.inputLayernorm = norms[3];
        this.postAttentionLayernorm = norms[4];
        this.preFeedforwardLayernorm = norms[5];
        this.postFeedforwardLayernorm = norms[6];
    }

    static Gemma4VisionEncoderLayer load(WeightSource weights, Gemma4VisionConfig c, WeightPrefix prefix)
            throws ModelLoadException {
        try (LoadGuard guard = new LoadGuard()) {
            WeightPrefix attn = prefix.child("self_attn");
            WeightPrefix mlp = prefix.child("mlp");
            long hidden = c.hiddenSize();
            long q = (long) c.numAttentionHeads() * c.headDim();
            long kv = (long) c.numKeyValueHeads() * c.headDim();
            boolean clip = c.useClippedLinears();
            ClippableLinear[] projections = {
                guard.add(ClippableLinear.load(weights, attn.child("q_proj"), hidden, q, clip)),
                guard.add(ClippableLinear.load(weights, attn.child("k_proj"), hidden, kv, clip)),
                guard.add(ClippableLinear.load(weights, attn.child("v_proj"), hidden, kv, clip)),
                guard.add(ClippableLinear.load(weights, attn.child("o_proj"), q, hidden, clip)),
                guard.add(ClippableLinear.load(weights, mlp.child("gate_proj"), hidden, c.intermediateSize(), clip)),
                guard.add(ClippableLinear.load(weights, mlp.child("up_proj"), hidden, c.intermediateSize(), clip)),
                guard.add(ClippableLinear.load(weights, mlp.child("down_proj"), c.intermediateSize(), hidden, clip))};
            double eps = c.rmsNormEps();
            Gemma4RmsNorm[] norms = {
                guard.add(Gemma4RmsNorm.load(weights, attn.child("q_norm"), c.headDim(), eps)),
                guard.add(Gemma4RmsNorm.load(weights, attn.child("k_norm"), c.headDim(), eps)),
                guard.add(Gemma4RmsNorm.withoutScale(eps)),
                guard.add(Gemma4RmsNorm.load(weights, prefix.child("input_layernorm"), hidden, eps)),
                guard.add(Gemma4RmsNorm.load(weights, prefix.child("post_attention_layernorm"), hidden, eps)),
                guard.add(Gemma4RmsNorm.load(weights, prefix.child("pre_feedforward_layernorm"), hidden, eps)),
                guard.add(Gemma4RmsNorm.load(weights, prefix.child("post_feedforward_layernorm"), hidden, eps))};
            return guard.done(new Gemma4VisionEncoderLayer(c, projections, norms));
        }
    }

    /** {@code hidden [patches, hidden]} of one image → the same shape. */
    Tensor forward(Tensor hidden, CosSin cosSin) {
        Tensor attended = postAttentionLayernorm.forward(attention(inputLayernorm.forward(hidden), cosSin));
        hidden = hidden.add(attended);
        Tensor x = preFeedforwardLayernorm.forward(hidden);
        Tensor mlp = downProj.forward(Gemma4Mlp.geluTanh(gateProj.forward(x)).mul(upProj.forward(x)));
        return hidden.add(postFeedforwardLayernorm.forward(mlp));
    }

    private Tensor attention(Tensor x, CosSin cosSin) {
        long patches = x.size(0);
        int headDim = config.headDim();
        Tensor q = Gemma4VisionRotary.apply(qNorm.forward(qProj.forward(x).view(patches, -1, headDim)), cosSin);
        Tensor k = Gemma4VisionRotary.apply(kNorm.forward(kProj.forward(x).view(patches, -1, headDim)), cosSin);
        Tensor v = vNorm.forward(vProj.forward(x).view(patches, -1, headDim));
        // [heads, patches, head_dim]; every patch sees every patch of its image; scale 1.0 (the q/k norms scale).
        // Written out as transformers' eager attention (float32 softmax) so that the rows agree to rounding.
        int groups = config.numAttentionHeads() / config.numKeyValueHeads();
        Tensor keys = k.transpose(0, 1);
        Tensor values = v.transpose(0, 1);
        if (groups > 1) {
            keys = keys.repeat_interleave(groups, new LongOptional(0), new LongOptional());
            values = values.repeat_interleave(groups, new LongOptional(0), new LongOptional());
        }
        Tensor scores = q.transpose(0, 1).matmul(keys.transpose(1, 2));
        Tensor probs = scores.softmax(-1, new ScalarTypeOptional(ScalarType.Float)).to(q.scalar_type());
        Tensor out = probs.matmul(values);
        return oProj.forward(out.transpose(0, 1).reshape(patches, -1));
    }

    @Override
    public void close() {
        for (AutoCloseable module : new AutoCloseable[] {qProj, kProj, vProj, oProj, gateProj, upProj, downProj}) {
            ((ClippableLinear) module).close();
        }
        for (Gemma4RmsNorm norm : new Gemma4RmsNorm[] {qNorm, kNorm, vNorm, inputLayernorm, postAttentionLayernorm,
                preFeedforwardLayernorm, postFeedforwardLayernorm}) {
            norm.close();
        }
    }
}
