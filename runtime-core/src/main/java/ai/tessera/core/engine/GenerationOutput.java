package ai.tessera.core.engine;

import java.util.List;

/**
 * One streamed delta of a request: the tokens of one engine step and the text they add.
 *
 * @param requestId          the request
 * @param tokenIds           new token ids (a stop or end-of-sequence token is included here, not in the text)
 * @param text               the text they add; held back while it could be the start of a stop string or an
 *                           unfinished character, so it may be empty
 * @param logprobs           one entry per new token when logprobs were asked for, else empty
 * @param finishReason       null while the request runs; set on its last delta
 * @param stopReason         on a {@link FinishReason#STOP}: the stop string or token id that ended it, else null
 * @param promptTokens       prompt length
 * @param cachedPromptTokens prompt tokens whose KV came from the prefix cache
 * @param outputTokens       tokens generated so far, these included
 */
public record GenerationOutput(String requestId, int[] tokenIds, String text, List<TokenLogprob> logprobs,
                               FinishReason finishReason, Object stopReason, int promptTokens,
                               int cachedPromptTokens, int outputTokens) {
    public GenerationOutput {
        tokenIds = tokenIds.clone();
        logprobs = List.copyOf(logprobs);
    }

    @Override
    public int[] tokenIds() {
        return tokenIds.clone();
    }

    public boolean finished() {
        return finishReason != null;
    }
}
