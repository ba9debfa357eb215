package ai.tessera.core.engine;

import java.util.ArrayList;
import java.util.List;

import ai.tessera.api.AttentionLayerSpec;
import ai.tessera.api.ForwardBatch;
import ai.tessera.api.KvCache;
import ai.tessera.api.LoadedModel;
import ai.tessera.api.MultimodalEmbeddings;
import ai.tessera.api.MultimodalItem;
import ai.tessera.api.MultimodalPrompt;
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
 * weights from a fixed seed, CPU. Media items are "encoded" by taking their {@code features} input as embeddings;
 * with several position sections (an M-RoPE stand-in) the sections' position embeddings add up.
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
    private final int sections;

    TinyModel(long seed) {
        this(seed, 1);
    }

    TinyModel(long seed, int sections) {
        this.sections = sections;
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
    public int positionSections() {
        return sections;
    }

    @Override
    public List<Tensor> embedMultimodal(List<MultimodalItem> items) {
        List<Tensor> out = new ArrayList<>();
        for (MultimodalItem item : items) {
            out.add(item.input("features").clone());
        }
        return out;
    }

    @Override
    public Tensor forward(ForwardBatch batch) {
        long t = batch.tokens();
        Tensor h = torch.embedding(embed, batch.inputIds());
        if (batch.multimodal() != null) {
            batch.multimodal().mergeInto(h);
        }
        Tensor pos = batch.positions();
        if (pos.dim() != (sections == 1 ? 1 : 2)) {
            throw new IllegalArgumentException("expected positions with " + sections + " section(s), got " + pos.dim() + "-D");
        }
        for (int s = 0; s < sections; s++) {
            h = h.add(torch.embedding(positions, sections == 1 ? pos : pos.get(s)));
        }
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
        return greedyReference(MultimodalPrompt.text(prompt), maxTokens);
    }

    /** {@link #greedyReference} for a prompt with media: the whole sequence again for every token. */
    int[] greedyReference(MultimodalPrompt prompt, int maxTokens) {
        int[] promptIds = prompt.tokenIds();
        long[] ids = new long[promptIds.length + maxTokens];
        for (int i = 0; i < promptIds.length; i++) {
            ids[i] = promptIds[i];
        }
        List<Tensor> features = embedMultimodal(prompt.items());
        int n = promptIds.length;
        int[] out = new int[maxTokens];
        for (int s = 0; s < maxTokens; s++) {
            try (PointerScope scope = new PointerScope();
                 PagedKvCache cache = PagedKvCache.allocate(attentionLayers(), (n + 15) / 16, 16, new Device("cpu"))) {
                long[] seq = java.util.Arrays.copyOf(ids, n);
                ForwardBatch plain = SingleSequence.prefill(seq, cache, new Device("cpu"));
                long[] pos = new long[sections * n];
                for (int sec = 0; sec < sections; sec++) {
                    for (int i = 0; i < n; i++) {
                        pos[sec * n + i] = prompt.positions() == null ? i
                                : i < promptIds.length ? prompt.positions()[sec][i] : i + prompt.positionDelta();
                    }
                }
                Tensor posTensor = torch.tensor(pos, new TensorOptions(ScalarType.Long));
                List<Tensor> rows = new ArrayList<>();
                List<Long> index = new ArrayList<>();
                for (int k = 0; k < prompt.items().size(); k++) {
                    MultimodalItem item = prompt.items().get(k);
                    rows.add(features.get(k));
                    for (int j = 0; j < item.length(); j++) {
                        index.add((long) item.offset() + j);
                    }
                }
                MultimodalEmbeddings media = rows.isEmpty() ? null : new MultimodalEmbeddings(
                        torch.cat(new org.bytedeco.pytorch.TensorVector(rows.toArray(new Tensor[0]))),
                        torch.tensor(index.stream().mapToLong(Long::longValue).toArray(), new TensorOptions(ScalarType.Long)));
                Tensor logits = forward(new ForwardBatch(plain.inputIds(),
                        sections == 1 ? posTensor : posTensor.view(sections, n), plain.attention(), plain.kvCache(),
                        plain.logitsIndices(), media));
                out[s] = (int) logits.get(logits.size(0) - 1).argmax(new LongOptional(0), false).item_long();
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
