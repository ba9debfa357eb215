package ai.tessera.gemma4;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.logging.Logger;

import ai.tessera.api.ModelConfig;
import ai.tessera.api.ModelLoadException;

/**
 * The keys of transformers' {@code Gemma4TextConfig} that the text decoder uses, with its defaults where a key is
 * absent (and its meaning of {@code null} where that differs), checked so that a configuration the decoder cannot
 * run fails with the key, the expected and the actual value rather than somewhere in a forward pass.
 *
 * @param layers                  each decoder layer's kind, head size and key/value heads
 * @param slidingWindow           keys a sliding layer's query sees: positions {@code q - k < window}
 * @param hiddenSizePerLayerInput width of the Per-Layer Embeddings, 0 without them
 * @param numKvSharedLayers       the last this many layers reuse the keys and values of earlier layers
 * @param moe                     the mixture of experts that runs beside the dense MLP of every layer, if any
 * @param rope                    RoPE settings per layer kind
 */
record Gemma4TextConfig(int vocabSize, int hiddenSize, int intermediateSize, int numAttentionHeads,
                        List<LayerAttention> layers, double rmsNormEps, boolean attentionBias,
                        OptionalInt slidingWindow, OptionalDouble finalLogitSoftcapping, int hiddenSizePerLayerInput,
                        int vocabSizePerLayerInput, boolean attentionKEqV, int numKvSharedLayers,
                        boolean useDoubleWideMlp, Optional<Moe> moe, Map<LayerType, Rope> rope, int padTokenId,
                        boolean tieWordEmbeddings) {
    private static final Logger LOG = Logger.getLogger(Gemma4TextConfig.class.getName());
    static final String ACTIVATION = "gelu_pytorch_tanh";

    Gemma4TextConfig {
        layers = List.copyOf(layers);
        rope = Map.copyOf(rope);
    }

    /** One decoder layer's attention geometry. */
    record LayerAttention(LayerType type, int headDim, int numKvHeads) {
    }

    /** The experts of an MoE layer: {@code numExperts} gated MLPs of {@code intermediateSize}, {@code topK} per token. */
    record Moe(int numExperts, int topK, int intermediateSize) {
    }

    /**
     * One layer kind's RoPE: {@code default} rotates the whole head with {@code theta^(-2j/headDim)};
     * {@code proportional} rotates the first {@code partialRotaryFactor * headDim / 2} frequency pairs and leaves
     * the other channels as they are, all divided by {@code factor}.
     */
    record Rope(String type, double theta, double partialRotaryFactor, double factor) {
    }

    int numHiddenLayers() {
        return layers.size();
    }

    /** The first KV-shared layer ({@code num_hidden_layers} when none is). */
    int firstKvSharedLayer() {
        return layers.size() - numKvSharedLayers;
    }

    /**
     * Reads the text configuration.
     *
     * @param config the text configuration: {@code text_config} of a {@code Gemma4ForConditionalGeneration}
     *               checkpoint, or the whole config.json of a {@code Gemma4ForCausalLM}
     * @param where  how messages name that section ({@code "text_config."} or {@code ""})
     */
    static Gemma4TextConfig from(ModelConfig config, String where) throws ModelLoadException {
        Keys keys = new Keys(config, where);
        String activation = config.getString("hidden_activation").or(() -> config.getString("hidden_act"))
                .orElse(ACTIVATION);
        if (!activation.equals(ACTIVATION)) {
            throw new ModelLoadException("config.json " + where + "hidden_activation must be '" + ACTIVATION
                    + "' for Gemma 4 (its gated MLPs use the tanh approximation of GELU), got '" + activation + "'");
        }
        String bidirectional = config.getString("use_bidirectional_attention").orElse(null);
        if (bidirectional != null && !bidirectional.equals("vision")) {
            throw new ModelLoadException("config.json " + where + "use_bidirectional_attention must be null or"
                    + " 'vision' (causal text, as every generating Gemma 4 checkpoint), got '" + bidirectional
                    + "': non-causal attention over all tokens cannot generate");
        }
        int hidden = keys.positive("hidden_size", 2304);
        int heads = keys.positive("num_attention_heads", 8);
        int numLayers = keys.positive("num_hidden_layers", 30);
        List<LayerType> types = layerTypes(config, where, numLayers);
        List<LayerAttention> layers = layerAttention(config, keys, where, types, heads);

        int kvShared = keys.atLeast("num_kv_shared_layers", 0, 0);
        if (kvShared >= numLayers) {
            throw new ModelLoadException("config.json " + where + "num_kv_shared_layers must be less than"
                    + " num_hidden_layers (" + numLayers + ") so that some layer computes keys and values, got "
                    + kvShared);
        }
        OptionalInt window = keys.optionalPositive("sliding_window", OptionalInt.of(512));
        OptionalDouble softcap = OptionalDouble.empty();
        if (config.has("final_logit_softcapping")) {
            double cap = config.getDouble("final_logit_softcapping");
            if (!(cap > 0)) {
                throw new ModelLoadException("config.json " + where + "final_logit_softcapping must be positive or"
                        + " null, got " + cap);
            }
            softcap = OptionalDouble.of(cap);
        }
        int ple = config.isNull("hidden_size_per_layer_input") ? 0
                : keys.atLeast("hidden_size_per_layer_input", 0, 256);
        return new Gemma4TextConfig(
                keys.positive("vocab_size", 262_144),
                hidden,
                keys.positive("intermediate_size", 9216),
                heads,
                layers,
                config.has("rms_norm_eps") ? config.getDouble("rms_norm_eps") : 1e-6,
                config.getBoolean("attention_bias", false),
                window,
                softcap,
                ple,
                ple > 0 ? keys.positive("vocab_size_per_layer_input", 262_144) : 0,
                config.getBoolean("attention_k_eq_v", false),
                kvShared,
                config.getBoolean("use_double_wide_mlp", false),
                moe(config, keys, where),
                rope(config, where, layers),
                keys.atLeast("pad_token_id", 0, 0),
                config.getBoolean("tie_word_embeddings", true));
    }

    /** {@code layer_types}, or transformers' default (every sixth layer full); the last layer is always full. */
    private static List<LayerType> layerTypes(ModelConfig config, String where, int numLayers)
            throws ModelLoadException {
        List<String> names = config.getStrings("layer_types");
        List<LayerType> types = new ArrayList<>();
        if (names.isEmpty()) {
            for (int i = 0; i < numLayers; i++) {
                types.add((i + 1) % 6 == 0 ? LayerType.FULL : LayerType.SLIDING);
            }
        } else {
            if (names.size() != numLayers) {
                throw new ModelLoadException("config.json " + where + "layer_types must name num_hidden_layers ("
                        + numLayers + ") layers, got " + names.size());
            }
            for (int i = 0; i < names.size(); i++) {
                LayerType type = LayerType.of(names.get(i));
                if (type == null) {
                    throw new ModelLoadException("config.json " + where + "layer_types[" + i + "] must be"
                            + " 'sliding_attention' or 'full_attention', got '" + names.get(i) + "'");
                }
                types.add(type);
            }
        }
        if (types.get(numLayers - 1) != LayerType.FULL) {
            // As Gemma4TextConfig: the last layer attends globally whatever the list says.
            LOG.warning("config.json " + where + "layer_types ends with a sliding layer; the last layer is made a"
                    + " full-attention layer, as transformers does");
            types.set(numLayers - 1, LayerType.FULL);
        }
        return types;
    }

    /**
     * Head size and key/value heads per layer. Full layers take {@code global_head_dim} and, with
     * {@code attention_k_eq_v}, {@code num_global_key_value_heads}; a {@code per_layer_config} (what transformers
     * 5.15+ saves instead) gives them per layer index.
     */
    private static List<LayerAttention> layerAttention(ModelConfig config, Keys keys, String where,
                                                       List<LayerType> types, int heads) throws ModelLoadException {
        int headDim = keys.positive("head_dim", 256);
        int kvHeads = keys.positive("num_key_value_heads", 4);
        Optional<ModelConfig> perLayer = config.section("per_layer_config");
        boolean kEqV = config.getBoolean("attention_k_eq_v", false);
        int globalHeadDim = config.isNull("global_head_dim") ? headDim : keys.positive("global_head_dim", 512);
        List<LayerAttention> layers = new ArrayList<>();
        for (int i = 0; i < types.size(); i++) {
            LayerType type = types.get(i);
            int dim;
            int kv;
            if (perLayer.isPresent()) {
                ModelConfig overrides = perLayer.get().section(Integer.toString(i)).orElse(null);
                dim = overrides != null && overrides.has("head_dim") ? overrides.getInt("head_dim") : headDim;
                kv = overrides != null && overrides.has("num_key_value_heads")
                        ? overrides.getInt("num_key_value_heads") : kvHeads;
            } else if (type == LayerType.FULL) {
                dim = globalHeadDim;
                kv = kEqV ? globalKvHeads(config, keys, where) : kvHeads;
            } else {
                dim = headDim;
                kv = kvHeads;
            }
            if (dim <= 0 || kv <= 0 || heads % kv != 0) {
                throw new ModelLoadException("config.json " + where + "num_attention_heads (" + heads + ") must be a"
                        + " positive multiple of layer " + i + "'s key/value heads (" + kv + "), with a positive head"
                        + " size (" + dim + ")");
            }
            layers.add(new LayerAttention(type, dim, kv));
        }
        return layers;
    }

    private static int globalKvHeads(ModelConfig config, Keys keys, String where) throws ModelLoadException {
        if (!config.has("num_global_key_value_heads")) {
            throw new ModelLoadException("config.json " + where + "attention_k_eq_v is true, so the full-attention"
                    + " layers need num_global_key_value_heads (their shared key/value heads), which is "
                    + (config.isNull("num_global_key_value_heads") ? "null" : "absent"));
        }
        return keys.positive("num_global_key_value_heads", 0);
    }

    private static Optional<Moe> moe(ModelConfig config, Keys keys, String where) throws ModelLoadException {
        boolean enabled = config.getBoolean("enable_moe_block", config.getBoolean("use_second_mlp_block", false));
        if (!enabled) {
            return Optional.empty();
        }
        for (String key : new String[] {"num_experts", "top_k_experts"}) {
            if (!config.has(key)) {
                throw new ModelLoadException("config.json " + where + "enable_moe_block is true but " + key
                        + " is missing");
            }
        }
        String intermediateKey = config.has("moe_intermediate_size") || !config.has("expert_intermediate_size")
                ? "moe_intermediate_size" : "expert_intermediate_size";
        if (!config.has(intermediateKey)) {
            throw new ModelLoadException("config.json " + where + "enable_moe_block is true but"
                    + " moe_intermediate_size is missing");
        }
        int experts = keys.positive("num_experts", 0);
        int topK = keys.positive("top_k_experts", 0);
        if (topK > experts) {
            throw new ModelLoadException("config.json " + where + "top_k_experts (" + topK + ") must not exceed"
                    + " num_experts (" + experts + ")");
        }
        return Optional.of(new Moe(experts, topK, keys.positive(intermediateKey, 0)));
    }

    /** {@code rope_parameters} per layer kind, or transformers' defaults when absent. */
    private static Map<LayerType, Rope> rope(ModelConfig config, String where, List<LayerAttention> layers)
            throws ModelLoadException {
        Map<LayerType, Rope> rope = new EnumMap<>(LayerType.class);
        Optional<ModelConfig> parameters = config.section("rope_parameters");
        for (LayerAttention layer : layers) {
            LayerType type = layer.type();
            if (rope.containsKey(type)) {
                continue;
            }
            Rope settings;
            if (parameters.isEmpty()) {
                settings = type == LayerType.SLIDING ? new Rope("default", 10_000.0, 1.0, 1.0)
                        : new Rope("proportional", 1_000_000.0, 0.25, 1.0);
            } else {
                String key = "rope_parameters." + type.configName();
                ModelConfig dict = parameters.get().section(type.configName()).orElseThrow(() ->
                        new ModelLoadException("config.json " + where + "rope_parameters has no '"
                                + type.configName() + "' entry for the " + type.configName() + " layers"));
                settings = new Rope(dict.getString("rope_type").orElse("default"),
                        dict.getDouble("rope_theta", 10_000.0), dict.getDouble("partial_rotary_factor", 1.0),
                        dict.getDouble("factor", 1.0));
                if (!settings.type().equals("default") && !settings.type().equals("proportional")) {
                    throw new ModelLoadException("config.json " + where + key + ".rope_type must be 'default' or"
                            + " 'proportional' for Gemma 4, got '" + settings.type() + "'");
                }
                if (!(settings.theta() > 0) || !(settings.factor() > 0) || !(settings.partialRotaryFactor() > 0)
                        || settings.partialRotaryFactor() > 1) {
                    throw new ModelLoadException("config.json " + where + key + " needs a positive rope_theta and"
                            + " factor and a partial_rotary_factor in (0, 1], got " + dict.toJson());
                }
            }
            rope.put(type, settings);
        }
        return rope;
    }

    /** Integer keys with transformers' defaults, checked for range; errors name the key. */
    private record Keys(ModelConfig config, String where) {
        int positive(String key, int fallback) throws ModelLoadException {
            return atLeast(key, 1, fallback);
        }

        int atLeast(String key, int min, int fallback) throws ModelLoadException {
            int value = config.has(key) ? config.getInt(key) : fallback;
            if (value < min) {
                throw new ModelLoadException("config.json " + where + key + " must be at least " + min + ", got "
                        + value);
            }
            return value;
        }

        /** Absent: {@code fallback}; null: empty (transformers' None). */
        OptionalInt optionalPositive(String key, OptionalInt fallback) throws ModelLoadException {
            if (config.isNull(key)) {
                return OptionalInt.empty();
            }
            return config.has(key) ? OptionalInt.of(positive(key, 0)) : fallback;
        }
    }
}
