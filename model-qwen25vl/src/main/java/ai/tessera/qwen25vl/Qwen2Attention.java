package ai.tessera.qwen25vl;

import ai.tessera.api.AttentionLayerSpec;
import ai.tessera.api.ForwardBatch;
import ai.tessera.api.ModelContext;
import ai.tessera.api.ModelLoadException;
import ai.tessera.nn.Attention;
import ai.tessera.nn.CosSin;
import ai.tessera.nn.Linear;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Tensor;

/**
 * Qwen2 self-attention ({@code Qwen2_5_VLAttention}): {@code q_proj}, {@code k_proj} and {@code v_proj} with biases,
 * grouped-query heads, M-RoPE on queries and keys, the backend's causal attention over the KV cache, {@code o_proj}
 * without bias. The three input projections run as one matmul over their concatenated weights, as vLLM does.
 */
final class Qwen2Attention implements AutoCloseable {
    private final Linear qkvProj;
    private final Linear oProj;
    private final Attention attention;

    private Qwen2Attention(Linear qkvProj, Linear oProj, Attention attention) {
        this.qkvProj = qkvProj;
        this.oProj = oProj;
        this.attention = attention;
    }

    static Qwen2Attention load(ModelContext context, Qwen2TextConfig config, WeightPrefix prefix, int layerIndex,
                               AttentionLayerSpec spec) throws ModelLoadException {
        long hidden = config.hiddenSize();
        long querySize = (long) spec.numHeads() * spec.headDim();
        long kvSize = (long) spec.numKvHeads() * spec.headDim();
        Linear qkv = StackedLinear.load(context.weights(), hidden, true, new StackedLinear.Part(prefix.child("q_proj"),
                querySize), new StackedLinear.Part(prefix.child("k_proj"), kvSize),
                new StackedLinear.Part(prefix.child("v_proj"), kvSize));
        Linear o = Linear.load(context.weights(), prefix.child("o_proj"), querySize, hidden, false);
        Attention attention = Attention.create(context, layerIndex, spec, Math.pow(spec.headDim(), -0.5));
        return new Qwen2Attention(qkv, o, attention);
    }

    /** {@code hidden [tokens, hidden_size]} → {@code [tokens, hidden_size]}. */
    Tensor forward(Tensor hidden, CosSin cosSin, ForwardBatch batch) {
        return oProj.forward(attention.forwardPacked(qkvProj.forward(hidden), cosSin, batch));
    }

    @Override
    public void close() {
        qkvProj.close();
        oProj.close();
    }
}
