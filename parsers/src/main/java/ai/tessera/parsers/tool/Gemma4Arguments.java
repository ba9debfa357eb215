package ai.tessera.parsers.tool;

import ai.tessera.parsers.text.PythonWhitespace;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Reads Gemma 4's argument notation into JSON, leniently, as vLLM's gemma4 tool parser does: keys are bare
 * (or {@code <|"|>}-quoted), strings are {@code <|"|>…<|"|>}, objects {@code {…}}, arrays {@code […]}, other values
 * bare. Malformed input never throws: parsing stops where it can make no sense of the text and keeps what it read.
 *
 * <p>In {@code partial} mode, used for nested values whose closing bracket is missing, a trailing bare value or
 * a key without a value is left out, since it may be cut short.
 */
final class Gemma4Arguments {
    static final String QUOTE = "<|\"|>";
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private Gemma4Arguments() {
    }

    /** The members of an object, without its braces. */
    static ObjectNode object(String text, boolean partial) {
        ObjectNode result = NODES.objectNode();
        int n = text.length();
        int i = 0;
        while (i < n) {
            i = skip(text, i, " ,\n\t");
            if (i >= n) {
                break;
            }
            int colon = text.indexOf(':', i);
            if (colon < 0) {
                break;
            }
            String key = unquoteKey(PythonWhitespace.strip(text.substring(i, colon)));
            i = skip(text, colon + 1, " \n\t");
            if (i >= n) {
                if (!partial) {
                    result.put(key, "");
                }
                break;
            }
            if (text.startsWith(QUOTE, i)) {
                int start = i + QUOTE.length();
                int end = text.indexOf(QUOTE, start);
                if (end < 0) {
                    result.put(key, text.substring(start));
                    break;
                }
                result.put(key, text.substring(start, end));
                i = end + QUOTE.length();
            } else if (text.charAt(i) == '{' || text.charAt(i) == '[') {
                Nested nested = Nested.read(text, i);
                result.set(key, nested.value());
                i = nested.end();
            } else {
                int start = i;
                i = skipUntil(text, i, ",}]");
                if (!keepBareValue(text, start, i, partial)) {
                    break;
                }
                result.set(key, Gemma4Scalars.parse(text.substring(start, i)));
            }
        }
        return result;
    }

    /** The elements of an array, without its brackets. */
    static ArrayNode array(String text, boolean partial) {
        ArrayNode result = NODES.arrayNode();
        int n = text.length();
        int i = 0;
        while (i < n) {
            i = skip(text, i, " ,\n\t");
            if (i >= n) {
                break;
            }
            if (text.startsWith(QUOTE, i)) {
                int start = i + QUOTE.length();
                int end = text.indexOf(QUOTE, start);
                if (end < 0) {
                    result.add(text.substring(start));
                    break;
                }
                result.add(text.substring(start, end));
                i = end + QUOTE.length();
            } else if (text.charAt(i) == '{' || text.charAt(i) == '[') {
                Nested nested = Nested.read(text, i);
                result.add(nested.value());
                i = nested.end();
            } else {
                int start = i;
                i = skipUntil(text, i, ",]");
                if (!keepBareValue(text, start, i, partial)) {
                    break;
                }
                result.add(Gemma4Scalars.parse(text.substring(start, i)));
            }
        }
        return result;
    }

    /**
     * Whether the bare value {@code text[start, end)} is kept; false also stops the parse. An empty value means
     * the text is malformed here; in partial mode a value running to the end, or ending in a dot, may be cut short.
     */
    private static boolean keepBareValue(String text, int start, int end, boolean partial) {
        if (end == start) {
            return false;
        }
        if (partial) {
            return end < text.length() && !PythonWhitespace.strip(text.substring(start, end)).endsWith(".");
        }
        return true;
    }

    private static String unquoteKey(String key) {
        if (key.startsWith(QUOTE) && key.endsWith(QUOTE)) {
            return key.length() >= 2 * QUOTE.length() ? key.substring(QUOTE.length(), key.length() - QUOTE.length())
                    : "";
        }
        return key;
    }

    private static int skip(String text, int from, String chars) {
        int i = from;
        while (i < text.length() && chars.indexOf(text.charAt(i)) >= 0) {
            i++;
        }
        return i;
    }

    private static int skipUntil(String text, int from, String stops) {
        int i = from;
        while (i < text.length() && stops.indexOf(text.charAt(i)) < 0) {
            i++;
        }
        return i;
    }

    /** A nested object or array and the index just past it. */
    private record Nested(JsonNode value, int end) {

        /** Reads the {@code {…}} or {@code […]} at {@code open}, skipping quoted strings while matching brackets. */
        static Nested read(String text, int open) {
            char opener = text.charAt(open);
            char closer = opener == '{' ? '}' : ']';
            int n = text.length();
            int depth = 1;
            int i = open + 1;
            while (i < n && depth > 0) {
                if (text.startsWith(QUOTE, i)) {
                    int close = text.indexOf(QUOTE, i + QUOTE.length());
                    i = close < 0 ? n : close + QUOTE.length();
                    continue;
                }
                if (text.charAt(i) == opener) {
                    depth++;
                } else if (text.charAt(i) == closer) {
                    depth--;
                }
                i++;
            }
            boolean closed = depth == 0;
            String inner = text.substring(open + 1, closed ? i - 1 : i);
            JsonNode value = opener == '{' ? object(inner, !closed) : array(inner, !closed);
            return new Nested(value, i);
        }
    }
}
