package ai.tessera.core.engine;

import java.util.Arrays;
import java.util.function.Function;

/**
 * Turns a request's generated token ids into text as they come, supplied by the caller (a tokenizer's
 * incremental detokenizer) so that the engine needs no tokenizer. Stop strings are matched on this text.
 */
@FunctionalInterface
public interface TextDecoder {
    /** Decodes nothing: for callers that want token ids only (stop strings then cannot be used). */
    TextDecoder NONE = prompt -> newTokens -> "";

    /**
     * Starts decoding one request's output.
     *
     * @param promptTokenIds the prompt, for decoders that need left context (e.g. to place leading spaces)
     */
    Session start(int[] promptTokenIds);

    /**
     * Starts decoding one request's output, keeping special tokens in the text unless {@code skipSpecialTokens}.
     * By default the decoder's own choice (decoders that cannot keep them ignore the flag).
     */
    default Session start(int[] promptTokenIds, boolean skipSpecialTokens) {
        return start(promptTokenIds);
    }

    /** The decoding state of one request. */
    @FunctionalInterface
    interface Session {
        /** The text that these new output tokens add (empty while a multi-byte character is unfinished). */
        String next(int[] newTokenIds);
    }

    /**
     * A decoder from a function that decodes a whole token sequence: each step re-decodes the output and emits
     * what was added, holding back a trailing U+FFFD (an unfinished UTF-8 sequence) until it resolves. Quadratic in
     * the output length, so meant for tests and short outputs; tokenizers should supply a true incremental one.
     */
    static TextDecoder fromFullDecode(Function<int[], String> decode) {
        return prompt -> new Session() {
            private int[] ids = new int[0];
            private int emitted;

            @Override
            public String next(int[] newTokenIds) {
                int[] all = Arrays.copyOf(ids, ids.length + newTokenIds.length);
                System.arraycopy(newTokenIds, 0, all, ids.length, newTokenIds.length);
                ids = all;
                String text = decode.apply(ids);
                int end = text.length();
                while (end > emitted && text.charAt(end - 1) == '\uFFFD') {
                    end--;
                }
                if (end <= emitted) {
                    return "";
                }
                String delta = text.substring(emitted, end);
                emitted = end;
                return delta;
            }
        };
    }
}
