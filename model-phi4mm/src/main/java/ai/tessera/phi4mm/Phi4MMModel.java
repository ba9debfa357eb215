package ai.tessera.phi4mm;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

import ai.tessera.api.AttentionLayerSpec;
import ai.tessera.api.ForwardBatch;
import ai.tessera.api.ModelContext;
import ai.tessera.api.ModelLoadException;
import ai.tessera.nn.CosSin;
import ai.tessera.nn.Embedding;
import ai.tessera.nn.ForwardScope;
import ai.tessera.nn.RmsNorm;
import ai.tessera.nn.RotaryEmbedding;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Tensor;

/**
 * The Phi-3 decoder stack of Phi-4-multimodal: {@code embed_tokens}, the layers (their linears with the LoRA
 * adapters), the final {@code norm}. The media embeddings replace the placeholder tokens' embeddings.
 */
final class Phi4MMModel implements AutoCloseable {
    static final WeightPrefix PREFIX = WeightPrefix.of("model");

    private final Embedding embedTokens;
    private final List<Phi4MMDecoderLayer> layers;
    private final RmsNorm norm;
    private final RotaryEmbedding rotaryEmb;
    private final List<AttentionLayerSpec> attentionSpecs;
    private final ModelContext context;

    private Phi4MMModel(Embedding embedTokens, List<Phi4MMDecoderLayer> layers, RmsNorm norm,
                        RotaryEmbedding rotaryEmb, List<AttentionLayerSpec> attentionSpecs, ModelContext context) {
        this.embedTokens = embedTokens;
        this.layers = List.copyOf(layers);
        this.norm = norm;
        this.rotaryEmb = rotaryEmb;
        this.attentionSpecs = List.copyOf(attentionSpecs);
        this.context = context;
    }

    static Phi4MMModel load(ModelContext context, Phi4MMConfig config) throws ModelLoadException {
        List<AutoCloseable> built = new ArrayList<>();
        try {
            Embedding embedTokens = track(built, Embedding.load(context.weights(), PREFIX.child("embed_tokens"),
                    config.vocabSize(), config.hiddenSize()));
            AttentionLayerSpec spec = new AttentionLayerSpec(config.headDim(), config.numAttentionHeads(),
                    config.numKeyValueHeads(), config.slidingWindow(), OptionalDouble.empty(), context.dtype());
            List<Phi4MMDecoderLayer> layers = new ArrayList<>();
            List<AttentionLayerSpec> specs = new ArrayList<>();
            for (int i = 0; i < config.numHiddenLayers(); i++) {
                layers.add(track(built, Phi4MMDecoderLayer.load(context, config, PREFIX.child("layers").child(i), i,
                        spec)));
                specs.add(spec);
            }
            RmsNorm norm = track(built, RmsNorm.load(context.weights(), PREFIX.child("norm"), config.hiddenSize(),
                    config.rmsNormEps()));
            RotaryEmbedding rotary = RotaryEmbedding.create(config.rope(), config.headDim(),
                    context.platform().device());
            return new Phi4MMModel(embedTokens, layers, norm, rotary, specs, context);
        } catch (ModelLoadException | RuntimeException e) {
            for (AutoCloseable module : built) {
                try {
                    module.close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    private static <T extends AutoCloseable> T track(List<AutoCloseable> built, T module) {
        built.add(module);
        return module;
    }

    Embedding embedTokens() {
        return embedTokens;
    }

    RotaryEmbedding rotaryEmb() {
        return rotaryEmb;
    }

    List<AttentionLayerSpec> attentionSpecs() {
        return attentionSpecs;
    }

    /** Hidden states {@code [tokens, hidden_size]}; each sequence's tokens run with its request's adapter. */
    Tensor forward(ForwardBatch batch) {
        Tensor hidden = embedTokens.forward(batch.inputIds());
        if (batch.multimodal() != null) {
            batch.multimodal().mergeInto(hidden);
        }
        AdapterRows rows = AdapterRows.of(batch, context.platform().device());
        CosSin cosSin = rotaryEmb.cosSin(batch.positions(), batch.attention(), hidden.scalar_type());
        for (Phi4MMDecoderLayer layer : layers) {
            try (ForwardScope layerScope = new ForwardScope()) {
                hidden = layerScope.keep(layer.forward(hidden, cosSin, batch, rows));
            }
        }
        return norm.forward(hidden);
    }

    @Override
    public void close() {
        embedTokens.close();
        layers.forEach(Phi4MMDecoderLayer::close);
        norm.close();
        rotaryEmb.close();
    }
}
