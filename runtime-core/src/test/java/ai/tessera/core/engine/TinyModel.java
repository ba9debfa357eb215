package ai.tessera.core.engine;

import java.util.ArrayList;
import java.util.List;

import ai.tessera.api.AttentionLayerSpec;
import ai.tessera.api.ForwardBatch;
import ai.tessera.api.KvCache;
import ai.tessera.api.LoadedModel;
import ai.tessera.core.attention.SdpaAttentionBackend;
import ai.tessera.core.kv.PagedKvCache;
import ai.tessera.core.kv.SingleSequence;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * A two-layer transformer written on the public API alone: token and learned position embeddings, per layer a
 * grouped-query attention over the paged KV cache (SDPA backend) with a residual, then lm_head. Random float32
 * weights from a fixed seed, CPU.
 */
final class TinyModel implements LoadedModel {
    static final int VOCAB = 64;
    static final int HIDDEN = 32;
    static final int HEADS = 4;
    static final int KV_HEADS = 2;
    static final int HEAD_DIM = 8;
    static final int LAYERS = 2;
    static final int MAX_POSITIONS = 1024;

    private final AttentionLayerSpec spec = AttentionLayerSpec.causal(HEAD_DIM, HEADS, KV_HEADS, ScalarType.Float);
    private final SdpaAttentionBackend attention = new SdpaAttentionBackend();
    private final Tensor embed;
    private final Tensor positions;
    private final List<Tensor[]> layers = new ArrayList<>();
    private final Tensor lmHead;

    TinyModel(long seed) {
        Generator g = torch.make_generator_cpu(seed);
        embed = randn(g, 1.0, VOCAB, HIDDEN);
        positions = randn(g, 1.0, MAX_POSITIONS, HIDDEN);
        double std = 1.0 / Math.sqrt(HIDDEN);
        for (int l = 0; l < LAYERS; l++) {
            layers.add(new Tensor[] {randn(g, std, HIDDEN, HEADS * HEAD_DIM), randn(g, std, HIDDEN, KV_HEADS * HEAD_DIM),
                    randn(g, std, HIDDEN, KV_HEADS * HEAD_DIM), randn(g, std, HEADS * HEAD_DIM, HIDDEN)});
        }
        lmHead = randn(g, std * 3, HIDDEN, VOCAB);
    }

    private static Tensor randn(Generator g, double std, long... shape) {
        return torch.randn(shape, new GeneratorOptional(g), new TensorOptions(ScalarType.Float)).mul_(new Scalar(std));
    }

    @Override
    public List<AttentionLayerSpec> attentionLayers() {
        List<AttentionLayerSpec> specs = new ArrayList<>();
        for (int l = 0; l < LAYERS; l++) {
            specs.add(spec);
        }
        return specs;
    }

    @Override
    public Tensor forward(ForwardBatch batch) {
        long t = batch.tokens();
        Tensor h = torch.embedding(embed, batch.inputIds()).add(torch.embedding(positions, batch.positions()));
        for (int l = 0; l < LAYERS; l++) {
            Tensor[] w = layers.get(l);
            Tensor q = h.matmul(w[0]).view(t, HEADS, HEAD_DIM);
            Tensor k = h.matmul(w[1]).view(t, KV_HEADS, HEAD_DIM);
            Tensor v = h.matmul(w[2]).view(t, KV_HEADS, HEAD_DIM);
            KvCache.Layer cache = batch.kvCache().layer(l);
            Tensor o = attention.forward(q, k, v, cache, batch.attention(), spec, 1.0 / Math.sqrt(HEAD_DIM));
            h = h.add(o.reshape(t, HEADS * HEAD_DIM).matmul(w[3]));
        }
        if (batch.logitsIndices() != null) {
            h = h.index_select(0, batch.logitsIndices());
        }
        return h.matmul(lmHead);
    }

    /**
     * Greedy continuation computed the slow, obvious way: every token reruns the whole sequence in a fresh cache,
     * with no scheduler, batching, paging across requests or prefix cache.
     */
    int[] greedyReference(int[] prompt, int maxTokens) {
        long[] ids = new long[prompt.length + maxTokens];
        for (int i = 0; i < prompt.length; i++) {
            ids[i] = prompt[i];
        }
        int n = prompt.length;
        int[] out = new int[maxTokens];
        for (int s = 0; s < maxTokens; s++) {
            try (PointerScope scope = new PointerScope();
                 PagedKvCache cache = PagedKvCache.allocate(attentionLayers(), (n + 15) / 16, 16, new Device("cpu"))) {
                long[] seq = java.util.Arrays.copyOf(ids, n);
                Tensor logits = forward(SingleSequence.prefill(seq, cache, new Device("cpu")));
                out[s] = (int) logits.get(n - 1).argmax(new LongOptional(0), false).item_long();
            }
            ids[n++] = out[s];
        }
        return out;
    }

    @Override
    public void close() {
        embed.close();
        positions.close();
        layers.forEach(ws -> {
            for (Tensor w : ws) {
                w.close();
            }
        });
        lmHead.close();
    }
}
