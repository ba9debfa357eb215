package ai.tessera.core.chat;

import java.util.List;

import ai.tessera.core.chat.TemplateSegments.Segment;

/**
 * Turns a Hugging Face chat template (Jinja2, as transformers renders it) into source that Jinjava renders the
 * same way: Jinja2's whitespace rules are applied first ({@link Jinja2Whitespace}), so the tags come out without
 * {@code -}/{@code +} markers and Jinjava's own trimming stays off; expressions get {@link Expressions}' rewrites;
 * loop filters ({@code for x in xs if cond}), which Jinjava silently ignores, become a filtering loop followed by
 * the real one; transformers' {@code {% generation %}} markers (which only record assistant spans) disappear.
 */
final class JinjavaDialect {
    private static final String FILTERED_LIST = "tessera_loop_filter_";

    private JinjavaDialect() {
    }

    static String translate(String jinja2Source) {
        String source = normalizeNewlines(jinja2Source);
        // Jinja2 drops one trailing newline of the template (keep_trailing_newline=False).
        if (source.endsWith("\n")) {
            source = source.substring(0, source.length() - 1);
        }
        List<Segment> segments = TemplateSegments.split(source);
        Jinja2Whitespace.apply(segments, true, true);
        StringBuilder out = new StringBuilder(source.length() + 64);
        int loopFilters = 0;
        for (Segment segment : segments) {
            switch (segment.kind) {
                case TEXT:
                    appendText(out, segment.body);
                    break;
                case RAW_TEXT:
                    out.append("{% raw %}").append(segment.body).append("{% endraw %}");
                    break;
                case COMMENT:
                    break;
                case VARIABLE:
                    out.append("{{ ").append(translateExpression(segment, segment.body)).append(" }}");
                    break;
                case BLOCK:
                    String keyword = segment.keyword();
                    if (keyword.equals("raw") || keyword.equals("endraw")
                            || keyword.equals("generation") || keyword.equals("endgeneration")) {
                        break;
                    }
                    String filtered = keyword.equals("for") ? filteredLoop(segment, loopFilters) : null;
                    if (filtered != null) {
                        out.append(filtered);
                        loopFilters++;
                    } else if (keyword.equals("macro") || keyword.equals("call")) {
                        // parameter defaults of a definition are not call arguments
                        out.append("{% ").append(segment.body.strip()).append(" %}");
                    } else {
                        out.append("{% ").append(translateExpression(segment, segment.body)).append(" %}");
                    }
                    break;
                default:
                    throw new IllegalStateException("Unknown segment " + segment.kind);
            }
        }
        return out.toString();
    }

    /**
     * Literal text, with a trailing {@code {} and a leading {@code }} written as expressions: once whitespace
     * control has removed the blanks between them and a tag, Jinja2's {@code :{ {{- x -}} }} would otherwise
     * reach Jinjava as {@code :{{{ x }}}} (and {@code key:{ {%- if %}} as {@code key:{{% if %}}), which its lexer
     * reads as different tags.
     */
    private static void appendText(StringBuilder out, String text) {
        int from = 0;
        int to = text.length();
        boolean closing = to > 0 && text.charAt(0) == '}';
        if (closing) {
            out.append("{{ '}' }}");
            from = 1;
        }
        boolean opening = to > from && text.charAt(to - 1) == '{';
        if (opening) {
            to--;
        }
        out.append(text, from, to);
        if (opening) {
            out.append("{{ '{' }}");
        }
    }

    static String normalizeNewlines(String text) {
        return text.replace("\r\n", "\n").replace('\r', '\n');
    }

    /** The replacement of a {@code for} tag with a loop filter, or null if it has none. */
    private static String filteredLoop(Segment segment, int index) {
        String body = segment.body.strip();
        String header = body.substring("for".length());
        int in = Expressions.findKeyword(header, "in", 0);
        int condition = in < 0 ? -1 : Expressions.findKeyword(header, "if", in + 2);
        if (condition < 0) {
            return null;
        }
        String target = header.substring(0, in).strip();
        String iterable = translateExpression(segment, header.substring(in + 2, condition)).strip();
        String test = translateExpression(segment, header.substring(condition + 2)).strip();
        if (Expressions.findKeyword(test, "recursive", 0) >= 0) {
            throw new ChatTemplateException("line " + segment.line + ": recursive loops with a filter are not supported: {% "
                    + body + " %}");
        }
        String list = FILTERED_LIST + index;
        String item = target.contains(",") ? "[" + target.replace("(", "").replace(")", "") + "]" : target;
        return "{% set " + list + " = [] %}"
                + "{% for " + target + " in " + iterable + " %}{% if " + test + " %}{% do " + list + ".append(" + item
                + ") %}{% endif %}{% endfor %}"
                + "{% for " + target + " in " + list + " %}";
    }

    private static String translateExpression(Segment segment, String expression) {
        try {
            return Expressions.toJinjava(expression);
        } catch (ChatTemplateException e) {
            throw new ChatTemplateException("line " + segment.line + ": " + e.getMessage(), e);
        }
    }
}
