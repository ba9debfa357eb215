package ai.tessera.parsers.reasoning;

import java.util.Objects;

/**
 * How a model family marks its reasoning section.
 *
 * @param startTag          opens reasoning ({@code <think>})
 * @param endTag            closes it; everything after is content
 * @param untaggedIsReasoning what text before any tag is: reasoning for models whose prompt already opened the
 *                          section (DeepSeek R1, Qwen3), content for models that open it themselves (Gemma 4)
 * @param label             a role label the model writes right after the start tag and that is not reasoning
 *                          ({@code "thought\n"} for Gemma 4), or empty
 * @param toolCallEndsReasoning whether a Qwen3 {@code <tool_call>} followed by {@code <function} ends reasoning
 *                          without {@code </think>}
 */
record ReasoningSyntax(String startTag, String endTag, boolean untaggedIsReasoning, String label,
        boolean toolCallEndsReasoning) {

    ReasoningSyntax {
        Objects.requireNonNull(startTag);
        Objects.requireNonNull(endTag);
        Objects.requireNonNull(label);
    }

    /** {@code <think>…</think>}, where a missing start tag means the text starts in reasoning. */
    static ReasoningSyntax think(boolean toolCallEndsReasoning) {
        return new ReasoningSyntax("<think>", "</think>", true, "", toolCallEndsReasoning);
    }

    /** Gemma 4's thinking channel: {@code <|channel>thought\n…<channel|>}; untagged text is content. */
    static ReasoningSyntax gemma4Channel() {
        return new ReasoningSyntax("<|channel>", "<channel|>", false, "thought\n", false);
    }
}
