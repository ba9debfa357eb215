package ai.tessera.parsers.tool;

import java.util.ArrayList;
import java.util.List;

import ai.tessera.api.ToolParser;
import ai.tessera.api.ToolParser.Extracted;
import ai.tessera.api.ToolParser.Pieces;
import ai.tessera.api.ToolParser.ToolCall;
import ai.tessera.parsers.text.PartialTags;

/**
 * One request's streamed Gemma 4 output, read whole or in pieces ({@link Gemma4CallPieces}). Read whole: text outside calls is content as soon as it cannot be the start of
 * {@code <|tool_call>}; a call is buffered and emitted whole once {@code <tool_call|>} closes it. A closed call
 * that is not well formed, or one still open when the output ends, is passed on as content, unchanged.
 */
final class Gemma4ToolCallStream implements ToolParser.Stream {
    private static final List<String> START_TAG = List.of(Gemma4ToolCalls.START);

    private final Gemma4ToolCalls calls;
    private final Gemma4CallPieces pieces;
    private final StringBuilder pending = new StringBuilder();
    private boolean insideCall;
    private boolean readWhole;
    private boolean readInPieces;

    Gemma4ToolCallStream(Gemma4ToolCalls calls, PythonStyleJson json) {
        this.calls = calls;
        this.pieces = new Gemma4CallPieces(json);
    }

    @Override
    public Extracted onDelta(String delta) {
        readWhole = true;
        checkOneWay();
        pending.append(delta);
        return drain(false);
    }

    @Override
    public Extracted finish() {
        readWhole = true;
        checkOneWay();
        return drain(true);
    }

    @Override
    public Pieces onDeltaInPieces(String delta) {
        readInPieces = true;
        checkOneWay();
        return pieces.next(delta);
    }

    @Override
    public Pieces finishInPieces() {
        readInPieces = true;
        checkOneWay();
        return pieces.finish();
    }

    private void checkOneWay() {
        if (readWhole && readInPieces) {
            throw new IllegalStateException("a tool-call stream is read either whole (onDelta/finish) or in pieces"
                    + " (onDeltaInPieces/finishInPieces), not both");
        }
    }

    private Extracted drain(boolean atEnd) {
        StringBuilder content = new StringBuilder();
        List<ToolCall> completed = new ArrayList<>();
        while (insideCall ? closeCall(content, completed, atEnd) : openCall(content, atEnd)) {
            // each pass consumes text; a pass returns false when it needs more
        }
        return new Extracted(content.toString(), completed);
    }

    /** Emits content up to the next start tag; true once inside a call. */
    private boolean openCall(StringBuilder content, boolean atEnd) {
        int start = pending.indexOf(Gemma4ToolCalls.START);
        if (start < 0) {
            int keep = atEnd ? 0 : PartialTags.heldSuffixLength(pending, START_TAG);
            content.append(pending, 0, pending.length() - keep);
            pending.delete(0, pending.length() - keep);
            return false;
        }
        content.append(pending, 0, start);
        pending.delete(0, start);
        insideCall = true;
        return true;
    }

    /** Emits the call once its end tag arrived; true when text after it remains to be read. */
    private boolean closeCall(StringBuilder content, List<ToolCall> completed, boolean atEnd) {
        int end = pending.indexOf(Gemma4ToolCalls.END, Gemma4ToolCalls.START.length());
        if (end < 0) {
            if (atEnd) {
                content.append(pending);
                pending.setLength(0);
                insideCall = false;
            }
            return false;
        }
        String raw = pending.substring(0, end + Gemma4ToolCalls.END.length());
        pending.delete(0, raw.length());
        insideCall = false;
        calls.parseOne(raw).ifPresentOrElse(completed::add, () -> content.append(raw));
        return pending.length() > 0;
    }
}
