package ai.tessera.phi4.vision;

import ai.tessera.api.ModelConfig;
import ai.tessera.api.ModelLoadException;

/**
 * The keys of transformers' {@code Siglip2VisionConfig} that the vision tower uses (a model's
 * {@code vision_config}), with that class's defaults where a key is absent.
 *
 * @param numPatches the learned position table holds this many positions, a square of side
 *                   {@code sqrt(num_patches)}, resized to each image's patch grid
 */
public record Siglip2VisionConfig(int hiddenSize, int intermediateSize, int numHiddenLayers, int numAttentionHeads,
                                  int numChannels, int patchSize, int numPatches, double layerNormEps,
                                  String hiddenAct) {

    /** Reads {@code section} ({@code vision_config} of the model's config). */
    public static Siglip2VisionConfig from(ModelConfig config, String section) throws ModelLoadException {
        if (!config.has(section)) {
            throw new ModelLoadException("config.json has no " + section + ": the vision tower's settings (a "
                    + "siglip2_vision_model config) are required");
        }
        String p = section + ".";
        int hidden = config.getInt(p + "hidden_size", 768);
        int heads = config.getInt(p + "num_attention_heads", 12);
        if (heads <= 0 || hidden % heads != 0) {
            throw new ModelLoadException("config.json " + p + "hidden_size (" + hidden + ") must be a multiple of "
                    + p + "num_attention_heads (" + heads + ")");
        }
        int numPatches = config.getInt(p + "num_patches", 256);
        int side = (int) Math.sqrt(numPatches);
        if (side * side != numPatches) {
            throw new ModelLoadException("config.json " + p + "num_patches must be a square (the position table is "
                    + "a square grid), got " + numPatches);
        }
        int channels = config.getInt(p + "num_channels", 3);
        if (channels != 3) {
            throw new ModelLoadException("config.json " + p + "num_channels must be 3 (RGB), got " + channels);
        }
        String act = config.getString(p + "hidden_act").orElse("gelu_pytorch_tanh");
        if (!act.equals("gelu_pytorch_tanh") && !act.equals("gelu")) {
            throw new ModelLoadException("config.json " + p + "hidden_act must be gelu_pytorch_tanh or gelu, got '"
                    + act + "'");
        }
        int layers = config.getInt(p + "num_hidden_layers", 12);
        if (layers < 2) {
            throw new ModelLoadException("config.json " + p + "num_hidden_layers must be at least 2 (the model reads "
                    + "the last-but-one layer), got " + layers);
        }
        return new Siglip2VisionConfig(hidden, config.getInt(p + "intermediate_size", 3072), layers, heads, channels,
                config.getInt(p + "patch_size", 16), numPatches, config.getDouble(p + "layer_norm_eps", 1e-6), act);
    }

    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }

    /** Values per patch: {@code num_channels * patch_size²}. */
    public int patchFeatures() {
        return numChannels * patchSize * patchSize;
    }

    /** The side of the square position table. */
    public int positionGridSize() {
        return (int) Math.sqrt(numPatches);
    }

    /** gelu_pytorch_tanh is GELU's tanh approximation; gelu the exact one. */
    String geluApproximation() {
        return hiddenAct.equals("gelu") ? "none" : "tanh";
    }
}
