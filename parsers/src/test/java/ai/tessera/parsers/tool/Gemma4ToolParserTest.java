package ai.tessera.parsers.tool;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import ai.tessera.api.ToolParser;
import ai.tessera.api.ToolParser.Extracted;
import ai.tessera.api.ToolParser.ToolCall;
import org.junit.jupiter.api.Test;

/** gemma4 tool calls: vLLM's whole-text results, streaming, ids, and malformed text falling back to content. */
class Gemma4ToolParserTest {
    private static final String WEATHER = "<|tool_call>call:get_weather{location:<|\"|>London<|\"|>}<tool_call|>";
    private static final String TIME = "<|tool_call>call:get_time{tz:<|\"|>UTC<|\"|>,hours:24}<tool_call|>";

    private final ToolParser parser = new Gemma4ToolParser();

    @Test
    void noToolCallIsAllContent() {
        String text = "Hello, how can I help you today?";
        assertEquals(new Extracted(text, List.of()), parser.extract(text));
    }

    @Test
    void singleCall() {
        Extracted out = parser.extract(WEATHER);
        assertEquals("", out.content());
        assertEquals(1, out.calls().size());
        assertCall(out.calls().get(0), "get_weather", "{\"location\": \"London\"}");
    }

    @Test
    void contentIsTheStrippedTextBeforeTheFirstCall() {
        Extracted out = parser.extract("Let me check the weather for you. " + WEATHER);
        assertEquals("Let me check the weather for you.", out.content());
        assertEquals(1, out.calls().size());
    }

    /** vLLM's whole-text parse drops text between and after calls (its streaming path keeps it). */
    @Test
    void multipleCallsAndTextAfterThem() {
        Extracted out = parser.extract(WEATHER + "\n" + TIME + " trailing");
        assertEquals("", out.content());
        assertEquals(2, out.calls().size());
        assertCall(out.calls().get(0), "get_weather", "{\"location\": \"London\"}");
        assertCall(out.calls().get(1), "get_time", "{\"tz\": \"UTC\", \"hours\": 24}");
    }

    @Test
    void namesWithHyphensDotsAndEmptyArguments() {
        assertCall(parser.extract("<|tool_call>call:get-weather{}<tool_call|>").calls().get(0), "get-weather", "{}");
        assertCall(parser.extract("<|tool_call>call:weather.get{a:1}<tool_call|>").calls().get(0), "weather.get",
                "{\"a\": 1}");
    }

    @Test
    void nestedArguments() {
        Extracted out = parser.extract("<|tool_call>call:complex_function{nested:{inner:<|\"|>value<|\"|>},"
                + "list:[<|\"|>a<|\"|>,<|\"|>b<|\"|>]}<tool_call|>");
        assertCall(out.calls().get(0), "complex_function", "{\"nested\": {\"inner\": \"value\"}, \"list\": [\"a\", \"b\"]}");
    }

    @Test
    void idsLookLikeVllmsAndDiffer() {
        Extracted out = parser.extract(WEATHER + WEATHER);
        String first = out.calls().get(0).id();
        assertTrue(first.matches("chatcmpl-tool-[0-9a-f]{32}"), first);
        assertNotEquals(first, out.calls().get(1).id());
    }

    /** Malformed: with no well-formed call the whole text falls back to content, and nothing throws. */
    @Test
    void malformedCallsFallBackToContent() {
        for (String text : List.of(
                "<|tool_call>call:get_weather{location:<|\"|>London",
                "<|tool_call>garbage<tool_call|>",
                "<|tool_call>call:{a:1}<tool_call|>",
                "<|tool_call>call:bad name{a:1}<tool_call|>",
                "<|tool_call>call:f(a:1)<tool_call|>",
                "<|tool_call>call:f{a:1<tool_call|>",
                "text <|tool_call>",
                "<|tool_call><tool_call|><|tool_call>")) {
            assertEquals(new Extracted(text, List.of()), parser.extract(text), text);
            assertEquals(new Extracted(text, List.of()), stream(List.of(text)), "streamed: " + text);
        }
    }

    /** Well-formed calls survive next to a malformed one; its text is dropped as vLLM does. */
    @Test
    void malformedCallNextToAGoodOne() {
        Extracted out = parser.extract("Hi <|tool_call>bad<tool_call|>" + WEATHER);
        assertEquals("Hi", out.content());
        assertEquals(1, out.calls().size());
        Extracted streamed = stream(List.of("Hi <|tool_call>bad<tool_call|>", WEATHER));
        assertEquals("Hi <|tool_call>bad<tool_call|>", streamed.content(), "streamed: passed on as content");
        assertEquals(1, streamed.calls().size());
    }

    @Test
    void streamEmitsACallOnceItIsComplete() {
        ToolParser.Stream stream = parser.newStream();
        assertEquals(new Extracted("Checking. ", List.of()), stream.onDelta("Checking. <|tool"));
        assertEquals(new Extracted("", List.of()), stream.onDelta("_call>call:get_weather{location:"));
        assertEquals(new Extracted("", List.of()), stream.onDelta("<|\"|>London<|\"|>}<tool_c"));
        Extracted done = stream.onDelta("all|> Done.");
        assertEquals(" Done.", done.content());
        assertEquals(1, done.calls().size());
        assertCall(done.calls().get(0), "get_weather", "{\"location\": \"London\"}");
        assertEquals(new Extracted("", List.of()), stream.finish());
    }

    @Test
    void streamHandlesBackToBackCallsInOneDelta() {
        Extracted out = parser.newStream().onDelta(WEATHER + TIME);
        assertEquals(2, out.calls().size());
        assertEquals("get_time", out.calls().get(1).name());
    }

    @Test
    void streamReleasesAHeldPartialTagThatIsNotATag() {
        ToolParser.Stream stream = parser.newStream();
        assertEquals(new Extracted("a ", List.of()), stream.onDelta("a <|"));
        assertEquals(new Extracted("<|b", List.of()), stream.onDelta("b"));
        assertEquals(new Extracted("", List.of()), stream.onDelta("<"));
        assertEquals(new Extracted("<", List.of()), stream.finish());
    }

    @Test
    void unterminatedCallIsContentAtTheEnd() {
        ToolParser.Stream stream = parser.newStream();
        assertEquals(new Extracted("", List.of()), stream.onDelta("<|tool_call>call:f{a:"));
        assertEquals(new Extracted("<|tool_call>call:f{a:", List.of()), stream.finish());
    }

    @Test
    void oneCharacterDeltasGiveTheSameCalls() {
        String text = "Sure.\n" + WEATHER + TIME;
        List<String> pieces = new ArrayList<>();
        for (char c : text.toCharArray()) {
            pieces.add(String.valueOf(c));
        }
        Extracted streamed = stream(pieces);
        Extracted whole = parser.extract(text);
        assertEquals("Sure.\n", streamed.content());
        assertEquals(names(whole.calls()), names(streamed.calls()));
        assertEquals(arguments(whole.calls()), arguments(streamed.calls()));
    }

    /** Random soups of tag fragments: neither path throws, and streaming loses or invents no text. */
    @Test
    void randomFragmentsNeverThrow() {
        String[] fragments = {"<|tool_call>", "<tool_call|>", "call:", "f", "{", "}", "[", "]", ":", ",", "<|\"|>",
            "a", "1", ".", " ", "<|", "|>", "<", "\n", "call:f{", "}<tool_call|>", "true"};
        Random random = new Random(42);
        for (int round = 0; round < 2000; round++) {
            StringBuilder text = new StringBuilder();
            int length = random.nextInt(12);
            for (int i = 0; i < length; i++) {
                text.append(fragments[random.nextInt(fragments.length)]);
            }
            String input = text.toString();
            assertDoesNotThrow(() -> parser.extract(input), input);
            List<String> pieces = new ArrayList<>();
            for (int from = 0; from < input.length(); ) {
                int to = Math.min(input.length(), from + 1 + random.nextInt(5));
                pieces.add(input.substring(from, to));
                from = to;
            }
            Extracted streamed = assertDoesNotThrow(() -> stream(pieces), input);
            Extracted inOneGo = stream(List.of(input));
            assertEquals(inOneGo.content(), streamed.content(), input);
            assertEquals(arguments(inOneGo.calls()), arguments(streamed.calls()), input);
        }
    }

    private Extracted stream(List<String> pieces) {
        ToolParser.Stream stream = parser.newStream();
        StringBuilder content = new StringBuilder();
        List<ToolCall> calls = new ArrayList<>();
        for (String piece : pieces) {
            Extracted out = stream.onDelta(piece);
            content.append(out.content());
            calls.addAll(out.calls());
        }
        Extracted tail = stream.finish();
        content.append(tail.content());
        calls.addAll(tail.calls());
        return new Extracted(content.toString(), calls);
    }

    private static void assertCall(ToolCall call, String name, String argumentsJson) {
        assertEquals(name, call.name());
        assertEquals(argumentsJson, call.argumentsJson());
        assertTrue(call.id().startsWith("chatcmpl-tool-"), call.id());
    }

    private static List<String> names(List<ToolCall> calls) {
        return calls.stream().map(ToolCall::name).toList();
    }

    private static List<String> arguments(List<ToolCall> calls) {
        return calls.stream().map(c -> c.name() + c.argumentsJson()).toList();
    }
}
