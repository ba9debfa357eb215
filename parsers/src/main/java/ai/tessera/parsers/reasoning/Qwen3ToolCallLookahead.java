package ai.tessera.parsers.reasoning;

import ai.tessera.parsers.text.PartialTags;
import ai.tessera.parsers.text.PythonWhitespace;

/**
 * Decides whether a {@code <tool_call>} inside Qwen3 reasoning really starts a call, which ends reasoning without
 * {@code </think>}: vLLM's qwen3 parser requires optional whitespace, then {@code <function} and a whitespace or
 * {@code =}, because reasoning text often mentions {@code <tool_call>} without calling anything.
 */
final class Qwen3ToolCallLookahead {
    static final String TOOL_CALL_TAG = "<tool_call>";
    private static final String FUNCTION_OPEN = "<function";

    enum Verdict { CALL, NOT_A_CALL, UNDECIDED }

    private Qwen3ToolCallLookahead() {
    }

    /** Judges the {@code <tool_call>} at the start of {@code text}; UNDECIDED only while more text may decide. */
    static Verdict judge(CharSequence text, boolean atEnd) {
        int i = PythonWhitespace.skip(text, TOOL_CALL_TAG.length());
        int after = i + FUNCTION_OPEN.length();
        if (after < text.length()) {
            char c = text.charAt(after);
            boolean opens = PartialTags.startsWithAt(text, i, FUNCTION_OPEN)
                    && (c == '=' || PythonWhitespace.isSpace(c));
            return opens ? Verdict.CALL : Verdict.NOT_A_CALL;
        }
        if (!atEnd && PartialTags.restIsPrefixOf(text, i, FUNCTION_OPEN)) {
            return Verdict.UNDECIDED;
        }
        return Verdict.NOT_A_CALL;
    }
}
