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

    /** One call: the function name and its arguments as a JSON object text. */
    record ToolCall(String id, String name, String argumentsJson) {
    }

    /** Content outside tool calls, and the calls in order. */
    record Extracted(String content, List<ToolCall> calls) {
        public Extracted {
            calls = List.copyOf(calls);
        }
    }

    /** Per-request streaming state. */
    interface Stream {
        /** Content and completed tool calls carried by {@code delta}. */
        Extracted onDelta(String delta);

        /** Called once at the end. */
        Extracted finish();
    }
}
