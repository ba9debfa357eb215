package ai.tessera.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A model architecture, registered as a service with {@link #PROPERTY} set to the Hugging Face
 * {@code architectures} names it implements (a String or String[]), e.g. {@code Qwen2_5_VLForConditionalGeneration}.
 * The container picks it by {@code architectures[0]} of a model's {@code config.json}.
 */
@ConsumerType
public interface ModelArchitecture {
    /** Service property: the architecture name(s) this service implements. */
    String PROPERTY = "tessera.architecture";

    /**
     * Builds the model from its configuration and weights on the context's platform.
     *
     * @throws ModelLoadException when the configuration or weights do not fit this architecture; the message
     *                            names the offending key or tensor with expected and actual values
     */
    LoadedModel load(ModelContext context) throws ModelLoadException;
}
