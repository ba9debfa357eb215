package ai.tessera.parsers.reasoning;

import java.util.ArrayList;
import java.util.List;

import ai.tessera.api.ReasoningParser;
import ai.tessera.api.ReasoningParser.Extracted;
import ai.tessera.parsers.text.PartialTags;
import ai.tessera.parsers.text.PythonWhitespace;

/**
 * One request's reasoning/content split, fed text piece by piece. It holds back only what a later piece could
 * still change (a partial tag, Gemma's partial {@code thought\n} label, whitespace before a possible start tag,
 * a Qwen3 {@code <tool_call>} awaiting its lookahead), so the result does not depend on how the text was split.
 */
final class ReasoningSplitter implements ReasoningParser.Stream {

    /** Where the text read so far stands. */
    private enum Phase {
        /** Only whitespace so far; it is dropped if the start tag follows (vLLM drops what precedes it). */
        LEADING,
        /** No start tag yet: text is reasoning or content as the syntax says. */
        UNTAGGED,
        /** After the start tag, before the end tag. */
        REASONING,
        /** After the end of reasoning: everything is content, tags included. */
        ANSWER
    }

    private final ReasoningSyntax syntax;
    private final StringBuilder pending = new StringBuilder();
    private final StringBuilder heldLabel = new StringBuilder();
    private Phase phase;
    private boolean labelResolved;
    private boolean toolCallJudged;
    private StringBuilder reasoningOut = new StringBuilder();
    private StringBuilder contentOut = new StringBuilder();

    ReasoningSplitter(ReasoningSyntax syntax) {
        this.syntax = syntax;
        this.phase = syntax.untaggedIsReasoning() ? Phase.LEADING : Phase.UNTAGGED;
        this.labelResolved = syntax.label().isEmpty();
    }

    @Override
    public Extracted onDelta(String delta) {
        pending.append(delta);
        return drain(false);
    }

    @Override
    public Extracted finish() {
        return drain(true);
    }

    private Extracted drain(boolean atEnd) {
        reasoningOut = new StringBuilder();
        contentOut = new StringBuilder();
        while (pending.length() > 0 && advance(atEnd)) {
            // each step consumes input or changes phase; it returns false when it must wait for more text
        }
        if (atEnd) {
            releaseLabel();
        }
        return new Extracted(reasoningOut.toString(), contentOut.toString());
    }

    /** One step over the pending text; false when nothing more can be decided without more text. */
    private boolean advance(boolean atEnd) {
        switch (phase) {
            case LEADING:
                return leaveLeadingWhitespace(atEnd);
            case UNTAGGED:
            case REASONING:
                return scanForTags(atEnd);
            default:
                contentOut.append(pending);
                pending.setLength(0);
                return false;
        }
    }

    private boolean leaveLeadingWhitespace(boolean atEnd) {
        int first = PythonWhitespace.skip(pending, 0);
        String start = syntax.startTag();
        if (PartialTags.startsWithAt(pending, first, start)) {
            pending.delete(0, first + start.length());
            phase = Phase.REASONING;
            return true;
        }
        if (!atEnd && PartialTags.restIsPrefixOf(pending, first, start)) {
            return false;
        }
        phase = Phase.UNTAGGED;
        return true;
    }

    private boolean scanForTags(boolean atEnd) {
        List<String> tags = tagsToWatch();
        int at = -1;
        String found = null;
        for (String tag : tags) {
            int index = pending.indexOf(tag);
            if (index >= 0 && (at < 0 || index < at)) {
                at = index;
                found = tag;
            }
        }
        if (found == null) {
            int keep = atEnd ? 0 : PartialTags.heldSuffixLength(pending, tags);
            emitText(pending.substring(0, pending.length() - keep));
            pending.delete(0, pending.length() - keep);
            return false;
        }
        emitText(pending.substring(0, at));
        pending.delete(0, at);
        return onTag(found, atEnd);
    }

    private List<String> tagsToWatch() {
        List<String> tags = new ArrayList<>(3);
        tags.add(syntax.endTag());
        if (phase == Phase.UNTAGGED) {
            tags.add(syntax.startTag());
        }
        if (syntax.toolCallEndsReasoning() && !toolCallJudged && inReasoning()) {
            tags.add(Qwen3ToolCallLookahead.TOOL_CALL_TAG);
        }
        return tags;
    }

    /** Handles the tag at the start of {@code pending}. */
    private boolean onTag(String tag, boolean atEnd) {
        if (tag.equals(Qwen3ToolCallLookahead.TOOL_CALL_TAG)) {
            return onToolCallTag(atEnd);
        }
        pending.delete(0, tag.length());
        if (tag.equals(syntax.endTag())) {
            if (inReasoning()) {
                releaseLabel();
                phase = Phase.ANSWER;
            }
            // else: a stray end tag in untagged content; vLLM's streaming drops it too
        } else {
            phase = Phase.REASONING;
        }
        return true;
    }

    /** vLLM's qwen3 judges only the first {@code <tool_call>}; a genuine one starts the content, tag included. */
    private boolean onToolCallTag(boolean atEnd) {
        switch (Qwen3ToolCallLookahead.judge(pending, atEnd)) {
            case UNDECIDED:
                return false;
            case CALL:
                toolCallJudged = true;
                releaseLabel();
                phase = Phase.ANSWER;
                return true;
            default:
                toolCallJudged = true;
                emitText(Qwen3ToolCallLookahead.TOOL_CALL_TAG);
                pending.delete(0, Qwen3ToolCallLookahead.TOOL_CALL_TAG.length());
                return true;
        }
    }

    private boolean inReasoning() {
        return phase == Phase.REASONING || syntax.untaggedIsReasoning();
    }

    private void emitText(String text) {
        if (text.isEmpty()) {
            return;
        }
        if (inReasoning()) {
            emitReasoning(text);
        } else {
            contentOut.append(text);
        }
    }

    /** Reasoning text, minus the role label if the section begins with it. */
    private void emitReasoning(String text) {
        if (labelResolved) {
            reasoningOut.append(text);
            return;
        }
        heldLabel.append(text);
        String label = syntax.label();
        if (PartialTags.startsWithAt(heldLabel, 0, label)) {
            reasoningOut.append(heldLabel, label.length(), heldLabel.length());
            markLabelResolved();
        } else if (!PartialTags.restIsPrefixOf(heldLabel, 0, label)) {
            releaseLabel();
        }
    }

    /** The section ended (or the text did) while the label was undecided: what was held is reasoning. */
    private void releaseLabel() {
        if (!labelResolved) {
            reasoningOut.append(heldLabel);
            markLabelResolved();
        }
    }

    private void markLabelResolved() {
        labelResolved = true;
        heldLabel.setLength(0);
    }
}
