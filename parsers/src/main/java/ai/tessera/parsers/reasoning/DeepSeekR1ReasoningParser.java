package ai.tessera.parsers.reasoning;

import ai.tessera.api.ReasoningParser;
import org.osgi.service.component.annotations.Component;

/**
 * vLLM's {@code deepseek_r1}: {@code <think>reasoning</think>content}. The start tag may be missing (the chat
 * template put it in the prompt), so text starts in reasoning; without {@code </think>} everything is reasoning.
 * Also the parser vLLM's users run for Phi-4-reasoning ({@code microsoft/Phi-4-reasoning} model card:
 * {@code --reasoning-parser deepseek_r1}) and QwQ-32B.
 */
@Component(service = ReasoningParser.class, property = ReasoningParser.PROPERTY + "=deepseek_r1")
public final class DeepSeekR1ReasoningParser extends SplittingReasoningParser {
    public DeepSeekR1ReasoningParser() {
        super(ReasoningSyntax.think(false));
    }
}
