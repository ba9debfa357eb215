package ai.tessera.core.tokenizer;

import java.util.Arrays;

/**
 * Turns generated token ids, fed one at a time, into text deltas that are never a broken character: a token can
 * hold part of a multi-byte UTF-8 character (byte-level BPE) or one byte of a byte-fallback sequence
 * ({@code <0xF0>}), and its text only exists once the rest has arrived.
 *
 * <p>vLLM's prefix/read offsets: the ids between {@code prefixOffset} and {@code readOffset} were already emitted
 * and are decoded again as context (decoders strip or merge across token boundaries, so a token's text depends
 * on its left neighbours); the text of {@code [prefixOffset, end)} minus that of {@code [prefixOffset,
 * readOffset)} is the new text, held back while it ends in U+FFFD (an incomplete character). The first context is
 * the last few prompt tokens. Not thread-safe: one per sequence.
 */
public final class IncrementalDetokenizer {
    /** Prompt tokens kept as the first context, as vLLM's INITIAL_INCREMENTAL_DETOKENIZATION_OFFSET. */
    static final int PROMPT_CONTEXT = 5;
    private static final char REPLACEMENT = '\uFFFD';

    private final HfTokenizer tokenizer;
    private final boolean skipSpecialTokens;
    private int[] ids;
    private int size;
    private int prefixOffset;
    private int readOffset;
    private String prefixText;
    private final StringBuilder text = new StringBuilder();

    IncrementalDetokenizer(HfTokenizer tokenizer, int[] promptIds, boolean skipSpecialTokens) {
        this.tokenizer = tokenizer;
        this.skipSpecialTokens = skipSpecialTokens;
        int context = Math.min(PROMPT_CONTEXT, promptIds.length);
        int from = promptIds.length - context;
        this.ids = Arrays.copyOfRange(promptIds, from, from + Math.max(context, 16));
        this.size = context;
        this.prefixOffset = 0;
        this.readOffset = context;
    }

    /** Adds a generated token; returns the text that became complete with it, possibly empty. */
    public String next(int tokenId) {
        if (size == ids.length) {
            ids = Arrays.copyOf(ids, ids.length * 2);
        }
        ids[size++] = tokenId;
        if (prefixText == null) {
            prefixText = tokenizer.decode(ids, prefixOffset, readOffset, skipSpecialTokens);
        }
        String newText = tokenizer.decode(ids, prefixOffset, size, skipSpecialTokens);
        if (newText.length() <= prefixText.length() || newText.charAt(newText.length() - 1) == REPLACEMENT) {
            return "";
        }
        String delta = newText.substring(prefixText.length());
        prefixOffset = readOffset;
        readOffset = size;
        prefixText = null;
        compact();
        text.append(delta);
        return delta;
    }

    /** All text emitted so far. */
    public String text() {
        return text.toString();
    }

    /** Drops ids before the context window so that a long generation does not keep every id. */
    private void compact() {
        if (prefixOffset > 1024) {
            ids = Arrays.copyOfRange(ids, prefixOffset, Math.max(size, prefixOffset + 16));
            size -= prefixOffset;
            readOffset -= prefixOffset;
            prefixOffset = 0;
        }
    }
}
