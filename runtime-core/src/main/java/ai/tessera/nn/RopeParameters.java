package ai.tessera.nn;

import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;

import ai.tessera.api.ModelConfig;

/**
 * A model's RoPE settings read as transformers 5 standardizes them ({@code RotaryEmbeddingConfigMixin}): from the
 * {@code rope_scaling} dict (older configs) or the {@code rope_parameters} dict (transformers 5), taking
 * {@code rope_theta} and {@code partial_rotary_factor} from the top level where the dict lacks them, and the
 * top-level {@code original_max_position_embeddings} before the dict's (Phi-3 keeps it at the top level).
 *
 * @param ropeType                      {@code default}, {@code longrope}, ... ({@code type} in old configs)
 * @param theta                         the base wavelength ({@code rope_theta}, 10000 when absent)
 * @param partialRotaryFactor           the fraction of each head that is rotated
 * @param shortFactor                   LongRoPE per-channel factors within the original context; empty otherwise
 * @param longFactor                    LongRoPE per-channel factors beyond it; empty otherwise
 * @param factor                        the context extension factor, when the dict gives it
 * @param attentionFactor               the cos/sin scaling, when the dict gives it
 * @param originalMaxPositionEmbeddings the pre-training context length
 * @param maxPositionEmbeddings         the extended context length
 */
public record RopeParameters(String ropeType, double theta, double partialRotaryFactor, List<Double> shortFactor,
                             List<Double> longFactor, OptionalDouble factor, OptionalDouble attentionFactor,
                             int originalMaxPositionEmbeddings, int maxPositionEmbeddings) {
    /** transformers' {@code default_theta}. */
    public static final double DEFAULT_THETA = 10_000.0;

    public RopeParameters {
        shortFactor = List.copyOf(shortFactor);
        longFactor = List.copyOf(longFactor);
    }

    /**
     * Reads the settings of {@code config}.
     *
     * @param defaultMaxPositionEmbeddings the architecture's default when {@code max_position_embeddings} is absent
     */
    public static RopeParameters read(ModelConfig config, int defaultMaxPositionEmbeddings) {
        // As transformers' convert_rope_params_to_dict: a non-empty legacy rope_scaling wins over rope_parameters.
        Optional<ModelConfig> dict = config.section("rope_scaling").filter(d -> !d.toJson().equals("{}"))
                .or(() -> config.section("rope_parameters"));
        String type = dict.flatMap(d -> d.getString("rope_type").or(() -> d.getString("type"))).orElse("default");
        double topTheta = config.getDouble("rope_theta", DEFAULT_THETA);
        double topPartial = config.getDouble("partial_rotary_factor", 1.0);
        int maxPositions = config.getInt("max_position_embeddings", defaultMaxPositionEmbeddings);
        int dictOriginal = dict.map(d -> d.getInt("original_max_position_embeddings", maxPositions))
                .orElse(maxPositions);
        return new RopeParameters(type,
                dict.map(d -> d.getDouble("rope_theta", topTheta)).orElse(topTheta),
                dict.map(d -> d.getDouble("partial_rotary_factor", topPartial)).orElse(topPartial),
                dict.map(d -> d.getDoubles("short_factor")).orElse(List.of()),
                dict.map(d -> d.getDoubles("long_factor")).orElse(List.of()),
                optionalDouble(dict, "factor"),
                optionalDouble(dict, "attention_factor"),
                config.getInt("original_max_position_embeddings", dictOriginal),
                maxPositions);
    }

    private static OptionalDouble optionalDouble(Optional<ModelConfig> dict, String key) {
        return dict.filter(d -> d.has(key)).map(d -> OptionalDouble.of(d.getDouble(key, Double.NaN)))
                .orElse(OptionalDouble.empty());
    }

    /** The same settings under another type name (e.g. Phi-3 reads {@code su} as {@code longrope}). */
    public RopeParameters withType(String type) {
        return new RopeParameters(type, theta, partialRotaryFactor, shortFactor, longFactor, factor, attentionFactor,
                originalMaxPositionEmbeddings, maxPositionEmbeddings);
    }

    /** Rotated channels of a head: {@code int(headDim * partial_rotary_factor)}, as transformers truncates it. */
    public int rotaryDim(int headDim) {
        return (int) (headDim * partialRotaryFactor);
    }
}
