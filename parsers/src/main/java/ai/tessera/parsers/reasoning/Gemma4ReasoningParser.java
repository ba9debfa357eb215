package ai.tessera.parsers.reasoning;

import ai.tessera.api.ReasoningParser;
import org.osgi.service.component.annotations.Component;

/**
 * vLLM's {@code gemma4}: reasoning is {@code <|channel>thought\n…<channel|>}, with the {@code thought\n} role
 * label removed; text outside the channel, or with no channel at all, is content. The tags are special tokens,
 * so the detokenizer must keep special tokens for this parser (vLLM forces {@code skip_special_tokens=false}).
 */
@Component(service = ReasoningParser.class, property = ReasoningParser.PROPERTY + "=gemma4")
public final class Gemma4ReasoningParser extends SplittingReasoningParser {
    public Gemma4ReasoningParser() {
        super(ReasoningSyntax.gemma4Channel());
    }

    /** {@code <|channel>} and {@code <channel|>} are special tokens. */
    @Override
    public boolean needsSpecialTokens() {
        return true;
    }
}
