package ai.tessera.parsers.reasoning;

import ai.tessera.api.ReasoningParser;

/**
 * A reasoning parser defined by its {@link ReasoningSyntax}. The whole-text parse runs the streaming state
 * machine over one piece, so streaming and non-streaming responses agree by construction.
 */
abstract class SplittingReasoningParser implements ReasoningParser {
    private final ReasoningSyntax syntax;

    SplittingReasoningParser(ReasoningSyntax syntax) {
        this.syntax = syntax;
    }

    @Override
    public final Extracted extract(String text) {
        Stream stream = newStream();
        Extracted body = stream.onDelta(text);
        Extracted tail = stream.finish();
        return new Extracted(body.reasoning() + tail.reasoning(), body.content() + tail.content());
    }

    @Override
    public final Stream newStream() {
        return new ReasoningSplitter(syntax);
    }
}
