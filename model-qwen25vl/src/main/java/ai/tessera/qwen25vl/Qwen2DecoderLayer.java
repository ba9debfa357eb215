package ai.tessera.qwen25vl;

import ai.tessera.api.AttentionLayerSpec;
import ai.tessera.api.ForwardBatch;
import ai.tessera.api.ModelContext;
import ai.tessera.api.ModelLoadException;
import ai.tessera.nn.CosSin;
import ai.tessera.nn.FusedGateUpMlp;
import ai.tessera.nn.Linear;
import ai.tessera.nn.RmsNorm;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Tensor;

/**
 * A pre-norm Qwen2 decoder layer ({@code Qwen2_5_VLDecoderLayer}): {@code h += attn(norm(h)); h += mlp(norm(h))},
 * the MLP being {@code down_proj(silu(gate_proj(x)) * up_proj(x))} with gate and up stacked into one matmul.
 */
final class Qwen2DecoderLayer implements AutoCloseable {
    private final RmsNorm inputLayernorm;
    private final Qwen2Attention selfAttn;
    private final RmsNorm postAttentionLayernorm;
    private final FusedGateUpMlp mlp;

    private Qwen2DecoderLayer(RmsNorm inputLayernorm, Qwen2Attention selfAttn, RmsNorm postAttentionLayernorm,
                              FusedGateUpMlp mlp) {
        this.inputLayernorm = inputLayernorm;
        this.selfAttn = selfAttn;
        this.postAttentionLayernorm = postAttentionLayernorm;
        this.mlp = mlp;
    }

    static Qwen2DecoderLayer load(ModelContext context, Qwen2TextConfig config, WeightPrefix prefix, int layerIndex,
                                  AttentionLayerSpec spec) throws ModelLoadException {
        long hidden = config.hiddenSize();
        long intermediate = config.intermediateSize();
        WeightPrefix mlp = prefix.child("mlp");
        Linear gateUp = StackedLinear.load(context.weights(), hidden, false,
                new StackedLinear.Part(mlp.child("gate_proj"), intermediate),
                new StackedLinear.Part(mlp.child("up_proj"), intermediate));
        Linear down = Linear.load(context.weights(), mlp.child("down_proj"), intermediate, hidden, false);
        return new Qwen2DecoderLayer(
                RmsNorm.load(context.weights(), prefix.child("input_layernorm"), hidden, config.rmsNormEps()),
                Qwen2Attention.load(context, config, prefix.child("self_attn"), layerIndex, spec),
                RmsNorm.load(context.weights(), prefix.child("post_attention_layernorm"), hidden, config.rmsNormEps()),
                new FusedGateUpMlp(gateUp, down));
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
