package ai.tessera.gemma4;

import java.util.List;

import ai.tessera.api.ModelConfig;
import ai.tessera.api.ModelLoadException;

/**
 * {@code audio_config} of a Gemma 4 checkpoint ({@code Gemma4AudioConfig}, the USM conformer); defaults are
 * transformers'.
 *
 * @param subsamplingChannels  output channels of the two stride-2 3×3 convolutions
 * @param convKernelSize       the light convolution's causal depthwise kernel
 * @param residualWeight       the factor of each half-step feed-forward's output
 * @param chunkSize            queries per block of the chunked local attention
 * @param contextLeft          {@code attention_context_left}: a query sees itself and {@code contextLeft − 2} keys
 *                             before it (transformers' mask keeps distances {@code 0 .. contextLeft − 2})
 * @param contextRight         keys after the query (0 in every released checkpoint)
 * @param logitCap             attention logits become {@code cap · tanh(x / cap)}
 * @param invalidLogit         the logit of a masked key
 * @param gradientClipping     the conformer clamps its activations to {@code ±gradientClipping}
 * @param outputProjDims       the width of {@code output_proj}, the input of {@code embed_audio}
 */
record Gemma4AudioConfig(int hiddenSize, int numHiddenLayers, int numAttentionHeads, int[] subsamplingChannels,
                         int convKernelSize, double residualWeight, int chunkSize, int contextLeft, int contextRight,
                         double logitCap, double invalidLogit, boolean useClippedLinears, double rmsNormEps,
                         double gradientClipping, int outputProjDims) {
    /** The mel bins of the feature extractor, the frequency axis of the subsampling convolutions. */
    static final int MEL_BINS = 128;

    static Gemma4AudioConfig from(ModelConfig c) throws ModelLoadException {
        String activation = c.getString("hidden_act").orElse("silu");
        if (!activation.equals("silu")) {
            throw new ModelLoadException("audio_config.hidden_act must be silu, got " + activation);
        }
        List<Double> channels = c.getDoubles("subsampling_conv_channels");
        int[] subsampling = channels.isEmpty() ? new int[] {128, 32}
                : channels.stream().mapToInt(Double::intValue).toArray();
        if (subsampling.length != 2) {
            throw new ModelLoadException("audio_config.subsampling_conv_channels must hold 2 channel counts, got "
                    + channels);
        }
        // transformers sizes input_proj_linear as (channels[0] / 4) · channels[1]: the frequency axis after two
        // stride-2 convolutions is 128 / 4 = 32, which only agrees when the first convolution has 128 channels.
        if (subsampling[0] != MEL_BINS) {
            throw new ModelLoadException("audio_config.subsampling_conv_channels[0] must be " + MEL_BINS
                    + " (transformers sizes the input projection from it as the mel bins / 4), got " + subsampling[0]);
        }
        int hidden = c.getInt("hidden_size", 1024);
        int heads = c.getInt("num_attention_heads", 8);
        if (hidden % heads != 0) {
            throw new ModelLoadException("audio_config.hidden_size (" + hidden + ") must be a multiple of "
                    + "num_attention_heads (" + heads + ")");
        }
        int right = c.getInt("attention_context_right", 0);
        if (right != 0) {
            throw new ModelLoadException("audio_config.attention_context_right must be 0 (the released checkpoints'"
                    + " causal conformer), got " + right);
        }
        int left = c.getInt("attention_context_left", 13);
        if (left < 2) {
            // the window keeps distances 0 .. left − 2: below 2 a frame would not even see itself
            throw new ModelLoadException("audio_config.attention_context_left must be at least 2, got " + left);
        }
        return new Gemma4AudioConfig(hidden, c.getInt("num_hidden_layers", 12), heads, subsampling,
                c.getInt("conv_kernel_size", 5), c.getDouble("residual_weight", 0.5),
                c.getInt("attention_chunk_size", 12), left, right, c.getDouble("attention_logit_cap", 50.0),
                c.getDouble("attention_invalid_logits_value", -1.0e9), c.getBoolean("use_clipped_linears", true),
                c.getDouble("rms_norm_eps", 1e-6), c.getDouble("gradient_clipping", 1e10),
                c.getInt("output_proj_dims", 1536));
    }

    int headDim() {
        return hiddenSize / numAttentionHeads;
    }

    /** The widest distance {@code query − key} a query attends to. */
    int maxPastDistance() {
        return contextLeft - 2;
    }
}
