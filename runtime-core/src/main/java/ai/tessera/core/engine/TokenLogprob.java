package ai.tessera.core.engine;

import java.util.List;

/**
 * The model's raw log-probability of a sampled token (log_softmax of the logits before penalties, temperature
 * and truncation, as vLLM returns by default), its rank among all tokens (1 = most likely) and the most likely
 * alternatives.
 */
public record TokenLogprob(int tokenId, float logprob, int rank, List<Top> top) {
    public TokenLogprob {
        top = List.copyOf(top);
    }

    /** One of the most likely tokens at this step. */
    public record Top(int tokenId, float logprob) {
    }
}
