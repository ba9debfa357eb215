package ai.tessera.qwen25vl;

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
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Tensor;

/**
 * The language model ({@code Qwen2_5_VLTextModel}): {@code embed_tokens}, the decoder layers with M-RoPE, the final
 * {@code norm}; returns hidden states.
 */
final class Qwen2TextModel implements AutoCloseable {
    private final Embedding embedTokens;
    private final List<Qwen2DecoderLayer> layers;
    private final RmsNorm norm;
    private final MultimodalRotaryEmbedding rotaryEmb;
    private final List<AttentionLayerSpec> attentionSpecs;

    private Qwen2TextModel(Embedding embedTokens, List<Qwen2DecoderLayer> layers, RmsNorm norm,
                           MultimodalRotaryEmbedding rotaryEmb, List<AttentionLayerSpec> attentionSpecs) {
        this.embedTokens = embedTokens;
        this.layers = List.copyOf(layers);
        this.norm = norm;
        this.rotaryEmb = rotaryEmb;
        this.attentionSpecs = List.copyOf(attentionSpecs);
    }

    static Qwen2TextModel load(ModelContext context, Qwen2TextConfig config, WeightPrefix prefix)
            throws ModelLoadException {
        List<AutoCloseable> built = new ArrayList<>();
        try {
            Embedding embedTokens = Modules.track(built, Embedding.load(context.weights(), prefix.child("embed_tokens"),
                    config.vocabSize(), config.hiddenSize()));
            List<Qwen2DecoderLayer> layers = new ArrayList<>();
            List<AttentionLayerSpec> specs = new ArrayList<>();
            for (int i = 0; i < config.numHiddenLayers(); i++) {
                AttentionLayerSpec spec = new AttentionLayerSpec(config.headDim(), config.numAttentionHeads(),
                        config.numKeyValueHeads(), config.slidingWindows().get(i), OptionalDouble.empty(),
                        context.dtype());
                layers.add(Modules.track(built, Qwen2DecoderLayer.load(context, config, prefix.child("layers").child(i),
                        i, spec)));
                specs.add(spec);
            }
            RmsNorm norm = Modules.track(built, RmsNorm.load(context.weights(), prefix.child("norm"),
                    config.hiddenSize(), config.rmsNormEps()));
            MultimodalRotaryEmbedding rotary = new MultimodalRotaryEmbedding(config.headDim(), config.ropeTheta(),
                    config.mropeSection(), context.platform().device());
            return new Qwen2TextModel(embedTokens, layers, norm, rotary, specs);
        } catch (ModelLoadException | RuntimeException e) {
            Modules.closeAll(built, e);
            throw e;
        }
    }

    Embedding embedTokens() {
        return embedTokens;
    }

    MultimodalRotaryEmbedding rotaryEmb() {
        return rotaryEmb;
    }

    List<AttentionLayerSpec> attentionSpecs() {
        return attentionSpecs;
    }

    /** Hidden states {@code [tokens, hidden_size]} from input embeddings (media embeddings already merged in). */
    Tensor forward(ForwardBatch batch, Tensor inputsEmbeds) {
        CosSin cosSin = rotaryEmb.cosSin(batch.positions(), inputsEmbeds.scalar_type());
        Tensor hidden = inputsEmbeds;
        for (Qwen2DecoderLayer layer : layers) {
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
        layers.forEach(Qwen2DecoderLayer::close);
        norm.close();
        rotaryEmb.close();
    }
}
