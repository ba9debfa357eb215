package ai.tessera.core.chat;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import com.hubspot.jinjava.objects.SafeString;

/**
 * Python's {@code str} methods with Python's semantics, for templates that call them on strings
 * ({@code content.split('</think>')[-1].lstrip('\n')}, {@code role.startswith('tool')}): Jinjava would call the Java
 * method of the same name, if any, and Java's {@code split} takes a regular expression and drops trailing empty
 * strings. Indices count code points, as in Python.
 */
final class PythonStrings {
    static final Set<String> METHODS = Set.of(
            "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "startswith", "endswith",
            "lower", "upper", "title", "capitalize", "swapcase", "replace", "find", "rfind", "index", "rindex",
            "count", "join", "isdigit", "isdecimal", "isnumeric", "isalpha", "isalnum", "isspace", "isupper",
            "islower", "removeprefix", "removesuffix", "partition", "rpartition", "zfill", "center", "ljust",
            "rjust");

    private PythonStrings() {
    }

    static Object call(String s, String method, Object[] args) {
        switch (method) {
            case "strip": return strip(s, chars(method, args), true, true);
            case "lstrip": return strip(s, chars(method, args), true, false);
            case "rstrip": return strip(s, chars(method, args), false, true);
            case "split": return split(s, optionalString(method, args, 0), maxSplit(method, args));
            case "rsplit": return rsplit(s, optionalString(method, args, 0), maxSplit(method, args));
            case "splitlines": return splitLines(s, args.length > 0 && truthy(args[0]));
            case "startswith": return affix(s, method, args, true);
            case "endswith": return affix(s, method, args, false);
            case "lower": return s.toLowerCase(Locale.ROOT);
            case "upper": return s.toUpperCase(Locale.ROOT);
            case "title": return title(s);
            case "capitalize": return s.isEmpty() ? s
                    : s.substring(0, s.offsetByCodePoints(0, 1)).toUpperCase(Locale.ROOT)
                            + s.substring(s.offsetByCodePoints(0, 1)).toLowerCase(Locale.ROOT);
            case "swapcase": return swapCase(s);
            case "replace": return replace(s, requiredString(method, args, 0), requiredString(method, args, 1),
                    args.length > 2 ? toInt(method, args[2]) : -1);
            case "find": return find(s, requiredString(method, args, 0), false);
            case "rfind": return find(s, requiredString(method, args, 0), true);
            case "index":
            case "rindex": {
                long at = find(s, requiredString(method, args, 0), method.equals("rindex"));
                if (at < 0) {
                    throw new ChatTemplateException("str." + method + "(): substring not found");
                }
                return at;
            }
            case "count": return count(s, requiredString(method, args, 0));
            case "join": return join(s, method, args);
            case "isdigit":
            case "isdecimal":
            case "isnumeric": return !s.isEmpty() && s.codePoints().allMatch(Character::isDigit);
            case "isalpha": return !s.isEmpty() && s.codePoints().allMatch(Character::isLetter);
            case "isalnum": return !s.isEmpty() && s.codePoints().allMatch(Character::isLetterOrDigit);
            case "isspace": return !s.isEmpty() && s.chars().allMatch(c -> Jinja2Whitespace.isWhitespace((char) c));
            case "isupper": return hasCased(s) && s.equals(s.toUpperCase(Locale.ROOT));
            case "islower": return hasCased(s) && s.equals(s.toLowerCase(Locale.ROOT));
            case "removeprefix": {
                String prefix = requiredString(method, args, 0);
                return s.startsWith(prefix) ? s.substring(prefix.length()) : s;
            }
            case "removesuffix": {
                String suffix = requiredString(method, args, 0);
                return !suffix.isEmpty() && s.endsWith(suffix) ? s.substring(0, s.length() - suffix.length()) : s;
            }
            case "partition": return partition(s, requiredString(method, args, 0), false);
            case "rpartition": return partition(s, requiredString(method, args, 0), true);
            case "zfill": return zfill(s, toInt(method, argument(method, args, 0)));
            case "center":
            case "ljust":
            case "rjust": return pad(s, method, toInt(method, argument(method, args, 0)),
                    args.length > 1 ? requiredString(method, args, 1) : " ");
            default:
                throw new IllegalArgumentException("Not a supported str method: " + method);
        }
    }

    static String strip(String s, String chars, boolean left, boolean right) {
        int start = 0;
        int end = s.length();
        while (left && start < end && stripped(s.charAt(start), chars)) {
            start++;
        }
        while (right && end > start && stripped(s.charAt(end - 1), chars)) {
            end--;
        }
        return s.substring(start, end);
    }

    private static boolean stripped(char c, String chars) {
        return chars == null ? Jinja2Whitespace.isWhitespace(c) : chars.indexOf(c) >= 0;
    }

    static List<String> split(String s, String separator, int maxSplit) {
        List<String> parts = new ArrayList<>();
        if (separator == null) {
            int i = 0;
            while (true) {
                while (i < s.length() && Jinja2Whitespace.isWhitespace(s.charAt(i))) {
                    i++;
                }
                if (i == s.length()) {
                    return parts;
                }
                if (maxSplit >= 0 && parts.size() == maxSplit) {
                    parts.add(s.substring(i));
                    return parts;
                }
                int end = i;
                while (end < s.length() && !Jinja2Whitespace.isWhitespace(s.charAt(end))) {
                    end++;
                }
                parts.add(s.substring(i, end));
                i = end;
            }
        }
        requireSeparator(separator);
        int start = 0;
        int at;
        while ((maxSplit < 0 || parts.size() < maxSplit) && (at = s.indexOf(separator, start)) >= 0) {
            parts.add(s.substring(start, at));
            start = at + separator.length();
        }
        parts.add(s.substring(start));
        return parts;
    }

    static List<String> rsplit(String s, String separator, int maxSplit) {
        if (maxSplit < 0) {
            return split(s, separator, maxSplit);
        }
        List<String> parts = new ArrayList<>();
        if (separator == null) {
            int end = s.length();
            while (true) {
                while (end > 0 && Jinja2Whitespace.isWhitespace(s.charAt(end - 1))) {
                    end--;
                }
                if (end == 0) {
                    break;
                }
                if (parts.size() == maxSplit) {
                    parts.add(0, s.substring(0, end));
                    break;
                }
                int start = end;
                while (start > 0 && !Jinja2Whitespace.isWhitespace(s.charAt(start - 1))) {
                    start--;
                }
                parts.add(0, s.substring(start, end));
                end = start;
            }
            return parts;
        }
        requireSeparator(separator);
        int end = s.length();
        int at;
        while (parts.size() < maxSplit && (at = s.lastIndexOf(separator, end - separator.length())) >= 0) {
            parts.add(0, s.substring(at + separator.length(), end));
            end = at;
        }
        parts.add(0, s.substring(0, end));
        return parts;
    }

    private static List<String> splitLines(String s, boolean keepEnds) {
        List<String> lines = new ArrayList<>();
        int start = 0;
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            int breakLength = 0;
            if (c == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n') {
                breakLength = 2;
            } else if (c == '\n' || c == '\r' || c == '\u000b' || c == '\u000c' || c == '\u001c' || c == '\u001d'
                    || c == '\u001e' || c == '\u0085' || c == '\u2028' || c == '\u2029') {
                breakLength = 1;
            }
            if (breakLength > 0) {
                lines.add(s.substring(start, keepEnds ? i + breakLength : i));
                i += breakLength;
                start = i;
            } else {
                i++;
            }
        }
        if (start < s.length()) {
            lines.add(s.substring(start));
        }
        return lines;
    }

    private static boolean affix(String s, String method, Object[] args, boolean prefix) {
        Object wanted = argument(method, args, 0);
        String subject = s;
        if (args.length > 1 && args[1] != null) {
            int from = codePointIndex(s, toInt(method, args[1]));
            int to = args.length > 2 && args[2] != null ? codePointIndex(s, toInt(method, args[2])) : s.length();
            subject = from <= to ? s.substring(from, to) : "";
        }
        Collection<?> candidates = wanted instanceof Collection ? (Collection<?>) wanted : List.of(wanted);
        for (Object candidate : candidates) {
            if (!(candidate instanceof String)) {
                throw new ChatTemplateException("str." + method + "() takes a string or a tuple of strings, got "
                        + typeName(candidate));
            }
            if (prefix ? subject.startsWith((String) candidate) : subject.endsWith((String) candidate)) {
                return true;
            }
        }
        return false;
    }

    private static String title(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean previousCased = false;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            out.appendCodePoint(previousCased ? Character.toLowerCase(cp) : Character.toTitleCase(cp));
            previousCased = Character.isLetter(cp);
            i += Character.charCount(cp);
        }
        return out.toString();
    }

    private static String swapCase(String s) {
        StringBuilder out = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> out.appendCodePoint(
                Character.isUpperCase(cp) ? Character.toLowerCase(cp) : Character.isLowerCase(cp) ? Character.toUpperCase(cp) : cp));
        return out.toString();
    }

    private static boolean hasCased(String s) {
        return s.codePoints().anyMatch(cp -> Character.isUpperCase(cp) || Character.isLowerCase(cp));
    }

    private static String replace(String s, String old, String replacement, int count) {
        if (count < 0) {
            return s.replace(old, replacement);
        }
        StringBuilder out = new StringBuilder();
        int start = 0;
        for (int done = 0; done < count; done++) {
            int at = old.isEmpty() ? (start <= s.length() ? start : -1) : s.indexOf(old, start);
            if (at < 0) {
                break;
            }
            out.append(s, start, at).append(replacement);
            if (old.isEmpty()) {
                if (at < s.length()) {
                    out.append(s.charAt(at));
                }
                start = at + 1;
            } else {
                start = at + old.length();
            }
        }
        if (start <= s.length()) {
            out.append(s, start, s.length());
        }
        return out.toString();
    }

    private static long find(String s, String sub, boolean last) {
        int at = last ? s.lastIndexOf(sub) : s.indexOf(sub);
        return at < 0 ? -1 : s.codePointCount(0, at);
    }

    private static long count(String s, String sub) {
        if (sub.isEmpty()) {
            return s.codePointCount(0, s.length()) + 1L;
        }
        long n = 0;
        for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
            n++;
        }
        return n;
    }

    private static String join(String separator, String method, Object[] args) {
        Object items = argument(method, args, 0);
        if (!(items instanceof Iterable)) {
            throw new ChatTemplateException("str.join() takes an iterable, got " + typeName(items));
        }
        StringBuilder out = new StringBuilder();
        boolean first = true;
        for (Object item : (Iterable<?>) items) {
            if (!first) {
                out.append(separator);
            }
            out.append(item instanceof String ? (String) item : String.valueOf(item));
            first = false;
        }
        return out.toString();
    }

    private static List<String> partition(String s, String separator, boolean last) {
        requireSeparator(separator);
        int at = last ? s.lastIndexOf(separator) : s.indexOf(separator);
        if (at < 0) {
            return last ? List.of("", "", s) : List.of(s, "", "");
        }
        return List.of(s.substring(0, at), separator, s.substring(at + separator.length()));
    }

    private static String zfill(String s, int width) {
        int length = s.codePointCount(0, s.length());
        if (length >= width) {
            return s;
        }
        String zeros = "0".repeat(width - length);
        boolean signed = !s.isEmpty() && (s.charAt(0) == '+' || s.charAt(0) == '-');
        return signed ? s.charAt(0) + zeros + s.substring(1) : zeros + s;
    }

    private static String pad(String s, String method, int width, String fill) {
        if (fill.codePointCount(0, fill.length()) != 1) {
            throw new ChatTemplateException("str." + method + "(): the fill character must be exactly one character long");
        }
        int missing = width - s.codePointCount(0, s.length());
        if (missing <= 0) {
            return s;
        }
        switch (method) {
            case "ljust": return s + fill.repeat(missing);
            case "rjust": return fill.repeat(missing) + s;
            default: {
                // Python centers with the extra character on the left when both the text and the room are odd
                int left = missing / 2 + (missing & width & 1);
                return fill.repeat(left) + s + fill.repeat(missing - left);
            }
        }
    }

    private static void requireSeparator(String separator) {
        if (separator.isEmpty()) {
            throw new ChatTemplateException("empty separator");
        }
    }

    private static int codePointIndex(String s, int index) {
        int length = s.codePointCount(0, s.length());
        int position = index < 0 ? Math.max(0, length + index) : Math.min(index, length);
        return s.offsetByCodePoints(0, position);
    }

    private static String chars(String method, Object[] args) {
        return optionalString(method, args, 0);
    }

    private static int maxSplit(String method, Object[] args) {
        return args.length > 1 && args[1] != null ? toInt(method, args[1]) : -1;
    }

    private static Object argument(String method, Object[] args, int index) {
        if (args.length <= index) {
            throw new ChatTemplateException("str." + method + "() needs at least " + (index + 1) + " argument(s), got "
                    + args.length);
        }
        return args[index];
    }

    private static String optionalString(String method, Object[] args, int index) {
        if (args.length <= index || args[index] == null) {
            return null;
        }
        return requiredString(method, args, index);
    }

    private static String requiredString(String method, Object[] args, int index) {
        Object value = argument(method, args, index);
        if (!(value instanceof CharSequence) && !(value instanceof SafeString)) {
            throw new ChatTemplateException("str." + method + "() argument " + (index + 1) + " must be a string, got "
                    + typeName(value));
        }
        return value.toString();
    }

    private static int toInt(String method, Object value) {
        if (value instanceof Number) {
            return ((Number) value).intValue();
        }
        throw new ChatTemplateException("str." + method + "(): expected an integer, got " + typeName(value));
    }

    private static boolean truthy(Object value) {
        return value instanceof Boolean ? (Boolean) value : value instanceof Number ? ((Number) value).doubleValue() != 0 : value != null;
    }

    static String typeName(Object value) {
        return value == null ? "None" : value.getClass().getSimpleName();
    }
}
