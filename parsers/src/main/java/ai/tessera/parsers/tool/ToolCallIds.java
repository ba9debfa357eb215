package ai.tessera.parsers.tool;

import java.util.UUID;

/** Tool-call ids in vLLM's form, {@code chatcmpl-tool-} and 32 random hex digits (a UUID4 without dashes). */
final class ToolCallIds {
    private static final String PREFIX = "chatcmpl-tool-";

    private ToolCallIds() {
    }

    static String next() {
        return PREFIX + UUID.randomUUID().toString().replace("-", "");
    }
}
