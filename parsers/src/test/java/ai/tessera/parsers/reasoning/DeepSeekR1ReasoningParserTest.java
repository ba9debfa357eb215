package ai.tessera.parsers.reasoning;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import ai.tessera.api.ReasoningParser;
import ai.tessera.api.ReasoningParser.Extracted;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** deepseek_r1 against the cases of vLLM's tests/reasoning/test_deepseekr1_reasoning_parser.py, and streaming. */
class DeepSeekR1ReasoningParserTest {
    private final ReasoningParser parser = new DeepSeekR1ReasoningParser();

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            simple                | This is a reasoning section</think>This is the rest | This is a reasoning section | This is the rest
            complete              | This is a reasoning section</think>                 | This is a reasoning section | ""
            no end tag            | This is content                                     | This is content             | ""
            shortest              | </think>This is the rest                            | ""                          | This is the rest
            with start tag        | <think>This is a reasoning section</think>This is the rest | This is a reasoning section | This is the rest
            start, complete       | <think>This is a reasoning section</think>          | This is a reasoning section | ""
            start, no end         | <think>This is a reasoning section                  | This is a reasoning section | ""
            empty reasoning       | <think></think>This is the rest                     | ""                          | This is the rest
            empty                 | ""                                                  | ""                          | ""
            """)
    void splitsLikeVllm(String name, String text, String reasoning, String content) {
        assertEquals(new Extracted(reasoning, content), parser.extract(text));
    }

    @Test
    void multipleLines() {
        assertEquals(new Extracted("This\nThat", "This is the rest\nThat"),
                parser.extract("<think>This\nThat</think>This is the rest\nThat"));
    }

    /** vLLM drops text before <think> in whole-text parsing; leading whitespace is held so streaming agrees. */
    @Test
    void whitespaceBeforeTheStartTagIsDropped() {
        String text = "\n<think>This is a reasoning section</think>\nThis is the rest";
        Extracted expected = new Extracted("This is a reasoning section", "\nThis is the rest");
        assertEquals(expected, parser.extract(text));
        assertEquals(expected, Streams.run(parser, Streams.characters(text)));
    }

    @Test
    void laterTagsAreText() {
        assertEquals(new Extracted("a<think>b", "c</think>d"), parser.extract("<think>a<think>b</think>c</think>d"));
        assertEquals(new Extracted("r", "c<think>x"), parser.extract("r</think>c<think>x"));
    }

    /** Where vLLM would drop text already streamed, we keep it (documented deviation; vLLM returns ("b","c")). */
    @Test
    void startTagAfterTextIsDroppedButTheTextBeforeItIsKept() {
        assertEquals(new Extracted("ab", "c"), parser.extract("a<think>b</think>c"));
    }

    @Test
    void endTagSplitAcrossDeltasIsHeldBack() {
        ReasoningParser.Stream stream = parser.newStream();
        assertEquals(new Extracted("abc", ""), stream.onDelta("<think>abc</thi"));
        assertEquals(new Extracted("", "def"), stream.onDelta("nk>def"));
        assertEquals(new Extracted("", ""), stream.finish());
    }

    @Test
    void tagInsideOneDeltaWithTextOnBothSides() {
        ReasoningParser.Stream stream = parser.newStream();
        assertEquals(new Extracted("think", ""), stream.onDelta("<think>think"));
        assertEquals(new Extracted("more", "answer"), stream.onDelta("more</think>answer"));
        assertEquals(new Extracted("", " tail"), stream.onDelta(" tail"));
        assertEquals(new Extracted("", ""), stream.finish());
    }

    @Test
    void reasoningIsEmittedAsItArrives() {
        ReasoningParser.Stream stream = parser.newStream();
        assertEquals(new Extracted("", ""), stream.onDelta("<thi"));
        assertEquals(new Extracted("", ""), stream.onDelta("nk>"));
        assertEquals(new Extracted("step 1", ""), stream.onDelta("step 1"));
        assertEquals(new Extracted(" ", ""), stream.onDelta(" <"));
        assertEquals(new Extracted("", ""), stream.onDelta("/"));
        assertEquals(new Extracted("</x", ""), stream.onDelta("x"));
    }

    @Test
    void missingEndTagLeavesEverythingReasoningAndFinishReleasesAPartialTag() {
        ReasoningParser.Stream stream = parser.newStream();
        assertEquals(new Extracted("unfinished ", ""), stream.onDelta("<think>unfinished </th"));
        assertEquals(new Extracted("</th", ""), stream.finish());
    }

    @Test
    void emptyReasoningSectionStreamed() {
        assertEquals(new Extracted("", "answer"), Streams.run(parser, List.of("<think>", "</think>", "answer")));
    }

    @Test
    void oneCharacterDeltas() {
        String text = "<think>Let me think.\nOK</think>The answer is 4.";
        assertEquals(new Extracted("Let me think.\nOK", "The answer is 4."),
                Streams.run(parser, Streams.characters(text)));
    }

    @Test
    void streamsAreIndependent() {
        ReasoningParser.Stream first = parser.newStream();
        ReasoningParser.Stream second = parser.newStream();
        first.onDelta("<think>a</think>");
        assertEquals(new Extracted("b", ""), second.onDelta("b"));
        assertEquals(new Extracted("", "c"), first.onDelta("c"));
    }
}
