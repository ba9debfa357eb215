package ai.tessera.api;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Turns the media of a request into encoder inputs and placeholder tokens, as the model's Hugging Face
 * processor does. Registered with {@link #PROPERTY} set to the architecture name(s) it serves; the container
 * binds it to each loaded model with {@link #forModel}.
 */
@ConsumerType
public interface MultimodalProcessor {
    String PROPERTY = "tessera.multimodal-processor";

    /** The modalities the model accepts besides text, e.g. {@code image}, {@code audio}, {@code video}. */
    List<String> modalities();

    /**
     * Reads the model's processor settings ({@code preprocessor_config.json}, {@code config.json} token ids...).
     *
     * @param modelDirectory the model folder, when the model was loaded from one (else defaults of the family)
     * @throws ModelLoadException when the settings are invalid, naming the key with expected and actual values
     */
    MediaProcessor forModel(ModelConfig config, Optional<Path> modelDirectory) throws ModelLoadException;

    /**
     * Checks the number of items per modality against {@code --limit-mm-per-prompt}.
     *
     * @throws IllegalArgumentException naming the modality, the limit and the count
     */
    default void checkLimits(Map<String, Integer> counts, Map<String, Integer> limits) {
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            if (!modalities().contains(e.getKey()) && e.getValue() > 0) {
                throw new IllegalArgumentException("This model does not accept " + e.getKey() + " input; it accepts "
                        + (modalities().isEmpty() ? "text only" : String.join(", ", modalities())));
            }
            Integer limit = limits.get(e.getKey());
            if (limit != null && e.getValue() > limit) {
                throw new IllegalArgumentException("At most " + limit + " " + e.getKey() + "(s) may be provided in one "
                        + "prompt (--limit-mm-per-prompt), got " + e.getValue());
            }
        }
    }
}
