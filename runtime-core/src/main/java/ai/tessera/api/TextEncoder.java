package ai.tessera.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The served model's tokenizer as a media processor may use it: text to token ids without special tokens
 * ({@code add_special_tokens=False}), the way vLLM tokenizes the text of a placeholder replacement on its own, e.g.
 * Gemma 4's {@code mm:ss} frame timestamps. The framework implements it.
 */
@ProviderType
@FunctionalInterface
public interface TextEncoder {
    /**
     * @throws IllegalStateException when the model has no tokenizer
     */
    int[] encode(String text);
}
