package ai.tessera.api;

import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A model's {@code config.json} after {@code --hf-overrides} were merged in. Keys are read by dotted path
 * ({@code "text_config.hidden_size"}); a missing required key is an error that names it.
 */
@ProviderType
public interface ModelConfig {
    /** {@code architectures[0]}, the name the container resolved this model by. */
    String architecture();

    boolean has(String path);

    /**
     * Whether {@code path} is present with the JSON value {@code null} (transformers' {@code None}), which some keys
     * distinguish from an absent key: Gemma 4's {@code hidden_size_per_layer_input} defaults to 256 when absent but
     * turns Per-Layer Embeddings off when null. {@link #has} is false for both.
     */
    default boolean isNull(String path) {
        return false;
    }

    int getInt(String path) throws ModelLoadException;

    int getInt(String path, int fallback);

    double getDouble(String path) throws ModelLoadException;

    double getDouble(String path, double fallback);

    Optional<String> getString(String path);

    boolean getBoolean(String path, boolean fallback);

    /** A list of numbers, e.g. {@code rope_scaling.short_factor}; empty when absent. */
    List<Double> getDoubles(String path);

    /**
     * A list of strings, e.g. Gemma 4's {@code layer_types}; empty when absent.
     *
     * @throws ModelLoadException naming the key when it is not a list of strings
     */
    default List<String> getStrings(String path) throws ModelLoadException {
        return List.of();
    }

    /** The sub-configuration at {@code path} (e.g. {@code text_config}), or empty. */
    Optional<ModelConfig> section(String path);

    /** The configuration as JSON text, for logging and for handing to other tools. */
    String toJson();
}
