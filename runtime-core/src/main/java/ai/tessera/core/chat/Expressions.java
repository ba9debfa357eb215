package ai.tessera.core.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rewrites of Jinja2 expressions that Jinjava parses differently, done on the source text (outside string
 * literals) so that the result means in Jinjava what the original means in Jinja2:
 * <ul>
 * <li>{@code seq[::-1]} becomes {@code (seq|reverse)}: Jinjava's slices take no step;</li>
 * <li>keyword arguments get parentheses, {@code namespace(n=messages|length - 1)} becomes
 * {@code namespace(n=(messages|length - 1))}: Jinjava binds {@code name=value} tighter than the operators in
 * the value.</li>
 * </ul>
 */
final class Expressions {
    private static final Pattern REVERSE_SLICE = Pattern.compile("\\[\\s*:\\s*:\\s*-\\s*1\\s*]");
    private static final Pattern KEYWORD_ARGUMENT = Pattern.compile("^(\\s*[A-Za-z_][A-Za-z0-9_]*\\s*=)(?!=)(.*)$", Pattern.DOTALL);

    private Expressions() {
    }

    /** Both rewrites, for a {@code {{ }}} body or the expressions of a block tag. */
    static String toJinjava(String expression) {
        return parenthesizeKeywordArguments(reverseSlices(expression));
    }

    /** The index just after the string literal that starts at {@code quote} (Python escapes), or the end. */
    static int skipString(String text, int quote) {
        char delimiter = text.charAt(quote);
        int i = quote + 1;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '\\') {
                i += 2;
            } else if (c == delimiter) {
                return i + 1;
            } else {
                i++;
            }
        }
        return text.length();
    }

    static String reverseSlices(String expression) {
        String result = expression;
        int from = 0;
        while (true) {
            Matcher matcher = REVERSE_SLICE.matcher(result);
            int slice = findOutsideStrings(result, matcher, from);
            if (slice < 0) {
                return result;
            }
            int start = operandStart(result, slice);
            if (start == slice) {
                throw new ChatTemplateException("cannot tell what \"[::-1]\" reverses in \"" + expression.strip() + "\"");
            }
            String operand = result.substring(start, slice);
            String replacement = "(" + operand + "|reverse)";
            result = result.substring(0, start) + replacement + result.substring(matcher.end());
            from = start + replacement.length();
        }
    }

    /** {@code name=value} arguments inside any parentheses get {@code name=(value)}. */
    static String parenthesizeKeywordArguments(String expression) {
        StringBuilder out = new StringBuilder(expression.length() + 16);
        int i = 0;
        while (i < expression.length()) {
            char c = expression.charAt(i);
            if (c == '\'' || c == '"') {
                int end = skipString(expression, i);
                out.append(expression, i, end);
                i = end;
            } else if (c == '(') {
                int close = matchingClose(expression, i);
                if (close < 0) {
                    out.append(expression, i, expression.length());
                    return out.toString();
                }
                out.append('(').append(rewriteArguments(expression.substring(i + 1, close))).append(')');
                i = close + 1;
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    private static String rewriteArguments(String arguments) {
        List<String> parts = splitTopLevel(arguments, ',');
        StringBuilder out = new StringBuilder(arguments.length() + 8);
        for (int k = 0; k < parts.size(); k++) {
            String part = parenthesizeKeywordArguments(parts.get(k));
            Matcher keyword = KEYWORD_ARGUMENT.matcher(part);
            if (keyword.matches() && !keyword.group(2).isBlank()) {
                part = keyword.group(1) + "(" + keyword.group(2) + ")";
            }
            if (k > 0) {
                out.append(',');
            }
            out.append(part);
        }
        return out.toString();
    }

    /** {@code text} cut at {@code separator}s that are outside strings and brackets. */
    static List<String> splitTopLevel(String text, char separator) {
        List<String> parts = new ArrayList<>();
        int depth = 0;
        int start = 0;
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '\'' || c == '"') {
                i = skipString(text, i);
                continue;
            }
            if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
            } else if (c == separator && depth == 0) {
                parts.add(text.substring(start, i));
                start = i + 1;
            }
            i++;
        }
        parts.add(text.substring(start));
        return parts;
    }

    /**
     * The index of {@code word} as a whole word outside strings and brackets, at or after {@code from}; -1 if
     * absent.
     */
    static int findKeyword(String text, String word, int from) {
        int depth = 0;
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '\'' || c == '"') {
                i = skipString(text, i);
                continue;
            }
            if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
            } else if (depth == 0 && i >= from && text.startsWith(word, i)
                    && (i == 0 || !isNameChar(text.charAt(i - 1)))
                    && (i + word.length() == text.length() || !isNameChar(text.charAt(i + word.length())))) {
                return i;
            }
            i++;
        }
        return -1;
    }

    /** Where {@code matcher} first matches outside string literals at or after {@code from}; -1 if nowhere. */
    private static int findOutsideStrings(String text, Matcher matcher, int from) {
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '\'' || c == '"') {
                i = skipString(text, i);
                continue;
            }
            if (i >= from && matcher.region(i, text.length()).lookingAt()) {
                return i;
            }
            i++;
        }
        return -1;
    }

    /** Where the primary expression that ends just before {@code end} starts: names, dots, calls, subscripts. */
    private static int operandStart(String text, int end) {
        int i = end;
        while (i > 0) {
            char c = text.charAt(i - 1);
            if (c == ')' || c == ']') {
                int open = matchingOpen(text, i - 1);
                if (open < 0) {
                    return i;
                }
                i = open;
            } else if (isNameChar(c) || c == '.') {
                i--;
            } else if ((c == '\'' || c == '"') && i == end) {
                int open = text.lastIndexOf(c, i - 2);
                return open < 0 ? i : open;
            } else {
                break;
            }
        }
        return i;
    }

    private static int matchingClose(String text, int open) {
        int depth = 0;
        int i = open;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '\'' || c == '"') {
                i = skipString(text, i);
                continue;
            }
            if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
                if (depth == 0) {
                    return i;
                }
            }
            i++;
        }
        return -1;
    }

    /** Backwards counterpart of {@link #matchingClose}; string literals inside are rare enough to be ignored. */
    private static int matchingOpen(String text, int close) {
        int depth = 0;
        for (int i = close; i >= 0; i--) {
            char c = text.charAt(i);
            if (c == ')' || c == ']' || c == '}') {
                depth++;
            } else if (c == '(' || c == '[' || c == '{') {
                depth--;
                if (depth == 0) {
                    return i;
                }
            }
        }
        return -1;
    }

    static boolean isNameChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_';
    }
}
