package ai.tessera.phi4;

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
 * Phi-3 self-attention: one fused {@code qkv_proj} (queries, then keys, then values), RoPE on queries and keys,
 * the backend's attention over the KV cache (grouped-query when there are fewer key/value heads), {@code o_proj}.
 */
final class Phi3Attention implements AutoCloseable {
    private final Linear qkvProj;
    private final Linear oProj;
    private final Attention attention;

    private Phi3Attention(Linear qkvProj, Linear oProj, Attention attention) {
        this.qkvProj = qkvProj;
        this.oProj = oProj;
        this.attention = attention;
    }

    static Phi3Attention load(ModelContext context, Phi3Config config, WeightPrefix prefix, int layerIndex,
                              AttentionLayerSpec spec) throws ModelLoadException {
        long qkvSize = (long) (spec.numHeads() + 2 * spec.numKvHeads()) * spec.headDim();
        Linear qkv = Linear.load(context.weights(), prefix.child("qkv_proj"), config.hiddenSize(), qkvSize, false);
        Linear o = Linear.load(context.weights(), prefix.child("o_proj"), (long) spec.numHeads() * spec.headDim(),
                config.hiddenSize(), false);
        Attention attention = Attention.create(context, layerIndex, spec, Math.pow(spec.headDim(), -0.5));
        return new Phi3Attention(qkv, o, attention);
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
