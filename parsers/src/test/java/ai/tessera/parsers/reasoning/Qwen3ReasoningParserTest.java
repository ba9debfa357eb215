package ai.tessera.parsers.reasoning;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.tessera.api.ReasoningParser;
import ai.tessera.api.ReasoningParser.Extracted;
import org.junit.jupiter.api.Test;

/** qwen3: deepseek_r1's rules plus vLLM's implicit end of reasoning at a genuine {@code <tool_call>}. */
class Qwen3ReasoningParserTest {
    private final ReasoningParser parser = new Qwen3ReasoningParser();

    @Test
    void sameAsDeepSeekWithoutToolCalls() {
        assertEquals(new Extracted("r", "c"), parser.extract("<think>r</think>c"));
        assertEquals(new Extracted("r", "c"), parser.extract("r</think>c"));
        assertEquals(new Extracted("truncated", ""), parser.extract("<think>truncated"));
        assertEquals(new Extracted("", "c"), parser.extract("<think></think>c"));
    }

    @Test
    void toolCallWithFunctionEndsReasoning() {
        String call = "<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n</function>\n"
                + "</tool_call>";
        assertEquals(new Extracted("I should look it up.\n", call),
                parser.extract("<think>I should look it up.\n" + call));
        assertEquals(new Extracted("", "<tool_call> <function name=\"f\">"),
                parser.extract("<tool_call> <function name=\"f\">"));
    }

    @Test
    void aMentionOfToolCallIsReasoning() {
        assertEquals(new Extracted("I could emit <tool_call> here", ""),
                parser.extract("<think>I could emit <tool_call> here"));
        assertEquals(new Extracted("<tool_call>{\"name\": \"f\"}", "x"),
                parser.extract("<tool_call>{\"name\": \"f\"}</think>x"));
    }

    /** vLLM's qwen3 judges only the first <tool_call>. */
    @Test
    void onlyTheFirstToolCallIsJudged() {
        String text = "r <tool_call> no\n<tool_call>\n<function=f>";
        assertEquals(new Extracted(text, ""), parser.extract(text));
    }

    @Test
    void toolCallLookaheadWaitsForTheFunctionTag() {
        ReasoningParser.Stream stream = parser.newStream();
        assertEquals(new Extracted("thinking ", ""), stream.onDelta("thinking <tool_call>"));
        assertEquals(new Extracted("", ""), stream.onDelta("\n<func"));
        assertEquals(new Extracted("", "<tool_call>\n<function=f>"), stream.onDelta("tion=f>"));
        assertEquals(new Extracted("", ""), stream.finish());
    }

    @Test
    void toolCallLookaheadThatFailsReleasesTheTagAsReasoning() {
        ReasoningParser.Stream stream = parser.newStream();
        assertEquals(new Extracted("a ", ""), stream.onDelta("a <tool_call>"));
        assertEquals(new Extracted("<tool_call> b", ""), stream.onDelta(" b"));
        assertEquals(new Extracted("", ""), stream.finish());
    }

    @Test
    void undecidedToolCallAtTheEndIsReasoning() {
        ReasoningParser.Stream stream = parser.newStream();
        assertEquals(new Extracted("a", ""), stream.onDelta("a<tool_call>\n<fun"));
        assertEquals(new Extracted("<tool_call>\n<fun", ""), stream.finish());
    }
}
