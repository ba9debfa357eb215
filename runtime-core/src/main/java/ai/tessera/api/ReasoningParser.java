package ai.tessera.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Separates a model's reasoning from its answer (e.g. {@code <think>...</think>}); registered with
 * {@link #PROPERTY} set to the name {@code --reasoning-parser} selects. Implementations keep no state across
 * requests: streaming state lives in the {@link Stream} they create per request.
 */
@ConsumerType
public interface ReasoningParser {
    String PROPERTY = "tessera.reasoning-parser";

    /** Splits a whole generated text. */
    Extracted extract(String text);

    /** A fresh per-request state for streamed output. */
    Stream newStream();

    /**
     * Whether the reasoning is marked with special tokens, which the detokenizer must then keep in the text this
     * parser reads (vLLM's {@code adjust_request} setting {@code skip_special_tokens=False}).
     */
    default boolean needsSpecialTokens() {
        return false;
    }

    /** Reasoning and answer parts of a text; either may be empty, never null. */
    record Extracted(String reasoning, String content) {
    }

    /** Per-request streaming state. */
    interface Stream {
        /** The reasoning and content carried by {@code delta}, the newest piece of generated text. */
        Extracted onDelta(String delta);

        /** Called once at the end: whatever was held back waiting for a split tag. */
        Extracted finish();
    }
}
