package ai.tessera.gemma4;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import ai.tessera.api.AttentionBackend;
import ai.tessera.api.ForwardBatch;
import ai.tessera.api.ModelContext;
import ai.tessera.api.ModelLoadException;
import ai.tessera.nn.CosSin;
import ai.tessera.nn.ForwardScope;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Tensor;

/**
 * The decoder stack ({@code Gemma4TextModel}): scaled token embeddings, the Per-Layer Embeddings when the model has
 * them, the decoder layers with the RoPE of their kind, the final {@code norm}; returns hidden states.
 */
final class Gemma4TextModel implements AutoCloseable {
    private final ScaledEmbedding embedTokens;
    private final PerLayerEmbeddings perLayerEmbeddings;
    private final List<Gemma4DecoderLayer> layers;
    private final Gemma4RmsNorm norm;
    private final Map<LayerType, Gemma4Rotary> rotary;
    private final AttentionLayout layout;
    private final boolean spansSupported;

    private Gemma4TextModel(ScaledEmbedding embedTokens, PerLayerEmbeddings perLayerEmbeddings,
                            List<Gemma4DecoderLayer> layers, Gemma4RmsNorm norm, Map<LayerType, Gemma4Rotary> rotary,
                            AttentionLayout layout, boolean spansSupported) {
        this.spansSupported = spansSupported;
        this.embedTokens = embedTokens;
        this.perLayerEmbeddings = perLayerEmbeddings;
        this.layers = List.copyOf(layers);
        this.norm = norm;
        this.rotary = rotary;
        this.layout = layout;
    }

    /**
     * @param prefix {@code model} ({@code Gemma4ForCausalLM}) or {@code model.language_model}
     *               ({@code Gemma4ForConditionalGeneration})
     */
    static Gemma4TextModel load(ModelContext context, Gemma4TextConfig config, WeightPrefix prefix)
            throws ModelLoadException {
        AttentionLayout layout = AttentionLayout.of(config, context.dtype());
        // One backend for layers of both head sizes, chosen before any weight is read.
        AttentionBackend backend = context.attentionForAll(layout.layerSpecs());
        try (LoadGuard guard = new LoadGuard()) {
            Map<LayerType, Gemma4Rotary> rotary = new EnumMap<>(LayerType.class);
            for (Map.Entry<LayerType, Integer> kind : headDims(layout).entrySet()) {
                rotary.put(kind.getKey(), guard.add(Gemma4Rotary.create(config.rope().get(kind.getKey()),
                        kind.getValue(), context.platform().device())));
            }
            ScaledEmbedding embed = guard.add(ScaledEmbedding.load(context.weights(), prefix.child("embed_tokens"),
                    config.vocabSize(), config.hiddenSize(), Math.sqrt(config.hiddenSize())));
            PerLayerEmbeddings ple = config.hiddenSizePerLayerInput() > 0
                    ? guard.add(PerLayerEmbeddings.load(context.weights(), prefix, config)) : null;
            List<Gemma4DecoderLayer> layers = new ArrayList<>();
            for (int i = 0; i < config.numHiddenLayers(); i++) {
                layers.add(guard.add(Gemma4DecoderLayer.load(context.weights(), config,
                        prefix.child("layers").child(i), layout.layer(i), backend)));
            }
            Gemma4RmsNorm norm = guard.add(Gemma4RmsNorm.load(context.weights(), prefix.child("norm"),
                    config.hiddenSize(), config.rmsNormEps()));
            return guard.done(new Gemma4TextModel(embed, ple, layers, norm, rotary, layout,
                    backend.supportsBidirectionalSpans()));
        }
    }

    /** Whether the attention backend honours bidirectional spans. */
    boolean spansSupported() {
        return spansSupported;
    }

    /** The head size of each layer kind present; RoPE is computed per kind, so all layers of a kind must agree. */
    private static Map<LayerType, Integer> headDims(AttentionLayout layout) throws ModelLoadException {
        Map<LayerType, Integer> dims = new EnumMap<>(LayerType.class);
        for (int i = 0; i < layout.layers().size(); i++) {
            AttentionLayout.Layer layer = layout.layer(i);
            Integer known = dims.putIfAbsent(layer.type(), layer.spec().headDim());
            if (known != null && known != layer.spec().headDim()) {
                throw new ModelLoadException("layer " + i + " (" + layer.type().configName() + ") has head size "
                        + layer.spec().headDim() + " but earlier layers of its kind have " + known
                        + "; Gemma 4 computes RoPE once per layer kind");
            }
        }
        return dims;
    }

    AttentionLayout layout() {
        return layout;
    }

    ScaledEmbedding embedTokens() {
        return embedTokens;
    }

    Gemma4Rotary rotary(LayerType type) {
        return rotary.get(type);
    }

    /** Intermediate results of a forward pass, for tests that locate a difference from transformers. */
    interface Tap {
        Tap NONE = new Tap() {
        };

        /** The Per-Layer Embeddings of the step, {@code [tokens, layers, P]}. */
        default void perLayerInputs(Tensor inputs) {
        }

        /** The hidden states {@code [tokens, hidden]} after decoder layer {@code layer}. */
        default void layerOutput(int layer, Tensor hidden) {
        }
    }

    /**
     * Hidden states {@code [tokens, hidden_size]} of the batch.
     *
     * @param ids the batch's token ids with any multimodal placeholder replaced by the pad id
     */
    Tensor forward(ForwardBatch batch, Tensor ids) {
        return forward(batch, ids, embedTokens.forward(ids), Tap.NONE);
    }

    /** The same from given input embeddings (a multimodal model merges its encoders' output into them first). */
    Tensor forward(ForwardBatch batch, Tensor ids, Tensor inputsEmbeds, Tap tap) {
        Tensor perLayerInputs = perLayerEmbeddings == null ? null : perLayerEmbeddings.forward(ids, inputsEmbeds);
        if (perLayerInputs != null) {
            tap.perLayerInputs(perLayerInputs);
        }
        Map<LayerType, CosSin> cosSin = new EnumMap<>(LayerType.class);
        rotary.forEach((type, rope) -> cosSin.put(type, rope.cosSin(batch.positions(), inputsEmbeds.scalar_type())));
        SharedKv shared = new SharedKv();
        // Bidirectional spans (an image's tokens, use_bidirectional_attention "vision") apply on sliding layers
        // only; full-attention layers stay causal, as in transformers and vLLM.
        ForwardBatch causal = batch.attention().hasBidirectionalSpans() ? batch.withAttention(batch.attention().causal())
                : batch;
        Tensor hidden = inputsEmbeds;
        for (int i = 0; i < layers.size(); i++) {
            // Each layer's temporaries are freed as it ends; what it shares with later layers is kept.
            try (ForwardScope layerScope = new ForwardScope()) {
                Tensor perLayerInput = perLayerInputs == null ? null : perLayerInputs.select(1, i);
                LayerType type = layout.layer(i).type();
                hidden = layerScope.keep(layers.get(i).forward(hidden, perLayerInput, cosSin.get(type),
                        type == LayerType.SLIDING ? batch : causal, shared, layerScope));
            }
            tap.layerOutput(i, hidden);
        }
        return norm.forward(hidden);
    }

    @Override
    public void close() {
        embedTokens.close();
        if (perLayerEmbeddings != null) {
            perLayerEmbeddings.close();
        }
        layers.forEach(Gemma4DecoderLayer::close);
        norm.close();
        rotary.values().forEach(Gemma4Rotary::close);
    }
}
