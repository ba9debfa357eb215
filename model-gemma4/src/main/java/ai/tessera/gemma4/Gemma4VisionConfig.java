package ai.tessera.gemma4;

import ai.tessera.api.ModelConfig;
import ai.tessera.api.ModelLoadException;

/**
 * {@code vision_config} of a Gemma 4 checkpoint ({@code Gemma4VisionConfig}); defaults are transformers'.
 *
 * @param ropeTheta         {@code rope_parameters.rope_theta} (only the default RoPE type is defined for the tower)
 * @param standardize       whether the pooled output becomes {@code (h − std_bias) · std_scale}
 * @param useClippedLinears whether every projection of the encoder clamps its input and output to loaded bounds
 */
record Gemma4VisionConfig(int hiddenSize, int intermediateSize, int numHiddenLayers, int numAttentionHeads,
                          int numKeyValueHeads, int headDim, int patchSize, int poolingKernelSize,
                          int positionEmbeddingSize, double rmsNormEps, double ropeTheta, boolean standardize,
                          boolean useClippedLinears) {

    static Gemma4VisionConfig from(ModelConfig c) throws ModelLoadException {
        String activation = c.getString("hidden_activation").orElse("gelu_pytorch_tanh");
        if (!activation.equals("gelu_pytorch_tanh")) {
            throw new ModelLoadException("vision_config.hidden_activation must be gelu_pytorch_tanh, got " + activation);
        }
        String ropeType = c.getString("rope_parameters.rope_type").orElse("default");
        if (!ropeType.equals("default")) {
            throw new ModelLoadException("vision_config.rope_parameters.rope_type must be default, got " + ropeType);
        }
        if (c.getBoolean("attention_bias", false)) {
            throw new ModelLoadException("vision_config.attention_bias true is not supported (Gemma 4's tower has "
                    + "no attention biases)");
        }
        int heads = c.getInt("num_attention_heads", 12);
        int hidden = c.getInt("hidden_size", 768);
        Gemma4VisionConfig config = new Gemma4VisionConfig(hidden, c.getInt("intermediate_size", 3072),
                c.getInt("num_hidden_layers", 16), heads, c.getInt("num_key_value_heads", heads),
                c.getInt("head_dim", hidden / heads), c.getInt("patch_size", 16), c.getInt("pooling_kernel_size", 3),
                c.getInt("position_embedding_size", 10 * 1024), c.getDouble("rms_norm_eps", 1e-6),
                c.getDouble("rope_parameters.rope_theta", 100.0), c.getBoolean("standardize", false),
                c.getBoolean("use_clipped_linears", false));
        if (config.headDim % 4 != 0) {
            throw new ModelLoadException("vision_config.head_dim must be a multiple of 4 (2-D RoPE rotates pairs in "
                    + "each half), got " + config.headDim);
        }
        if (heads % config.numKeyValueHeads != 0) {
            throw new ModelLoadException("vision_config.num_attention_heads (" + heads + ") must be a multiple of "
                    + "num_key_value_heads (" + config.numKeyValueHeads + ")");
        }
        return config;
    }
}
