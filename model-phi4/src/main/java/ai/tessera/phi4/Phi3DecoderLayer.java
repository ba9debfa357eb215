package ai.tessera.phi4;

import ai.tessera.api.AttentionLayerSpec;
import ai.tessera.api.ForwardBatch;
import ai.tessera.api.ModelContext;
import ai.tessera.api.ModelLoadException;
import ai.tessera.nn.CosSin;
import ai.tessera.nn.FusedGateUpMlp;
import ai.tessera.nn.RmsNorm;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Tensor;

/** A pre-norm decoder layer: {@code h += attn(norm(h)); h += mlp(norm(h))}. */
final class Phi3DecoderLayer implements AutoCloseable {
    private final RmsNorm inputLayernorm;
    private final Phi3Attention selfAttn;
    private final RmsNorm postAttentionLayernorm;
    private final FusedGateUpMlp mlp;

    private Phi3DecoderLayer(RmsNorm inputLayernorm, Phi3Attention selfAttn, RmsNorm postAttentionLayernorm,
                             FusedGateUpMlp mlp) {
        this.inputLayernorm = inputLayernorm;
        this.selfAttn = selfAttn;
        this.postAttentionLayernorm = postAttentionLayernorm;
        this.mlp = mlp;
    }

    static Phi3DecoderLayer load(ModelContext context, Phi3Config config, WeightPrefix prefix, int layerIndex,
                                 AttentionLayerSpec spec) throws ModelLoadException {
        return new Phi3DecoderLayer(
                RmsNorm.load(context.weights(), prefix.child("input_layernorm"), config.hiddenSize(),
                        config.rmsNormEps()),
                Phi3Attention.load(context, config, prefix.child("self_attn"), layerIndex, spec),
                RmsNorm.load(context.weights(), prefix.child("post_attention_layernorm"), config.hiddenSize(),
                        config.rmsNormEps()),
                FusedGateUpMlp.load(context.weights(), prefix.child("mlp"), config.hiddenSize(),
                        config.intermediateSize()));
    }

    Tensor forward(Tensor hidden, CosSin cosSin, ForwardBatch batch) {
        Tensor residual = hidden;
        hidden = residual.add(selfAttn.forward(inputLayernorm.forward(hidden), cosSin, batch));
        residual = hidden;
        return residual.add(mlp.forward(postAttentionLayernorm.forward(hidden)));
    }

    @Override
    public void close() {
        inputLayernorm.close();
        selfAttn.close();
        postAttentionLayernorm.close();
        mlp.close();
    }
}
