package ai.tessera.core.engine;

/**
 * The limits of one engine step (vLLM's names).
 *
 * @param maxNumSeqs          most requests running at once ({@code --max-num-seqs})
 * @param maxNumBatchedTokens most tokens computed in one step; longer prompts are prefilled in chunks
 *                            ({@code --max-num-batched-tokens})
 * @param maxModelLen         most tokens (prompt and output) of one request ({@code --max-model-len})
 */
public record SchedulerConfig(int maxNumSeqs, int maxNumBatchedTokens, int maxModelLen) {
    public SchedulerConfig {
        if (maxNumSeqs < 1 || maxNumBatchedTokens < 1 || maxModelLen < 1) {
            throw new IllegalArgumentException("--max-num-seqs, --max-num-batched-tokens and --max-model-len must be"
                    + " positive, got " + maxNumSeqs + ", " + maxNumBatchedTokens + " and " + maxModelLen);
        }
    }
}
