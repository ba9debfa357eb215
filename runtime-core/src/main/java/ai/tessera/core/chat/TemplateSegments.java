package ai.tessera.core.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Jinja template cut the way Jinja2's lexer cuts it: text, {@code {% block %}}, {@code {{ variable }}} and
 * {@code {# comment #}} tags with their {@code -}/{@code +} whitespace markers, and the untouched body of
 * {@code {% raw %}}. Tag ends inside string literals ({@code {{ '}}' }}) do not count. Every tag is preceded and
 * followed by a (possibly empty) text segment.
 */
final class TemplateSegments {
    enum Kind { TEXT, RAW_TEXT, BLOCK, VARIABLE, COMMENT }

    /** One piece of the template; {@code body} is the text, or a tag's inside without delimiters and markers. */
    static final class Segment {
        final Kind kind;
        String body;
        final char left;
        final char right;
        final int line;
        /** For text: whether it starts a line (Jinja2's {@code line_starting}), set while applying whitespace rules. */
        boolean startsLine;

        Segment(Kind kind, String body, char left, char right, int line) {
            this.kind = kind;
            this.body = body;
            this.left = left;
            this.right = right;
            this.line = line;
        }

        boolean isTag() {
            return kind == Kind.BLOCK || kind == Kind.VARIABLE || kind == Kind.COMMENT;
        }

        /** The first word of a block tag ({@code for}, {@code endif}...), empty for other segments. */
        String keyword() {
            if (kind != Kind.BLOCK) {
                return "";
            }
            String trimmed = body.strip();
            int end = 0;
            while (end < trimmed.length() && (Character.isLetterOrDigit(trimmed.charAt(end)) || trimmed.charAt(end) == '_')) {
                end++;
            }
            return trimmed.substring(0, end);
        }

        @Override
        public String toString() {
            return kind + "(" + body + ")";
        }
    }

    private static final Pattern END_RAW = Pattern.compile("\\{%([-+]?)\\s*endraw\\s*([-+]?)%}");

    private TemplateSegments() {
    }

    /** Cuts {@code source} (newlines already normalized to \n) into segments. */
    static List<Segment> split(String source) {
        List<Segment> segments = new ArrayList<>();
        int textStart = 0;
        int position = 0;
        while (true) {
            int open = nextTagStart(source, position);
            if (open < 0) {
                break;
            }
            segments.add(text(Kind.TEXT, source, textStart, open));
            char type = source.charAt(open + 1);
            int bodyStart = open + 2;
            char left = 0;
            if (bodyStart < source.length() && (source.charAt(bodyStart) == '-' || source.charAt(bodyStart) == '+')) {
                left = source.charAt(bodyStart);
                bodyStart++;
            }
            int line = lineOf(source, open);
            int close = type == '#' ? source.indexOf("#}", bodyStart) : findTagEnd(source, bodyStart, type == '%' ? '%' : '}');
            if (close < 0) {
                throw new ChatTemplateException("line " + line + ": the tag opened with \"" + source.substring(open, open + 2)
                        + "\" is never closed");
            }
            int bodyEnd = close;
            char right = 0;
            if (bodyEnd > bodyStart && (source.charAt(bodyEnd - 1) == '-' || source.charAt(bodyEnd - 1) == '+')) {
                right = source.charAt(bodyEnd - 1);
                bodyEnd--;
            }
            Kind kind = type == '%' ? Kind.BLOCK : type == '{' ? Kind.VARIABLE : Kind.COMMENT;
            Segment tag = new Segment(kind, source.substring(bodyStart, bodyEnd), left, right, line);
            segments.add(tag);
            position = close + 2;
            textStart = position;
            if (kind == Kind.BLOCK && tag.body.strip().equals("raw")) {
                Matcher end = END_RAW.matcher(source);
                if (!end.find(position)) {
                    throw new ChatTemplateException("line " + line + ": {% raw %} is never closed by {% endraw %}");
                }
                segments.add(text(Kind.RAW_TEXT, source, position, end.start()));
                segments.add(new Segment(Kind.BLOCK, " endraw ", marker(end.group(1)), marker(end.group(2)), lineOf(source, end.start())));
                position = end.end();
                textStart = position;
            }
        }
        segments.add(text(Kind.TEXT, source, textStart, source.length()));
        return segments;
    }

    private static Segment text(Kind kind, String source, int from, int to) {
        return new Segment(kind, source.substring(from, to), (char) 0, (char) 0, lineOf(source, from));
    }

    private static char marker(String group) {
        return group.isEmpty() ? 0 : group.charAt(0);
    }

    private static int nextTagStart(String source, int from) {
        for (int i = source.indexOf('{', from); i >= 0 && i + 1 < source.length(); i = source.indexOf('{', i + 1)) {
            char next = source.charAt(i + 1);
            if (next == '%' || next == '{' || next == '#') {
                return i;
            }
        }
        return -1;
    }

    /** The index of the closing {@code %}} or {@code }}}, skipping string literals; -1 if there is none. */
    private static int findTagEnd(String source, int from, char closer) {
        int i = from;
        while (i < source.length() - 1) {
            char c = source.charAt(i);
            if (c == '\'' || c == '"') {
                i = Expressions.skipString(source, i);
                continue;
            }
            if (c == closer && source.charAt(i + 1) == '}') {
                return i;
            }
            i++;
        }
        return -1;
    }

    private static int lineOf(String source, int index) {
        int line = 1;
        for (int i = 0; i < index; i++) {
            if (source.charAt(i) == '\n') {
                line++;
            }
        }
        return line;
    }
}
