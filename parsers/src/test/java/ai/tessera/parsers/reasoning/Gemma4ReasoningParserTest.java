package ai.tessera.parsers.reasoning;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import ai.tessera.api.ReasoningParser;
import ai.tessera.api.ReasoningParser.Extracted;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** gemma4 against the cases of vLLM's tests/reasoning/test_gemma4_reasoning_parser.py, and streaming. */
class Gemma4ReasoningParserTest {
    private final ReasoningParser parser = new Gemma4ReasoningParser();

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = ';', quoteCharacter = '"', textBlock = """
            no channel           ; This is content                                              ; ""                          ; This is content
            channel, no end      ; <|channel>This is reasoning                                  ; This is reasoning           ; ""
            channel              ; <|channel>This is a reasoning section<channel|>This is the rest ; This is a reasoning section ; This is the rest
            channel, complete    ; <|channel>This is a reasoning section<channel|>              ; This is a reasoning section ; ""
            thought label        ; <|channel>thought\\nActual reasoning here<channel|>Final answer ; Actual reasoning here     ; Final answer
            label only           ; <|channel>thought\\n<channel|>                                ; ""                          ; ""
            label diverges       ; <|channel>thousand reasons<channel|>Done                     ; thousand reasons            ; Done
            tool call started    ; <|tool_call>                                                 ; ""                          ; <|tool_call>
            empty                ; ""                                                           ; ""                          ; ""
            """)
    void splitsLikeVllm(String name, String text, String reasoning, String content) {
        text = text.replace("\\n", "\n");
        assertEquals(new Extracted(reasoning, content), parser.extract(text));
    }

    @Test
    void multilineReasoningAfterTheLabel() {
        assertEquals(new Extracted("Line1\nLine2", "Answer"),
                parser.extract("<|channel>thought\nLine1\nLine2<channel|>Answer"));
    }

    /** As vLLM's later test (new_line): text before the channel stays content. */
    @Test
    void textBeforeTheChannelIsContent() {
        assertEquals(new Extracted("This is a reasoning section", "Before\n\nThis is the rest"),
                parser.extract("Before\n<|channel>This is a reasoning section<channel|>\nThis is the rest"));
    }

    /** An end tag with no channel: vLLM's streaming drops it and keeps all as content; so do we, both ways. */
    @Test
    void strayEndTagIsDropped() {
        assertEquals(new Extracted("", "This is a reasoning sectionThis is the rest"),
                parser.extract("This is a reasoning section<channel|>This is the rest"));
    }

    @Test
    void labelSplitAcrossDeltasIsStripped() {
        ReasoningParser.Stream stream = parser.newStream();
        assertEquals(new Extracted("", ""), stream.onDelta("<|channel>"));
        assertEquals(new Extracted("", ""), stream.onDelta("thou"));
        assertEquals(new Extracted("", ""), stream.onDelta("ght"));
        assertEquals(new Extracted("Step", ""), stream.onDelta("\nStep"));
        assertEquals(new Extracted(" 2", "Answer"), stream.onDelta(" 2<channel|>Answer"));
        assertEquals(new Extracted("", ""), stream.finish());
    }

    @Test
    void labelThatDivergesIsReleased() {
        ReasoningParser.Stream stream = parser.newStream();
        assertEquals(new Extracted("", ""), stream.onDelta("<|channel>thou"));
        assertEquals(new Extracted("thousand", ""), stream.onDelta("sand"));
    }

    @Test
    void channelTagsSplitAcrossDeltas() {
        assertEquals(new Extracted("r", "c"), Streams.run(parser, List.of("<|chan", "nel>thought\nr<chan", "nel|>c")));
    }

    @Test
    void contentIsStreamedWhenThereIsNoChannel() {
        ReasoningParser.Stream stream = parser.newStream();
        assertEquals(new Extracted("", "Hello"), stream.onDelta("Hello"));
        assertEquals(new Extracted("", " world"), stream.onDelta(" world<|"));
        assertEquals(new Extracted("", "<|x"), stream.onDelta("x"));
    }
}
