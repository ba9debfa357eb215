package ai.tessera.api;

import java.util.List;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Extracts tool calls from generated text in a model family's format; registered with {@link #PROPERTY} set
 * to the name {@code --tool-call-parser} selects.
 */
@ConsumerType
public interface ToolParser {
    String PROPERTY = "tessera.tool-parser";

    /** Splits a whole generated text into plain content and tool calls. */
    Extracted extract(String text);

    /** A fresh per-request state for streamed output. */
    Stream newStream();

    /**
     * Whether the calls are marked with special tokens, which the detokenizer must then keep in the text this
     * parser reads (vLLM's {@code adjust_request} setting {@code skip_special_tokens=False}); asked for requests
     * that are parsed for calls.
     */
    default boolean needsSpecialTokens() {
        return false;
    }

    /**
     * Text that, appended to the prompt, makes the model write a call: of {@code function}, or of a function of its
     * choice when {@code function} is null. The server honours {@code tool_choice: "required"} and a named function
     * so, without guided decoding, reading the output as if it began with this text. Empty when the format has
     * no such opening (those choices are then refused).
     */
    default java.util.Optional<String> callOpening(String function) {
        return java.util.Optional.empty();
    }

    /** One call: the function name and its arguments as a JSON object text. */
    record ToolCall(String id, String name, String argumentsJson) {
    }

    /** Content outside tool calls, and the calls in order. */
    record Extracted(String content, List<ToolCall> calls) {
        public Extracted {
            calls = List.copyOf(calls);
        }
    }

    /**
     * A piece of a call streamed as it is generated. The piece that opens a call has its id and name and maybe the
     * start of its arguments text; the pieces after it, with null id and name, append to that call's arguments.
     * Concatenated, a call's {@code arguments} are its whole JSON object text.
     */
    record CallPiece(String id, String name, String arguments) {
        public CallPiece {
            if ((id == null) != (name == null)) {
                throw new IllegalArgumentException("a call piece has both an id and a name (it opens a call) or"
                        + " neither, got id " + id + " and name " + name);
            }
            if (arguments == null) {
                throw new IllegalArgumentException("a call piece's arguments text may be empty but not null");
            }
        }

        /** Whether this piece opens a new call. */
        public boolean opensCall() {
            return name != null;
        }
    }

    /** Content and call pieces carried by one streamed delta, in order: content precedes the calls. */
    record Pieces(String content, List<CallPiece> calls) {
        public Pieces {
            calls = List.copyOf(calls);
        }

        /** Completed calls as pieces that open and finish them at once. */
        public static Pieces whole(Extracted extracted) {
            List<CallPiece> pieces = new java.util.ArrayList<>();
            for (ToolCall call : extracted.calls()) {
                pieces.add(new CallPiece(call.id(), call.name(), call.argumentsJson()));
            }
            return new Pieces(extracted.content(), pieces);
        }
    }

    /**
     * Per-request streaming state. A stream is used either through {@link #onDelta}/{@link #finish} (calls whole,
     * once complete) or through {@link #onDeltaInPieces}/{@link #finishInPieces} (calls as they are generated),
     * not both.
     */
    interface Stream {
        /** Content and completed tool calls carried by {@code delta}. */
        Extracted onDelta(String delta);

        /** Called once at the end. */
        Extracted finish();

        /**
         * Content and call pieces carried by {@code delta}: a parser that can streams a call's name as soon as it
         * is known and its arguments as they grow, as vLLM does. By default each call comes whole once complete.
         */
        default Pieces onDeltaInPieces(String delta) {
            return Pieces.whole(onDelta(delta));
        }

        /** Called once at the end, in place of {@link #finish} for a stream read in pieces. */
        default Pieces finishInPieces() {
            return Pieces.whole(finish());
        }
    }
}
