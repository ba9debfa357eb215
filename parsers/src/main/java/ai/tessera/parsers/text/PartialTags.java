package ai.tessera.parsers.text;

import java.util.List;

/**
 * Finds the tail of streamed text that might be the beginning of a tag, so a stream holds it back instead of
 * emitting half a tag (e.g. {@code </thi} before {@code nk>} arrives).
 */
public final class PartialTags {
    private PartialTags() {
    }

    /** Length of the longest suffix of {@code text} that is a proper, non-empty prefix of one of {@code tags}. */
    public static int heldSuffixLength(CharSequence text, List<String> tags) {
        int held = 0;
        for (String tag : tags) {
            int longest = Math.min(tag.length() - 1, text.length());
            for (int k = longest; k > held; k--) {
                if (endsWith(text, tag, k)) {
                    held = k;
                    break;
                }
            }
        }
        return held;
    }

    /** Whether {@code text} ends with the first {@code length} characters of {@code tag}. */
    private static boolean endsWith(CharSequence text, String tag, int length) {
        int offset = text.length() - length;
        for (int i = 0; i < length; i++) {
            if (text.charAt(offset + i) != tag.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** Whether {@code text} holds {@code tag} at {@code offset}. */
    public static boolean startsWithAt(CharSequence text, int offset, String tag) {
        if (offset < 0 || text.length() - offset < tag.length()) {
            return false;
        }
        for (int i = 0; i < tag.length(); i++) {
            if (text.charAt(offset + i) != tag.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** Whether the text from {@code offset} to the end is a prefix of {@code tag} (empty counts). */
    public static boolean restIsPrefixOf(CharSequence text, int offset, String tag) {
        int rest = text.length() - offset;
        if (rest > tag.length()) {
            return false;
        }
        for (int i = 0; i < rest; i++) {
            if (text.charAt(offset + i) != tag.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
