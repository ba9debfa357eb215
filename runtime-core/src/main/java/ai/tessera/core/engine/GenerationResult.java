package ai.tessera.core.engine;

import java.util.List;

/**
 * A whole finished request, from {@link Engine#complete}.
 *
 * @param stopReason the stop string or token id that ended it, when {@code finishReason} is STOP
 */
public record GenerationResult(String requestId, int[] tokenIds, String text, List<TokenLogprob> logprobs,
                               FinishReason finishReason, Object stopReason, int promptTokens,
                               int cachedPromptTokens) {
    public GenerationResult {
        tokenIds = tokenIds.clone();
        logprobs = List.copyOf(logprobs);
    }

    @Override
    public int[] tokenIds() {
        return tokenIds.clone();
    }
}
