package ai.tessera.core.engine;

/**
 * A snapshot of the engine after its last step, for metrics and tests.
 *
 * @param numBlocks          KV cache blocks in all
 * @param freeBlocks         blocks no request holds (cached ones included)
 * @param cachedBlocks       blocks registered in the prefix cache
 * @param prefixQueryTokens  prompt tokens looked up in the prefix cache
 * @param prefixHitTokens    of those, the ones whose KV was reused
 * @param running            requests running
 * @param waiting            requests waiting (new or preempted)
 * @param preemptions        requests preempted so far
 * @param steps              engine steps run
 * @param generatedTokens    tokens sampled so far
 */
public record EngineStats(int numBlocks, int freeBlocks, int cachedBlocks, long prefixQueryTokens,
                          long prefixHitTokens, int running, int waiting, long preemptions, long steps,
                          long generatedTokens) {
}
