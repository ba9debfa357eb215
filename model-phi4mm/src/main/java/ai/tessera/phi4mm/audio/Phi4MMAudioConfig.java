package ai.tessera.phi4mm.audio;

import ai.tessera.api.ModelConfig;
import ai.tessera.api.ModelLoadException;

/**
 * The audio side of an original Phi-4-multimodal {@code config.json}: the conformer of
 * {@code audio_processor.config} ("cascades") and the projection of {@code embd_layer.audio_embd_layer}. Key names
 * are the original ones; transformers' {@code Phi4MultimodalAudioConfig} renames a few (see
 * {@code tools/reference/phi4mm_audio.md}). Settings the checkpoint never uses are refused with the reason rather
 * than computed some other way.
 *
 * @param hiddenSize               the language model's width, what the projections produce
 * @param attentionDim             conformer width ({@code attention_dim})
 * @param attentionHeads           {@code attention_heads}
 * @param linearUnits              feed-forward width ({@code linear_units})
 * @param numBlocks                conformer blocks
 * @param inputSize                mel bins ({@code input_size})
 * @param timeReduction            subsampling factor of the NeMo convolutions, a power of two
 * @param convChannels             {@code nemo_conv_settings.conv_channels}
 * @param kernelSize               the depthwise convolution's kernel
 * @param depthwiseMultiplier      channels per group of the depthwise convolution
 * @param biasInGlu                whether the GLU pointwise convolution has its b1/b2 biases
 * @param biasMaxDistance          {@code relative_attention_bias_args.t5_bias_max_distance}
 * @param biasSymmetric            {@code relative_attention_bias_args.t5_bias_symmetric}
 * @param activation               feed-forward GLU activation
 * @param convActivation           activation after the depthwise convolution
 * @param convGluActivation        activation of the GLU pointwise convolution's gate
 * @param compressionRate          audio frames per audio token ({@code embd_layer.audio_embd_layer.compression_rate})
 */
public record Phi4MMAudioConfig(int hiddenSize, int attentionDim, int attentionHeads, int linearUnits, int numBlocks,
                                int inputSize, int timeReduction, int convChannels, int kernelSize,
                                int depthwiseMultiplier, boolean biasInGlu, int biasMaxDistance, boolean biasSymmetric,
                                Activation activation, Activation convActivation, Activation convGluActivation,
                                int compressionRate) {
    private static final String ENCODER = "audio_processor.config.";
    private static final String EMBEDDING = "embd_layer.audio_embd_layer.";

    public Phi4MMAudioConfig {
        if (attentionDim % attentionHeads != 0) {
            throw new IllegalArgumentException("attention_dim " + attentionDim + " is not a multiple of attention_heads "
                    + attentionHeads);
        }
        if (timeReduction < 2 || Integer.bitCount(timeReduction) != 1) {
            throw new IllegalArgumentException("time_reduction must be a power of two >= 2, got " + timeReduction);
        }
    }

    public int headDim() {
        return attentionDim / attentionHeads;
    }

    /** Mel bins left after the subsampling convolutions (kernel 3, stride 2, padding 1 each): NeMo's final size. */
    public int subsampledFrequencies() {
        int size = inputSize;
        for (int i = 0; i < subsamplingStages(); i++) {
            size = (size + 1) / 2;
        }
        return size;
    }

    public int subsamplingStages() {
        return Integer.numberOfTrailingZeros(timeReduction);
    }

    /** Reads the original layout; fails naming the key for settings Phi-4-multimodal's code paths do not take. */
    public static Phi4MMAudioConfig from(ModelConfig config) throws ModelLoadException {
        String name = config.getString("audio_processor.name").orElse("(absent)");
        if (!name.equals("cascades")) {
            throw new ModelLoadException("audio_processor.name must be \"cascades\" (the conformer encoder), got " + name);
        }
        String inputLayer = config.getString(ENCODER + "input_layer").orElse("nemo_conv");
        require(inputLayer.equals("nemo_conv"), ENCODER + "input_layer", "\"nemo_conv\"", inputLayer);
        String subsampling = config.getString(ENCODER + "nemo_conv_settings.subsampling").orElse("dw_striding");
        require(subsampling.equals("dw_striding"), ENCODER + "nemo_conv_settings.subsampling", "\"dw_striding\"",
                subsampling);
        boolean causalSubsampling = config.getBoolean(ENCODER + "nemo_conv_settings.is_causal", false);
        require(!causalSubsampling, ENCODER + "nemo_conv_settings.is_causal", "false", "true");
        String biasType = config.getString(ENCODER + "relative_attention_bias_args.type").orElse("(absent)");
        require(biasType.equals("t5"), ENCODER + "relative_attention_bias_args.type", "\"t5\"", biasType);
        int chunkSize = config.getInt(ENCODER + "chunk_size", -1);
        require(chunkSize <= 0, ENCODER + "chunk_size", "-1 (full attention; streaming chunks are not implemented)",
                String.valueOf(chunkSize));
        require(config.getBoolean(ENCODER + "causal", true), ENCODER + "causal",
                "true (the depthwise convolution sees no future frames)", "false");
        require(!config.getBoolean(ENCODER + "batch_norm", false), ENCODER + "batch_norm", "false", "true");
        require(!config.getBoolean(ENCODER + "linear_glu_in_convm", false), ENCODER + "linear_glu_in_convm", "false",
                "true");
        int groupSize = config.getInt(ENCODER + "attention_group_size", 1);
        require(groupSize == 1, ENCODER + "attention_group_size", "1", String.valueOf(groupSize));
        int extPwKernel = config.getInt(ENCODER + "ext_pw_kernel_size", 1);
        require(extPwKernel == 1, ENCODER + "ext_pw_kernel_size", "1", String.valueOf(extPwKernel));

        int dim = config.getInt(ENCODER + "attention_dim");
        int separableOut = config.getInt(ENCODER + "depthwise_seperable_out_channel");
        require(separableOut == dim, ENCODER + "depthwise_seperable_out_channel", "attention_dim " + dim,
                String.valueOf(separableOut));
        int extPwOut = config.getInt(ENCODER + "ext_pw_out_channel");
        require(extPwOut == dim, ENCODER + "ext_pw_out_channel", "attention_dim " + dim, String.valueOf(extPwOut));
        int inputSize = config.getInt(ENCODER + "input_size");
        int embeddingInput = config.getInt(ENCODER + "encoder_embedding_config.input_size", inputSize);
        require(embeddingInput == inputSize, ENCODER + "encoder_embedding_config.input_size", "input_size " + inputSize,
                String.valueOf(embeddingInput));

        String projection = config.getString(EMBEDDING + "projection_cls").orElse("linear");
        require(projection.equals("mlp"), EMBEDDING + "projection_cls", "\"mlp\" (Linear, GELU, Linear)", projection);
        require(!config.getBoolean(EMBEDDING + "use_qformer", false), EMBEDDING + "use_qformer", "false", "true");
        require(!config.getBoolean(EMBEDDING + "use_conv_downsample", false), EMBEDDING + "use_conv_downsample",
                "false", "true");
        int downsample = config.getInt(EMBEDDING + "downsample_rate", 1);
        require(downsample == 1, EMBEDDING + "downsample_rate", "1", String.valueOf(downsample));

        return new Phi4MMAudioConfig(config.getInt("hidden_size"), dim, config.getInt(ENCODER + "attention_heads"),
                config.getInt(ENCODER + "linear_units"), config.getInt(ENCODER + "num_blocks"), inputSize,
                config.getInt(ENCODER + "time_reduction", 4), config.getInt(ENCODER + "nemo_conv_settings.conv_channels",
                256), config.getInt(ENCODER + "kernel_size", 3), config.getInt(ENCODER + "depthwise_multiplier", 1),
                config.getBoolean(ENCODER + "bias_in_glu", true),
                config.getInt(ENCODER + "relative_attention_bias_args.t5_bias_max_distance", 1000),
                config.getBoolean(ENCODER + "relative_attention_bias_args.t5_bias_symmetric", false),
                activation(config, ENCODER + "activation", "relu"),
                activation(config, ENCODER + "conv_activation", "relu"),
                activation(config, ENCODER + "conv_glu_type", "sigmoid"),
                config.getInt(EMBEDDING + "compression_rate", 8));
    }

    private static Activation activation(ModelConfig config, String key, String fallback) throws ModelLoadException {
        String name = config.getString(key).orElse(fallback);
        try {
            return Activation.named(name);
        } catch (IllegalArgumentException e) {
            throw new ModelLoadException(key + ": " + e.getMessage(), e);
        }
    }

    private static void require(boolean ok, String key, String expected, String actual) throws ModelLoadException {
        if (!ok) {
            throw new ModelLoadException(key + " must be " + expected + " for Phi-4-multimodal's audio encoder, got "
                    + actual);
        }
    }
}
