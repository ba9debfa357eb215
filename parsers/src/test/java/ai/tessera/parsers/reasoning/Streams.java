package ai.tessera.parsers.reasoning;

import java.util.ArrayList;
import java.util.List;

import ai.tessera.api.ReasoningParser;
import ai.tessera.api.ReasoningParser.Extracted;

/** Feeds pieces of text to a fresh stream and joins what it emitted. */
final class Streams {
    private Streams() {
    }

    /** Reasoning and content a stream emitted for {@code pieces}, finish() included. */
    static Extracted run(ReasoningParser parser, List<String> pieces) {
        ReasoningParser.Stream stream = parser.newStream();
        StringBuilder reasoning = new StringBuilder();
        StringBuilder content = new StringBuilder();
        for (String piece : pieces) {
            Extracted out = stream.onDelta(piece);
            reasoning.append(out.reasoning());
            content.append(out.content());
        }
        Extracted tail = stream.finish();
        return new Extracted(reasoning.append(tail.reasoning()).toString(), content.append(tail.content()).toString());
    }

    static List<String> characters(String text) {
        List<String> pieces = new ArrayList<>();
        for (int i = 0; i < text.length(); i++) {
            pieces.add(text.substring(i, i + 1));
        }
        return pieces;
    }

    static List<String> cutAt(String text, int... cuts) {
        List<String> pieces = new ArrayList<>();
        int from = 0;
        for (int cut : cuts) {
            pieces.add(text.substring(from, cut));
            from = cut;
        }
        pieces.add(text.substring(from));
        return pieces;
    }
}
