package ai.tessera.parsers.tool;

import java.util.List;

import ai.tessera.api.ToolParser;
import ai.tessera.parsers.text.PythonWhitespace;
import org.osgi.service.component.annotations.Component;

/**
 * vLLM's {@code gemma4} tool-call parser. Calls look like
 * {@code <|tool_call>call:get_weather{location:<|"|>Paris<|"|>,days:3}<tool_call|>}, several back to back;
 * arguments become a JSON object text ({@code {"location": "Paris", "days": 3}}).
 *
 * <p>Whole text, as vLLM: with no well-formed call the text is all content; otherwise the content is the text
 * before the first {@code <|tool_call>}, stripped, and text between or after calls is dropped. Streaming sends
 * everything outside well-formed calls as content, verbatim, as vLLM's streaming path does; read in pieces, a
 * call's name goes as soon as it is known and its arguments as they grow ({@link Gemma4CallPieces}). The tags and the
 * {@code <|"|>} quote are special tokens: the detokenizer must keep special tokens for this parser.
 */
@Component(service = ToolParser.class, property = ToolParser.PROPERTY + "=gemma4")
public final class Gemma4ToolParser implements ToolParser {
    private final PythonStyleJson json = new PythonStyleJson();
    private final Gemma4ToolCalls calls = new Gemma4ToolCalls(json);

    @Override
    public Extracted extract(String text) {
        int firstStart = text.indexOf(Gemma4ToolCalls.START);
        if (firstStart < 0) {
            return new Extracted(text, List.of());
        }
        List<ToolCall> found = calls.findAll(text);
        if (found.isEmpty()) {
            return new Extracted(text, List.of());
        }
        return new Extracted(PythonWhitespace.strip(text.substring(0, firstStart)), found);
    }

    @Override
    public Stream newStream() {
        return new Gemma4ToolCallStream(calls, json);
    }

    /** {@code <|tool_call>call:NAME{}, or {@code <|tool_call>call:} for a function of the model's choice. */
    @Override
    public java.util.Optional<String> callOpening(String function) {
        return java.util.Optional.of(Gemma4ToolCalls.START + "call:" + (function == null ? "" : function + "{"));
    }

    /** {@code <|tool_call>}, {@code <tool_call|>} and {@code <|"|>} are special tokens. */
    @Override
    public boolean needsSpecialTokens() {
        return true;
    }
}
