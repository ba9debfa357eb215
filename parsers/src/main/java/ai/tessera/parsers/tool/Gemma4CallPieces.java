package ai.tessera.parsers.tool;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import ai.tessera.api.ToolParser.CallPiece;
import ai.tessera.api.ToolParser.Pieces;
import ai.tessera.parsers.text.PartialTags;
import ai.tessera.parsers.text.PythonWhitespace;

/**
 * One request's Gemma 4 output streamed as vLLM's gemma4 parser streams it: text outside calls is content as soon
 * as it cannot be the start of {@code <|tool_call>}; inside a call the name is sent once, when its {@code {} has
 * arrived, then the arguments read so far are parsed, written as JSON and sent as the difference to what was sent,
 * holding back the closing {@code "}]} and anything that could be half a {@code <|"|>} until
 * {@code <tool_call|>} ends the call and the rest is flushed.
 *
 * <p>Unlike vLLM, a call whose name never arrived (not {@code call:NAME{...}}) is given back as content, verbatim,
 * and a named call that is not well formed (no closing brace, or still open when the output ends, cut by
 * max_tokens) is flushed as far as its arguments go, so that its arguments text is a whole JSON object; where the
 * deltas fall never changes the result.
 */
final class Gemma4CallPieces {
    private static final String CALL = "call:";
    private static final Pattern NAME = Pattern.compile("[\\w\\-.]+", Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern WHOLE_CALL = Pattern.compile("call:([\\w\\-.]+)\\{(.*)\\}",
            Pattern.DOTALL | Pattern.UNICODE_CHARACTER_CLASS);
    /** What a partial parse may end in that later text can change: closers, and pieces of the {@code <|"|>} quote. */
    private static final String UNSTABLE_TAIL = "}\"]<|\\>";
    private static final List<String> START_TAG = List.of(Gemma4ToolCalls.START);
    private static final List<String> END_TAG = List.of(Gemma4ToolCalls.END);

    private final PythonStyleJson json;
    private final StringBuilder pending = new StringBuilder();
    /** The text of the open call after its start tag, or null outside calls. */
    private StringBuilder call;
    private String callId;
    private String sentArguments;

    Gemma4CallPieces(PythonStyleJson json) {
        this.json = json;
    }

    Pieces next(String delta) {
        pending.append(delta);
        return drain(false);
    }

    Pieces finish() {
        return drain(true);
    }

    private Pieces drain(boolean atEnd) {
        StringBuilder content = new StringBuilder();
        List<CallPiece> pieces = new ArrayList<>();
        while (call == null ? openCall(content, atEnd) : readCall(content, pieces, atEnd)) {
            // each pass consumes text; a pass returns false when it needs more
        }
        return new Pieces(content.toString(), pieces);
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
        pending.delete(0, start + Gemma4ToolCalls.START.length());
        call = new StringBuilder();
        callId = null;
        sentArguments = "";
        return true;
    }

    /** Moves call text out of the pending text, sending what it settles; true when text after the call remains. */
    private boolean readCall(StringBuilder content, List<CallPiece> pieces, boolean atEnd) {
        int end = pending.indexOf(Gemma4ToolCalls.END);
        if (end < 0) {
            int keep = atEnd ? 0 : PartialTags.heldSuffixLength(pending, END_TAG);
            call.append(pending, 0, pending.length() - keep);
            pending.delete(0, pending.length() - keep);
            if (atEnd) {
                closeCall(content, pieces, false);
            } else {
                sendProgress(pieces);
            }
            return false;
        }
        call.append(pending, 0, end);
        pending.delete(0, end + Gemma4ToolCalls.END.length());
        closeCall(content, pieces, true);
        return pending.length() > 0 || atEnd;
    }

    /** Sends the name once it is whole, then the stable part of the arguments parsed so far. */
    private void sendProgress(List<CallPiece> pieces) {
        if (callId == null) {
            String name = namedCall(call);
            if (name == null) {
                return;
            }
            callId = ToolCallIds.next();
            pieces.add(new CallPiece(callId, name, ""));
        }
        String arguments = call.substring(call.indexOf("{") + 1);
        if (arguments.endsWith("}")) {
            arguments = arguments.substring(0, arguments.length() - 1);
        }
        var parsed = Gemma4Arguments.object(arguments, true);
        if (parsed.isEmpty()) {
            return;
        }
        String stable = json.write(parsed);
        int length = stable.length();
        while (length > 0 && UNSTABLE_TAIL.indexOf(stable.charAt(length - 1)) >= 0) {
            length--;
        }
        stable = stable.substring(0, length);
        // Only text that extends what was sent can go; a reading that changed earlier text waits for the end.
        if (stable.length() > sentArguments.length() && stable.startsWith(sentArguments)) {
            pieces.add(new CallPiece(null, null, stable.substring(sentArguments.length())));
            sentArguments = stable;
        }
    }

    /**
     * Ends the open call: a well-formed one gets the rest of its arguments (or comes whole if nothing was sent
     * yet); one whose name was never sent goes back to content as it was written.
     *
     * @param closed whether {@code <tool_call|>} ended it (else the output ended inside it)
     */
    private void closeCall(StringBuilder content, List<CallPiece> pieces, boolean closed) {
        String text = call.toString();
        call = null;
        Matcher whole = WHOLE_CALL.matcher(text);
        String arguments;
        String name;
        if (whole.matches()) {
            name = whole.group(1);
            arguments = json.write(Gemma4Arguments.object(whole.group(2), false));
        } else if (namedCall(text) != null) {
            // Cut short after its name (or a streamed name would depend on where the deltas fell): the arguments
            // read as far as they go.
            String rest = text.substring(text.indexOf('{') + 1);
            name = namedCall(text);
            arguments = json.write(Gemma4Arguments.object(rest.endsWith("}") ? rest.substring(0, rest.length() - 1)
                    : rest, false));
        } else {
            content.append(Gemma4ToolCalls.START).append(text).append(closed ? Gemma4ToolCalls.END : "");
            return;
        }
        if (callId == null) {
            pieces.add(new CallPiece(ToolCallIds.next(), name, arguments));
        } else if (arguments.length() > sentArguments.length()) {
            // What was sent is a prefix of the arguments in a well-formed stream; if a reading changed, what was
            // sent cannot be taken back and, as in vLLM, the text past its length follows.
            pieces.add(new CallPiece(null, null, arguments.substring(sentArguments.length())));
        }
        callId = null;
    }

    /** The name of call text that reads {@code call:NAME{}, or null while (or if) it does not. */
    private static String namedCall(CharSequence text) {
        String s = text.toString();
        int brace = s.indexOf('{');
        if (!s.startsWith(CALL) || brace < 0) {
            return null;
        }
        String name = PythonWhitespace.strip(s.substring(CALL.length(), brace));
        return NAME.matcher(name).matches() ? name : null;
    }
}
