package ai.tessera.phi4mm.vision;

import ai.tessera.api.ModelConfig;
import ai.tessera.api.ModelLoadException;

/**
 * The SigLIP tower of Phi-4-multimodal. The checkpoint's code builds it with fixed settings (siglip-so400m-patch14
 * -448: width 1152, 27 layers, read at the last-but-one); a {@code vision_config} section with transformers'
 * {@code Phi4MultimodalVisionConfig} keys overrides them (the tiny test models use it).
 *
 * @param featureLayer which hidden state the model reads, Python style ({@code -2}: after all layers but the last)
 */
public record SiglipVisionConfig(int hiddenSize, int intermediateSize, int numHiddenLayers, int numAttentionHeads,
                                 int imageSize, int patchSize, double layerNormEps, String hiddenAct,
                                 int featureLayer) {

    public static SiglipVisionConfig from(ModelConfig config, String section) throws ModelLoadException {
        String p = section + ".";
        int hidden = config.getInt(p + "hidden_size", 1152);
        int heads = config.getInt(p + "num_attention_heads", 16);
        if (heads <= 0 || hidden % heads != 0) {
            throw new ModelLoadException("config.json " + p + "hidden_size (" + hidden + ") must be a multiple of "
                    + p + "num_attention_heads (" + heads + ")");
        }
        String act = config.getString(p + "hidden_act").orElse("gelu_pytorch_tanh");
        if (!act.equals("gelu_pytorch_tanh") && !act.equals("gelu")) {
            throw new ModelLoadException("config.json " + p + "hidden_act must be gelu_pytorch_tanh or gelu, got '"
                    + act + "'");
        }
        int layers = config.getInt(p + "num_hidden_layers", 27);
        int feature = config.getInt(p + "feature_layer", -2);
        if (feature >= 0 || layers + 1 + feature < 1) {
            throw new ModelLoadException("config.json " + p + "feature_layer must be negative and leave at least one "
                    + "of the " + layers + " layers, got " + feature);
        }
        int imageSize = config.getInt(p + "image_size", 448);
        int patch = config.getInt(p + "patch_size", 14);
        if (imageSize % patch != 0 || (imageSize / patch) % 2 != 0) {
            throw new ModelLoadException("config.json " + p + "image_size (" + imageSize + ") must be an even number "
                    + "of patch_size (" + patch + ") patches for the 2x2 token compression");
        }
        return new SiglipVisionConfig(hidden, config.getInt(p + "intermediate_size", 4304), layers, heads, imageSize,
                patch, config.getDouble(p + "layer_norm_eps", 1e-6), act, feature);
    }

    int headDim() {
        return hiddenSize / numAttentionHeads;
    }

    /** Patches per side of a crop (32 for 448/14). */
    public int patchesPerSide() {
        return imageSize / patchSize;
    }

    /** The layers whose output the model reads: {@code hidden_states[feature_layer]}. */
    int layersUsed() {
        return numHiddenLayers + 1 + featureLayer;
    }

    String geluApproximation() {
        return hiddenAct.equals("gelu") ? "none" : "tanh";
    }
}
