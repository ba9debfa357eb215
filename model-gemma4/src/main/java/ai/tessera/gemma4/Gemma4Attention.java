package ai.tessera.gemma4;

import ai.tessera.api.AttentionBackend;
import ai.tessera.api.ForwardBatch;
import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.Attention;
import ai.tessera.nn.CosSin;
import ai.tessera.nn.ForwardScope;
import ai.tessera.nn.Linear;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Tensor;

/**
 * Gemma 4 self-attention ({@code Gemma4TextAttention}): per-head RMSNorm on queries and keys (with weights) and on
 * values (without), RoPE of the layer's kind, softmax scale 1.0 (the norms take the place of {@code 1/sqrt(d)}).
 *
 * <p>Full layers with {@code attention_k_eq_v} have no {@code v_proj}: the values are the raw {@code k_proj} output,
 * normalised by the value norm (before the key norm and RoPE touch the keys). KV-shared layers have only
 * {@code q_proj}, {@code q_norm} and {@code o_proj}: they attend over their source layer's keys and values.
 */
final class Gemma4Attention implements AutoCloseable {
    private final AttentionLayout.Layer layout;
    private final Linear qProj;
    private final Linear kProj;
    private final Linear vProj;
    private final Linear oProj;
    private final Gemma4RmsNorm qNorm;
    private final Gemma4RmsNorm kNorm;
    private final Gemma4RmsNorm vNorm;
    private final Attention attention;

    private Gemma4Attention(AttentionLayout.Layer layout, Linear qProj, Linear kProj, Linear vProj, Linear oProj,
                            Gemma4RmsNorm qNorm, Gemma4RmsNorm kNorm, Gemma4RmsNorm vNorm, Attention attention) {
        this.layout = layout;
        this.qProj = qProj;
        this.kProj = kProj;
        this.vProj = vProj;
        this.oProj = oProj;
        this.qNorm = qNorm;
        this.kNorm = kNorm;
        this.vNorm = vNorm;
        this.attention = attention;
    }

    static Gemma4Attention load(WeightSource weights, Gemma4TextConfig config, WeightPrefix prefix,
                                AttentionLayout.Layer layout, AttentionBackend backend) throws ModelLoadException {
        int heads = layout.spec().numHeads();
        int kvHeads = layout.spec().numKvHeads();
        int dim = layout.spec().headDim();
        long hidden = config.hiddenSize();
        boolean bias = config.attentionBias();
        double eps = config.rmsNormEps();
        try (LoadGuard guard = new LoadGuard()) {
            Linear q = guard.add(Linear.load(weights, prefix.child("q_proj"), hidden, (long) heads * dim, bias));
            Gemma4RmsNorm qn = guard.add(Gemma4RmsNorm.load(weights, prefix.child("q_norm"), dim, eps));
            Linear k = null;
            Linear v = null;
            Gemma4RmsNorm kn = null;
            if (!layout.sharesKv()) {
                k = guard.add(Linear.load(weights, prefix.child("k_proj"), hidden, (long) kvHeads * dim, bias));
                kn = guard.add(Gemma4RmsNorm.load(weights, prefix.child("k_norm"), dim, eps));
                boolean keysAreValues = config.attentionKEqV() && layout.type() == LayerType.FULL;
                v = keysAreValues ? null : guard.add(Linear.load(weights, prefix.child("v_proj"), hidden,
                        (long) kvHeads * dim, bias));
            }
            Linear o = guard.add(Linear.load(weights, prefix.child("o_proj"), (long) heads * dim, hidden, bias));
            Attention attention = new Attention(layout.cacheIndex(), layout.spec(), backend, 1.0);
            return guard.done(new Gemma4Attention(layout, q, k, v, o, qn, kn, Gemma4RmsNorm.withoutScale(eps),
                    attention));
        }
    }

    /** {@code hidden [tokens, hidden_size]} → {@code [tokens, hidden_size]}. */
    Tensor forward(Tensor hidden, CosSin cosSin, ForwardBatch batch, SharedKv shared, ForwardScope scope) {
        long tokens = hidden.size(0);
        int heads = layout.spec().numHeads();
        int kvHeads = layout.spec().numKvHeads();
        int dim = layout.spec().headDim();
        Tensor query = cosSin.apply(qNorm.forward(qProj.forward(hidden).view(tokens, heads, dim)));
        Tensor key;
        Tensor value;
        if (layout.sharesKv()) {
            key = shared.key(layout.type());
            value = shared.value(layout.type());
        } else {
            Tensor rawKey = kProj.forward(hidden).view(tokens, kvHeads, dim);
            Tensor rawValue = vProj == null ? rawKey : vProj.forward(hidden).view(tokens, kvHeads, dim);
            key = cosSin.apply(kNorm.forward(rawKey));
            value = vNorm.forward(rawValue);
            if (layout.keepsKv()) {
                // Outlives this layer's scope: the shared layers later in the step read them.
                shared.put(layout.type(), scope.keep(key), scope.keep(value));
            }
        }
        Tensor output = attention.forward(query, key, value, batch);
        return oProj.forward(output.reshape(tokens, (long) heads * dim));
    }

    @Override
    public void close() {
        qProj.close();
        qNorm.close();
        if (kProj != null) {
            kProj.close();
            kNorm.close();
        }
        if (vProj != null) {
            vProj.close();
        }
        oProj.close();
        vNorm.close();
    }
}
