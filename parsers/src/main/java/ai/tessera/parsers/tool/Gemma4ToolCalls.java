package ai.tessera.parsers.tool;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import ai.tessera.api.ToolParser.ToolCall;

/**
 * Recognises complete Gemma 4 calls, {@code <|tool_call>call:NAME{ARGS}<tool_call|>}, with vLLM's pattern: a name
 * of word characters, {@code -} and {@code .}, and the arguments up to the first {@code }<tool_call|>}.
 */
final class Gemma4ToolCalls {
    static final String START = "<|tool_call>";
    static final String END = "<tool_call|>";
    private static final Pattern CALL = Pattern.compile(
            "<\\|tool_call>call:([\\w\\-.]+)\\{(.*?)\\}<tool_call\\|>",
            Pattern.DOTALL | Pattern.UNICODE_CHARACTER_CLASS);

    private final PythonStyleJson json;

    Gemma4ToolCalls(PythonStyleJson json) {
        this.json = json;
    }

    /** Every well-formed call in {@code text}, in order; text that does not match is skipped. */
    List<ToolCall> findAll(String text) {
        List<ToolCall> calls = new ArrayList<>();
        Matcher matcher = CALL.matcher(text);
        while (matcher.find()) {
            calls.add(toCall(matcher));
        }
        return calls;
    }

    /** The call that {@code text}, from its start tag to its end tag, spells, if it is well formed. */
    Optional<ToolCall> parseOne(String text) {
        Matcher matcher = CALL.matcher(text);
        return matcher.matches() ? Optional.of(toCall(matcher)) : Optional.empty();
    }

    private ToolCall toCall(Matcher matcher) {
        String arguments = json.write(Gemma4Arguments.object(matcher.group(2), false));
        return new ToolCall(ToolCallIds.next(), matcher.group(1), arguments);
    }
}
