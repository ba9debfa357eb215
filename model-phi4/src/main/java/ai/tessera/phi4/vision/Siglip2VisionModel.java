package ai.tessera.phi4.vision;

import java.util.ArrayList;
import java.util.List;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.ForwardScope;
import ai.tessera.nn.LayerNorm;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Tensor;

/**
 * SigLIP2's NaFlex vision transformer, run over packed images up to the layer whose output the model uses.
 * {@code featureLayer} counts like Python's {@code hidden_states[featureLayer]}: -1 is the last layer's output
 * followed by {@code post_layernorm} (transformers' {@code last_hidden_state}); -2, what Phi-4-reasoning-vision
 * reads, is the output of the last-but-one layer with no norm after it, so the last layer, the post-layernorm and
 * the pooling head are never loaded.
 */
public final class Siglip2VisionModel implements AutoCloseable {
    private final Siglip2VisionEmbeddings embeddings;
    private final List<Siglip2EncoderLayer> layers;
    private final LayerNorm postLayernorm;

    private Siglip2VisionModel(Siglip2VisionEmbeddings embeddings, List<Siglip2EncoderLayer> layers,
                               LayerNorm postLayernorm) {
        this.embeddings = embeddings;
        this.layers = List.copyOf(layers);
        this.postLayernorm = postLayernorm;
    }

    /** @param prefix the {@code vision_model} module, e.g. {@code model.vision_tower.vision_tower.vision_model} */
    public static Siglip2VisionModel load(WeightSource weights, WeightPrefix prefix, Siglip2VisionConfig config,
                                          int featureLayer) throws ModelLoadException {
        int total = config.numHiddenLayers();
        if (featureLayer >= 0 || -featureLayer > total) {
            throw new ModelLoadException("the vision feature layer must be between -" + total + " and -1, got "
                    + featureLayer);
        }
        int run = total + featureLayer + 1;
        List<AutoCloseable> built = new ArrayList<>();
        try {
            Siglip2VisionEmbeddings embeddings = track(built,
                    Siglip2VisionEmbeddings.load(weights, prefix.child("embeddings"), config));
            List<Siglip2EncoderLayer> layers = new ArrayList<>();
            for (int i = 0; i < run; i++) {
                layers.add(track(built, Siglip2EncoderLayer.load(weights,
                        prefix.child("encoder").child("layers").child(i), config)));
            }
            LayerNorm post = featureLayer == -1 ? track(built, LayerNorm.load(weights, prefix.child("post_layernorm"),
                    config.hiddenSize(), config.layerNormEps())) : null;
            return new Siglip2VisionModel(embeddings, layers, post);
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

    /** {@code pixels [Σ h·w, fd]} on the model's device → features {@code [Σ h·w, hidden]}. */
    public Tensor forward(PackedImages images, Tensor pixels) {
        int[] cuSeqlens = images.cuSeqlens();
        Tensor hidden = embeddings.forward(images, pixels);
        for (Siglip2EncoderLayer layer : layers) {
            try (ForwardScope scope = new ForwardScope()) {
                hidden = scope.keep(layer.forward(hidden, cuSeqlens));
            }
        }
        return postLayernorm == null ? hidden : postLayernorm.forward(hidden);
    }

    @Override
    public void close() {
        embeddings.close();
        layers.forEach(Siglip2EncoderLayer::close);
        if (postLayernorm != null) {
            postLayernorm.close();
        }
    }
}
