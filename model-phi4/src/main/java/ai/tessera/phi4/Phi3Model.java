package ai.tessera.phi4;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

import ai.tessera.api.AttentionLayerSpec;
import ai.tessera.api.ForwardBatch;
import ai.tessera.api.ModelContext;
import ai.tessera.api.ModelLoadException;
import ai.tessera.nn.CosSin;
import ai.tessera.nn.Embedding;
import ai.tessera.nn.RmsNorm;
import ai.tessera.nn.ForwardScope;
import ai.tessera.nn.RotaryEmbedding;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Tensor;

/** The decoder stack: {@code embed_tokens}, the decoder layers, the final {@code norm}; returns hidden states. */
final class Phi3Model implements AutoCloseable {
    private static final WeightPrefix PREFIX = WeightPrefix.of("model");

    private final Embedding embedTokens;
    private final List<Phi3DecoderLayer> layers;
    private final RmsNorm norm;
    private final RotaryEmbedding rotaryEmb;
    private final List<AttentionLayerSpec> attentionSpecs;

    private Phi3Model(Embedding embedTokens, List<Phi3DecoderLayer> layers, RmsNorm norm, RotaryEmbedding rotaryEmb,
                      List<AttentionLayerSpec> attentionSpecs) {
        this.embedTokens = embedTokens;
        this.layers = List.copyOf(layers);
        this.norm = norm;
        this.rotaryEmb = rotaryEmb;
        this.attentionSpecs = List.copyOf(attentionSpecs);
    }

    static Phi3Model load(ModelContext context, Phi3Config config) throws ModelLoadException {
        List<AutoCloseable> built = new ArrayList<>();
        try {
            Embedding embedTokens = track(built, Embedding.load(context.weights(), PREFIX.child("embed_tokens"),
                    config.vocabSize(), config.hiddenSize()));
            // Every Phi-3 layer is alike: one spec, with the window transformers applies to all layers.
            AttentionLayerSpec spec = new AttentionLayerSpec(config.headDim(), config.numAttentionHeads(),
                    config.numKeyValueHeads(), config.slidingWindow(), OptionalDouble.empty(), context.dtype());
            List<Phi3DecoderLayer> layers = new ArrayList<>();
            List<AttentionLayerSpec> specs = new ArrayList<>();
            for (int i = 0; i < config.numHiddenLayers(); i++) {
                WeightPrefix layer = PREFIX.child("layers").child(i);
                layers.add(track(built, Phi3DecoderLayer.load(context, config, layer, i, spec)));
                specs.add(spec);
            }
            RmsNorm norm = track(built, RmsNorm.load(context.weights(), PREFIX.child("norm"), config.hiddenSize(),
                    config.rmsNormEps()));
            RotaryEmbedding rotary = RotaryEmbedding.create(config.rope(), config.headDim(),
                    context.platform().device());
            return new Phi3Model(embedTokens, layers, norm, rotary, specs);
        } catch (ModelLoadException | RuntimeException e) {
            closeAll(built, e);
            throw e;
        }
    }

    private static <T extends AutoCloseable> T track(List<AutoCloseable> built, T module) {
        built.add(module);
        return module;
    }

    /** Frees what a failed load had built; a failure to free is attached to the load's failure. */
    private static void closeAll(List<AutoCloseable> modules, Exception loadFailure) {
        for (AutoCloseable module : modules) {
            try {
                module.close();
            } catch (Exception e) {
                loadFailure.addSuppressed(e);
            }
        }
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

    /**
     * Hidden states {@code [tokens, hidden_size]} of the batch's tokens; a multimodal model's encoder outputs, when
     * the batch carries them, replace the embeddings of their placeholder tokens.
     */
    Tensor forward(ForwardBatch batch) {
        Tensor inputsEmbeds = embedTokens.forward(batch.inputIds());
        if (batch.multimodal() != null) {
            batch.multimodal().mergeInto(inputsEmbeds);
        }
        return forward(batch, inputsEmbeds);
    }

    /** The same from given input embeddings (a multimodal model merges its encoders' output into them first). */
    Tensor forward(ForwardBatch batch, Tensor inputsEmbeds) {
        CosSin cosSin = rotaryEmb.cosSin(batch.positions(), batch.attention(), inputsEmbeds.scalar_type());
        Tensor hidden = inputsEmbeds;
        for (Phi3DecoderLayer layer : layers) {
            // Each layer's temporaries are freed as it ends: the peak is one layer's activations, not all of them.
            try (ForwardScope layerScope = new ForwardScope()) {
                hidden = layerScope.keep(layer.forward(hidden, cosSin, batch));
            }
        }
        return norm.forward(hidden);
    }

    @Override
    public void close() {
        embedTokens.close();
        layers.forEach(Phi3DecoderLayer::close);
        norm.close();
        rotaryEmb.close();
    }
}
