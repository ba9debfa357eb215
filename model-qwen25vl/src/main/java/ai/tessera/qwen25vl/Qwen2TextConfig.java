package ai.tessera.qwen25vl;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import ai.tessera.api.ModelConfig;
import ai.tessera.api.ModelLoadException;

/**
 * The keys of transformers' {@code Qwen2_5_VLTextConfig} that the language model uses, with its defaults. Published
 * checkpoints keep them at the top level of config.json; transformers 5 saves them under {@code text_config}, which
 * then wins (as in {@code Qwen2_5_VLConfig.__post_init__}).
 *
 * @param headDim        {@code hidden_size / num_attention_heads} (Qwen2.5-VL has no {@code head_dim} key)
 * @param ropeTheta      from the rope dict, else the top level, else 1e6 ({@code default_theta})
 * @param mropeSection   rotary frequencies taken from the temporal, height and width positions, in that order; they
 *                       add up to {@code headDim / 2}
 * @param slidingWindows per layer, the window of {@code sliding_attention} layers (those at or beyond
 *                       {@code max_window_layers} when {@code use_sliding_window}), else empty
 */
record Qwen2TextConfig(int vocabSize, int hiddenSize, int intermediateSize, int numHiddenLayers, int numAttentionHeads,
                       int numKeyValueHeads, int headDim, double rmsNormEps, double ropeTheta, List<Integer> mropeSection,
                       List<OptionalInt> slidingWindows, boolean tieWordEmbeddings) {
    static final double DEFAULT_THETA = 1_000_000.0;
    static final List<Integer> DEFAULT_MROPE_SECTION = List.of(16, 24, 24);

    Qwen2TextConfig {
        mropeSection = List.copyOf(mropeSection);
        slidingWindows = List.copyOf(slidingWindows);
    }

    static Qwen2TextConfig from(ModelConfig root) throws ModelLoadException {
        ModelConfig config = root.section("text_config").orElse(root);
        String prefix = config == root ? "" : "text_config.";
        int hidden = intOr(config, "hidden_size", 8192);
        int heads = intOr(config, "num_attention_heads", 64);
        int kvHeads = intOr(config, "num_key_value_heads", 8);
        if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0) {
            throw new ModelLoadException("config.json " + prefix + "num_attention_heads (" + heads + ") must be a"
                    + " positive multiple of num_key_value_heads (" + kvHeads + ")");
        }
        if (hidden % heads != 0) {
            throw new ModelLoadException("config.json " + prefix + "hidden_size (" + hidden + ") must be a multiple of"
                    + " num_attention_heads (" + heads + ")");
        }
        String activation = config.getString("hidden_act").orElse("silu");
        if (!activation.equals("silu")) {
            throw new ModelLoadException("config.json " + prefix + "hidden_act must be 'silu' for"
                    + " Qwen2_5_VLForConditionalGeneration, got '" + activation + "'");
        }
        int headDim = hidden / heads;
        int layers = intOr(config, "num_hidden_layers", 80);
        Optional<ModelConfig> rope = ropeDict(config);
        String ropeType = rope.flatMap(d -> d.getString("rope_type").or(() -> d.getString("type"))).orElse("default");
        if (!ropeType.equals("default") && !ropeType.equals("mrope")) {
            throw new ModelLoadException("config.json " + prefix + "rope type must be 'mrope' or 'default' (with"
                    + " mrope_section) for Qwen2_5_VLForConditionalGeneration, got '" + ropeType + "'");
        }
        double topTheta = config.getDouble("rope_theta", DEFAULT_THETA);
        double theta = rope.map(d -> d.getDouble("rope_theta", topTheta)).orElse(topTheta);
        List<Integer> section = rope.map(d -> d.getDoubles("mrope_section")).filter(l -> !l.isEmpty())
                .map(Qwen2TextConfig::integers).orElse(DEFAULT_MROPE_SECTION);
        int sectionSum = section.stream().mapToInt(Integer::intValue).sum();
        if (section.size() != 3 || sectionSum * 2 != headDim) {
            throw new ModelLoadException("config.json " + prefix + "mrope_section must be 3 sizes (temporal, height,"
                    + " width) adding up to head_dim / 2 = " + headDim / 2 + ", got " + section);
        }
        boolean tie = root.getBoolean("tie_word_embeddings", false) || config.getBoolean("tie_word_embeddings", false);
        return new Qwen2TextConfig(intOr(config, "vocab_size", 152064), hidden, intOr(config, "intermediate_size", 29568),
                layers, heads, kvHeads, headDim, config.getDouble("rms_norm_eps", 1e-5), theta, section,
                slidingWindows(config, layers), tie);
    }

    /** As transformers' {@code convert_rope_params_to_dict}: a non-empty {@code rope_scaling} wins. */
    private static Optional<ModelConfig> ropeDict(ModelConfig config) {
        return config.section("rope_scaling").filter(d -> !d.toJson().equals("{}"))
                .or(() -> config.section("rope_parameters"));
    }

    /**
     * Sliding layers as {@code Qwen2_5_VLTextConfig} derives {@code layer_types}: those at or beyond
     * {@code max_window_layers} when {@code use_sliding_window}. (A saved {@code layer_types} was derived by the same
     * rule; every published Qwen2.5-VL checkpoint has {@code use_sliding_window: false}.)
     */
    private static List<OptionalInt> slidingWindows(ModelConfig config, int layers) {
        boolean useSliding = config.getBoolean("use_sliding_window", false);
        int window = config.getInt("sliding_window", 4096);
        List<OptionalInt> windows = new ArrayList<>();
        int maxWindowLayers = config.getInt("max_window_layers", 80);
        for (int i = 0; i < layers; i++) {
            boolean sliding = useSliding && i >= maxWindowLayers;
            windows.add(sliding ? OptionalInt.of(window) : OptionalInt.empty());
        }
        return windows;
    }

    private static List<Integer> integers(List<Double> values) {
        return values.stream().map(Double::intValue).toList();
    }

    private static int intOr(ModelConfig config, String key, int fallback) throws ModelLoadException {
        return config.has(key) ? config.getInt(key) : fallback;
    }
}
