package ai.tessera.gemma4;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.Linear;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * Per-Layer Embeddings (PLE) of the small Gemma 4 models: each decoder layer gets a {@code P}-wide input per token,
 * {@code (norm(per_layer_model_projection(embeds) * H^-0.5) + embed_tokens_per_layer(ids) * sqrt(P)) * 2^-0.5},
 * both parts packed for all layers ({@code [tokens, layers * P]}) and split per layer
 * ({@code get_per_layer_inputs} and {@code project_per_layer_inputs} of transformers' {@code Gemma4TextModel}).
 */
final class PerLayerEmbeddings implements AutoCloseable {
    private final ScaledEmbedding embedTokensPerLayer;
    private final Linear perLayerModelProjection;
    private final Gemma4RmsNorm perLayerProjectionNorm;
    private final int layers;
    private final int width;
    private final double projectionScale;

    private PerLayerEmbeddings(ScaledEmbedding embedTokensPerLayer, Linear perLayerModelProjection,
                               Gemma4RmsNorm perLayerProjectionNorm, int layers, int width, double projectionScale) {
        this.embedTokensPerLayer = embedTokensPerLayer;
        this.perLayerModelProjection = perLayerModelProjection;
        this.perLayerProjectionNorm = perLayerProjectionNorm;
        this.layers = layers;
        this.width = width;
        this.projectionScale = projectionScale;
    }

    static PerLayerEmbeddings load(WeightSource weights, WeightPrefix model, Gemma4TextConfig config)
            throws ModelLoadException {
        int layers = config.numHiddenLayers();
        int width = config.hiddenSizePerLayerInput();
        long packed = (long) layers * width;
        try (LoadGuard guard = new LoadGuard()) {
            ScaledEmbedding embed = guard.add(ScaledEmbedding.load(weights, model.child("embed_tokens_per_layer"),
                    config.vocabSizePerLayerInput(), packed, Math.sqrt(width)));
            Linear projection = guard.add(Linear.load(weights, model.child("per_layer_model_projection"),
                    config.hiddenSize(), packed, false));
            Gemma4RmsNorm norm = guard.add(Gemma4RmsNorm.load(weights, model.child("per_layer_projection_norm"),
                    width, config.rmsNormEps()));
            return guard.done(new PerLayerEmbeddings(embed, projection, norm, layers, width,
                    Math.pow(config.hiddenSize(), -0.5)));
        }
    }

    /**
     * @param ids    int64 {@code [tokens]} (multimodal placeholders already replaced by the pad id)
     * @param embeds the scaled token embeddings {@code [tokens, hidden]} (after any multimodal merge)
     * @return {@code [tokens, layers, P]}
     */
    Tensor forward(Tensor ids, Tensor embeds) {
        long tokens = ids.size(0);
        Tensor tokenPart = embedTokensPerLayer.forward(ids).reshape(tokens, layers, width);
        Tensor context = perLayerModelProjection.forward(embeds).mul(new Scalar(projectionScale))
                .reshape(tokens, layers, width);
        context = perLayerProjectionNorm.forward(context);
        return context.add(tokenPart).mul(new Scalar(Math.pow(2.0, -0.5)));
    }

    @Override
    public void close() {
        embedTokensPerLayer.close();
        perLayerModelProjection.close();
        perLayerProjectionNorm.close();
    }
}
