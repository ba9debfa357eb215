package ai.tessera.core.chat;

import java.util.List;

import ai.tessera.core.chat.TemplateSegments.Kind;
import ai.tessera.core.chat.TemplateSegments.Segment;

/**
 * Jinja2's whitespace rules, applied to the text segments so that the engine only has to copy them:
 * {@code -} markers strip all whitespace on their side, {@code +} markers turn the rules below off,
 * {@code trim_blocks} drops the first newline after a block or comment tag, and {@code lstrip_blocks} drops the
 * spaces and tabs before a block or comment tag that starts its line. Jinjava's own versions of the last two strip
 * too much (spaces before a tag in mid-line) and ignore {@code {{-}}, which chat templates use on every line.
 */
final class Jinja2Whitespace {
    private Jinja2Whitespace() {
    }

    /** transformers renders chat templates with {@code trim_blocks=True, lstrip_blocks=True}. */
    static void apply(List<Segment> segments, boolean trimBlocks, boolean lstripBlocks) {
        segments.get(0).startsLine = true;
        for (int i = 1; i < segments.size() - 1; i += 2) {
            Segment tag = segments.get(i);
            Segment before = segments.get(i - 1);
            Segment after = segments.get(i + 1);
            boolean blockOrComment = tag.kind == Kind.BLOCK || tag.kind == Kind.COMMENT;
            if (tag.left == '-') {
                before.body = stripTrailing(before.body);
            } else if (tag.left != '+' && lstripBlocks && blockOrComment) {
                int lineStart = before.body.lastIndexOf('\n') + 1;
                if ((lineStart > 0 || before.startsLine) && lineStart < before.body.length()
                        && isBlank(before.body, lineStart)) {
                    before.body = before.body.substring(0, lineStart);
                }
            }
            boolean rawBegins = after.kind == Kind.RAW_TEXT;
            if (tag.right == '-') {
                int end = firstNonWhitespace(after.body);
                after.startsLine = end > 0 && after.body.charAt(end - 1) == '\n';
                after.body = after.body.substring(end);
            } else if (tag.right != '+' && trimBlocks && blockOrComment && !rawBegins && after.body.startsWith("\n")) {
                after.body = after.body.substring(1);
                after.startsLine = true;
            } else {
                after.startsLine = false;
            }
        }
    }

    private static boolean isBlank(String text, int from) {
        for (int i = from; i < text.length(); i++) {
            if (!isWhitespace(text.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static int firstNonWhitespace(String text) {
        int i = 0;
        while (i < text.length() && isWhitespace(text.charAt(i))) {
            i++;
        }
        return i;
    }

    private static String stripTrailing(String text) {
        int end = text.length();
        while (end > 0 && isWhitespace(text.charAt(end - 1))) {
            end--;
        }
        return text.substring(0, end);
    }

    /** Python's {@code str.isspace} for one character, which Jinja2's {@code \s} and {@code rstrip()} follow. */
    static boolean isWhitespace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085';
    }
}
