package ai.tessera.parsers.reasoning;

import ai.tessera.api.ReasoningParser;
import org.osgi.service.component.annotations.Component;

/**
 * vLLM's {@code qwen3}: {@code deepseek_r1}'s rules plus one, because Qwen3.5 may call a tool from inside its
 * thinking without closing it: the first {@code <tool_call>} followed by {@code <function} ends reasoning, and
 * content (for the tool parser) starts at that tag. vLLM's {@code enable_thinking=false} switch (all output is
 * content) needs the request, which this API does not pass; the serving layer should skip reasoning parsing then.
 */
@Component(service = ReasoningParser.class, property = ReasoningParser.PROPERTY + "=qwen3")
public final class Qwen3ReasoningParser extends SplittingReasoningParser {
    public Qwen3ReasoningParser() {
        super(ReasoningSyntax.think(true));
    }
}
