package ai.tessera.core.engine;

import java.util.Locale;

/** Why a request ended, with the OpenAI API's names. */
public enum FinishReason {
    /** An end-of-sequence token, a stop token id or a stop string. */
    STOP,
    /** {@code max_tokens} or {@code --max-model-len} reached. */
    LENGTH,
    /** {@link Engine#abort} (client gone) or the engine closed. */
    ABORT;

    /** {@code stop}, {@code length} or {@code abort}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
