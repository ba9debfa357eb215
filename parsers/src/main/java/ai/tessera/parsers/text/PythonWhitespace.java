package ai.tessera.parsers.text;

/**
 * Python's {@code str.isspace()} / {@code str.strip()}, which vLLM's parsers use; Java's own notions differ
 * (e.g. {@link String#strip()} keeps U+00A0 and U+0085, which Python strips).
 */
public final class PythonWhitespace {
    private PythonWhitespace() {
    }

    public static boolean isSpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085';
    }

    /** Python's {@code text.strip()}. */
    public static String strip(String text) {
        int begin = 0;
        int end = text.length();
        while (begin < end && isSpace(text.charAt(begin))) {
            begin++;
        }
        while (end > begin && isSpace(text.charAt(end - 1))) {
            end--;
        }
        return text.substring(begin, end);
    }

    /** Index of the first character at or after {@code from} that is not whitespace ({@code text.length()} if none). */
    public static int skip(CharSequence text, int from) {
        int i = from;
        while (i < text.length() && isSpace(text.charAt(i))) {
            i++;
        }
        return i;
    }
}
