package ai.tessera.phi4mm;

import ai.tessera.api.AttentionLayerSpec;
import ai.tessera.api.ForwardBatch;
import ai.tessera.api.ModelContext;
import ai.tessera.api.ModelLoadException;
import ai.tessera.nn.CosSin;
import ai.tessera.nn.RmsNorm;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Tensor;

/** A pre-norm Phi-3 decoder layer: {@code h += attn(norm(h)); h += mlp(norm(h))}. */
final class Phi4MMDecoderLayer implements AutoCloseable {
    private final RmsNorm inputLayernorm;
    private final Phi4MMAttention selfAttn;
    private final RmsNorm postAttentionLayernorm;
    private final Phi4MMMlp mlp;

    private Phi4MMDecoderLayer(RmsNorm inputLayernorm, Phi4MMAttention selfAttn, RmsNorm postAttentionLayernorm,
                               Phi4MMMlp mlp) {
        this.inputLayernorm = inputLayernorm;
        this.selfAttn = selfAttn;
        this.postAttentionLayernorm = postAttentionLayernorm;
        this.mlp = mlp;
    }

    static Phi4MMDecoderLayer load(ModelContext context, Phi4MMConfig config, WeightPrefix prefix, int layerIndex,
                                   AttentionLayerSpec spec) throws ModelLoadException {
        RmsNorm in = RmsNorm.load(context.weights(), prefix.child("input_layernorm"), config.hiddenSize(),
                config.rmsNormEps());
        RmsNorm post = RmsNorm.load(context.weights(), prefix.child("post_attention_layernorm"), config.hiddenSize(),
                config.rmsNormEps());
        Phi4MMAttention attn = Phi4MMAttention.load(context, config, prefix.child("self_attn"), layerIndex, spec);
        try {
            return new Phi4MMDecoderLayer(in, attn, post, Phi4MMMlp.load(context.weights(), prefix.child("mlp"),
                    config));
        } catch (ModelLoadException | RuntimeException e) {
            attn.close();
            throw e;
        }
    }

    Tensor forward(Tensor hidden, CosSin cosSin, ForwardBatch batch, AdapterRows rows) {
        Tensor residual = hidden;
        hidden = residual.add(selfAttn.forward(inputLayernorm.forward(hidden), cosSin, batch, rows));
        residual = hidden;
        return residual.add(mlp.forward(postAttentionLayernorm.forward(hidden), rows));
    }

    @Override
    public void close() {
        inputLayernorm.close();
        selfAttn.close();
        postAttentionLayernorm.close();
        mlp.close();
    }
}
