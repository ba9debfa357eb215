package ai.tessera.phi4mm;

import ai.tessera.api.AttentionLayerSpec;
import ai.tessera.api.ForwardBatch;
import ai.tessera.api.ModelContext;
import ai.tessera.api.ModelLoadException;
import ai.tessera.nn.Attention;
import ai.tessera.nn.CosSin;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Tensor;

/** Phi-3 self-attention (fused {@code qkv_proj}, RoPE, {@code o_proj}) whose two projections carry the adapters. */
final class Phi4MMAttention implements AutoCloseable {
    private final LoraLinear qkvProj;
    private final LoraLinear oProj;
    private final Attention attention;

    private Phi4MMAttention(LoraLinear qkvProj, LoraLinear oProj, Attention attention) {
        this.qkvProj = qkvProj;
        this.oProj = oProj;
        this.attention = attention;
    }

    static Phi4MMAttention load(ModelContext context, Phi4MMConfig config, WeightPrefix prefix, int layerIndex,
                                AttentionLayerSpec spec) throws ModelLoadException {
        long qkvSize = (long) (spec.numHeads() + 2 * spec.numKvHeads()) * spec.headDim();
        LoraLinear qkv = LoraLinear.load(context.weights(), prefix.child("qkv_proj"), config.hiddenSize(), qkvSize,
                config.adapters());
        try {
            LoraLinear o = LoraLinear.load(context.weights(), prefix.child("o_proj"),
                    (long) spec.numHeads() * spec.headDim(), config.hiddenSize(), config.adapters());
            return new Phi4MMAttention(qkv, o, Attention.create(context, layerIndex, spec,
                    Math.pow(spec.headDim(), -0.5)));
        } catch (ModelLoadException | RuntimeException e) {
            qkv.close();
            throw e;
        }
    }

    Tensor forward(Tensor hidden, CosSin cosSin, ForwardBatch batch, AdapterRows rows) {
        return oProj.forward(attention.forwardPacked(qkvProj.forward(hidden, rows), cosSin, batch), rows);
    }

    @Override
    public void close() {
        qkvProj.close();
        oProj.close();
    }
}
