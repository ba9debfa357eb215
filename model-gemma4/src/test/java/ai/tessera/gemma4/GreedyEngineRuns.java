package ai.tessera.gemma4;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

import ai.tessera.api.MultimodalPrompt;
import ai.tessera.core.engine.Engine;
import ai.tessera.core.engine.EngineConfig;
import ai.tessera.core.engine.GenerationRequest;
import ai.tessera.core.engine.SamplingParams;
import ai.tessera.core.engine.TextDecoder;
import ai.tessera.core.platform.CpuPlatform;
import ai.tessera.testing.FixtureJson;
import com.fasterxml.jackson.databind.JsonNode;

/** The whole engine generating greedily on a reference model, as the engine parity tests run it. */
final class GreedyEngineRuns {
    private GreedyEngineRuns() {
    }

    /** Greedy, no EOS, prefix caching, on the CPU: {@code budget} tokens a step, at most {@code maxSeqs} at once. */
    static EngineConfig config(CpuPlatform cpu, int numBlocks, int budget, int maxSeqs) {
        return EngineConfig.builder().device(cpu.device()).numBlocksOverride(numBlocks).maxModelLen(1024)
                .maxNumBatchedTokens(budget).maxNumSeqs(maxSeqs).prefixCaching(true).eosTokenIds(Set.of())
                .samplingDefaults(SamplingParams.greedy()).textDecoder(TextDecoder.NONE).seed(0).build();
    }

    /**
     * Submits every fixture prompt twice, all at once (the second round takes its prefix from the cache, same
     * media), and asserts that each gives the fixture's greedy tokens and that every block is free at the end.
     */
    static void assertEachPromptTwiceGivesTheGreedyTokens(Engine engine, Gemma4Fixture fixture,
                                                          Function<JsonNode, MultimodalPrompt> process)
            throws Exception {
        List<long[]> expected = new ArrayList<>();
        List<CompletableFuture<int[]>> results = new ArrayList<>();
        for (int round = 0; round < 2; round++) {
            int index = 0;
            for (JsonNode p : fixture.root.get("prompts")) {
                long[] greedy = FixtureJson.longs(p.get("greedy"));
                SamplingParams params = SamplingParams.greedy().toBuilder().maxTokens(greedy.length)
                        .ignoreEos(true).build();
                GenerationRequest request = GenerationRequest.of("prompt" + index++ + "-" + round, process.apply(p),
                        params);
                expected.add(greedy);
                results.add(CompletableFuture.supplyAsync(() -> engine.complete(request).tokenIds()));
            }
        }
        for (int i = 0; i < results.size(); i++) {
            assertArrayEquals(Arrays.stream(expected.get(i)).mapToInt(Math::toIntExact).toArray(),
                    results.get(i).get(), "request " + i);
        }
        assertEquals(engine.stats().numBlocks(), engine.stats().freeBlocks(), "every block is free at the end");
    }
}
