package ai.tessera.parsers.reasoning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import ai.tessera.api.ReasoningParser;
import ai.tessera.api.ReasoningParser.Extracted;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Property: however the text is cut into deltas, the reasoning and content a stream emits concatenate to what
 * {@code extract} returns for the whole text. Every single cut, every pair of cuts, one-character deltas and
 * random cuttings, for texts that exercise tags, partial tags, labels and lookaheads.
 */
class StreamingMatchesWholeTextTest {

    private static final List<String> THINK_TEXTS = List.of(
            "", "plain", "<think>", "</think>", "<think></think>", "<think></think>answer",
            "<think>reason</think>answer", "reason</think>answer", "<think>no end", "no tags at all",
            "  \n<think>r</think>\nc", "\n\n", "<thi", "</thi", "<think>a</thi", "a<think>b</think>c",
            "<think>a<think>b</think>c</think>d", "r</think>c<think>d</think>e", "<<think>>x</think></think>",
            "<think>x</think", "<thinkx>y</think>z", " <thin k>a", "<think>ends with <", "lt < gt > </ think>",
            "<think>r<tool_call>\n<function=f>\n</function>\n</tool_call>",
            "r<tool_call> <function name=\"f\">x</tool_call>",
            "r<tool_call>not a call</think>c", "r<tool_call>\n<func", "r<tool_call><tool_call>\n<function=f>",
            "r<tool_call>", "r<tool_call>\n<function", "<tool_call>\n<function=f>x", "a</think><tool_call>\n<function=f>",
            "é😀<think>ü😀</think>ß");

    private static final List<String> GEMMA_TEXTS = List.of(
            "", "plain answer", "<|channel>thought\nreason<channel|>answer", "<|channel>thought\n<channel|>",
            "<|channel>thought<channel|>x", "<|channel>thousand reasons<channel|>Done", "<|channel>thought\n",
            "<|channel>thou", "<|channel>", "<channel|>", "before\n<|channel>thought\nr<channel|>\nafter",
            "r<channel|>c", "<|channel>a<|channel>b<channel|>c<|channel>d<channel|>e", "<|chan", "x<channel|",
            "<|channel>thought\nline1\nline2<channel|><|tool_call>call:f{}<tool_call|>", "<|tool_call>",
            "a<channel|>b<|channel>thought\nc", "<|channel>thought\r\nx<channel|>y", "<<|channel>>thought\n<<channel|>>");

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (String text : THINK_TEXTS) {
            cases.add(Arguments.of("deepseek_r1", new DeepSeekR1ReasoningParser(), text));
            cases.add(Arguments.of("qwen3", new Qwen3ReasoningParser(), text));
            cases.add(Arguments.of("gemma4", new Gemma4ReasoningParser(), text));
        }
        for (String text : GEMMA_TEXTS) {
            cases.add(Arguments.of("gemma4", new Gemma4ReasoningParser(), text));
            cases.add(Arguments.of("deepseek_r1", new DeepSeekR1ReasoningParser(), text));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}: {2}")
    @MethodSource("cases")
    void everyCuttingGivesTheWholeTextResult(String name, ReasoningParser parser, String text) {
        Extracted whole = parser.extract(text);
        assertNotNull(whole.reasoning(), "reasoning is never null");
        assertNotNull(whole.content(), "content is never null");
        assertSame(whole, Streams.run(parser, List.of(text)), "one delta");
        assertSame(whole, Streams.run(parser, Streams.characters(text)), "one-character deltas");
        for (int i = 0; i <= text.length(); i++) {
            assertSame(whole, Streams.run(parser, Streams.cutAt(text, i)), "cut at " + i);
            for (int j = i; j <= text.length(); j++) {
                assertSame(whole, Streams.run(parser, Streams.cutAt(text, i, j)), "cuts at " + i + ", " + j);
            }
        }
        Random random = new Random(text.hashCode());
        for (int round = 0; round < 50; round++) {
            assertSame(whole, Streams.run(parser, randomPieces(text, random)), "random cutting " + round);
        }
    }

    private static List<String> randomPieces(String text, Random random) {
        List<String> pieces = new ArrayList<>();
        int from = 0;
        while (from < text.length()) {
            int to = Math.min(text.length(), from + random.nextInt(4));
            pieces.add(text.substring(from, to));
            from = to;
        }
        return pieces;
    }

    private static void assertSame(Extracted expected, Extracted actual, String how) {
        assertEquals(expected.reasoning(), actual.reasoning(), "reasoning, " + how);
        assertEquals(expected.content(), actual.content(), "content, " + how);
    }
}
