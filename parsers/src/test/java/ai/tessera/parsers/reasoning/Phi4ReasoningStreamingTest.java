package ai.tessera.parsers.reasoning;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import ai.tessera.api.ReasoningParser;
import ai.tessera.api.ReasoningParser.Extracted;
import org.junit.jupiter.api.Test;

/**
 * Phi-4-reasoning(-vision) output streamed token by token through {@code deepseek_r1}, the parser vLLM users run for
 * these models (vLLM registers no Phi-4-specific one). The tokens are those of the Phi-4 (cl100k) vocabulary, which
 * has no single token for the tags: {@code <think>} arrives as {@code "<" "think" ">"} and {@code </think>} as
 * {@code "</" "think" ">"} (or glued to the following text), so every tag is split across deltas.
 */
class Phi4ReasoningStreamingTest {
    private final ReasoningParser parser = new DeepSeekR1ReasoningParser();

    /** Each delta's emitted reasoning and content, in order, then finish(). */
    private List<Extracted> stream(String... tokens) {
        ReasoningParser.Stream stream = parser.newStream();
        List<Extracted> out = new ArrayList<>();
        for (String token : tokens) {
            out.add(stream.onDelta(token));
        }
        out.add(stream.finish());
        return out;
    }

    private static Extracted joined(List<Extracted> deltas) {
        StringBuilder r = new StringBuilder();
        StringBuilder c = new StringBuilder();
        deltas.forEach(d -> {
            r.append(d.reasoning());
            c.append(d.content());
        });
        return new Extracted(r.toString(), c.toString());
    }

    /** The template's think mode put {@code <think>} in the prompt: the output opens in reasoning. */
    @Test
    void endTagSplitOverThreeTokensAfterAPromptOpenedSection() {
        List<Extracted> deltas = stream("The", " chart", " rises", ".", "</", "think", ">", "It", " rises", ".");
        assertEquals(new Extracted("The", ""), deltas.get(0));
        assertEquals(new Extracted(".", ""), deltas.get(3));
        assertEquals(new Extracted("", ""), deltas.get(4), "a partial end tag is held back");
        assertEquals(new Extracted("", ""), deltas.get(5));
        assertEquals(new Extracted("", ""), deltas.get(6), "the completed tag emits nothing");
        assertEquals(new Extracted("", "It"), deltas.get(7));
        assertEquals(new Extracted("The chart rises.", "It rises."), joined(deltas));
        assertEquals(parser.extract("The chart rises.</think>It rises."), joined(deltas));
    }

    @Test
    void startAndEndTagsGeneratedTokenByToken() {
        List<Extracted> deltas = stream("<", "think", ">", "Count", " bars", ":", " 3", "</", "think", ">\n\n",
                "Three", " bars", ".");
        assertEquals(new Extracted("Count bars: 3", "\n\nThree bars."), joined(deltas));
        assertEquals(new Extracted("", ""), deltas.get(0), "'<' might open a tag");
        assertEquals(new Extracted("", "\n\n"), deltas.get(9), "text glued to the end tag is content");
    }

    @Test
    void endTagGluedToTextOnBothSides() {
        assertEquals(new Extracted("so 4", " Answer: 4"), joined(stream("so", " 4</", "think", "> Answer", ": 4")));
    }

    /** Cut off by max_tokens before {@code </think>}: everything is reasoning, the held-back '</th' included. */
    @Test
    void missingEndTagLeavesEverythingReasoning() {
        List<Extracted> deltas = stream("<", "think", ">", "Let", " me", " look", "</", "th");
        assertEquals(new Extracted("", ""), deltas.get(6));
        assertEquals(new Extracted("</th", ""), deltas.get(deltas.size() - 1), "finish() releases the partial tag");
        assertEquals(new Extracted("Let me look</th", ""), joined(deltas));
        assertEquals(parser.extract("<think>Let me look</th"), joined(deltas));
    }

    /** A '<' that starts no tag is released as soon as the next token shows it. */
    @Test
    void lessThanThatIsNotATagIsReleased() {
        List<Extracted> deltas = stream("x", " <", " 3", "</", "think", ">", "a", " <", "b");
        assertEquals(new Extracted(" ", ""), deltas.get(1), "'<' is held: it might open </think>");
        assertEquals(new Extracted("< 3", ""), deltas.get(2), "and released once ' 3' shows it does not");
        assertEquals(new Extracted("x < 3", "a <b"), joined(deltas));
    }
}
