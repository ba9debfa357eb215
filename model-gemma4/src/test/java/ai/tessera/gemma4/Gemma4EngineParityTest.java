package ai.tessera.gemma4;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import ai.tessera.api.LoadedModel;
import ai.tessera.core.config.HfConfigLoader;
import ai.tessera.core.engine.Engine;
import ai.tessera.core.engine.EngineConfig;
import ai.tessera.core.engine.GenerationRequest;
import ai.tessera.core.engine.SamplingParams;
import ai.tessera.core.platform.CpuPlatform;
import ai.tessera.testing.ReferenceModelContext;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The whole engine on the reference models: every fixture prompt submitted at once and scheduled together with a
 * budget of 16 tokens a step, so that the 73-token prompt is prefilled in chunks (each chunk's sliding layers see
 * keys from earlier chunks, and its KV-shared layers read their source layers' cache) while the others decode, and
 * every context grows past the sliding window. Each must give transformers' 64 greedy tokens.
 */
class Gemma4EngineParityTest {

    @ParameterizedTest
    @ValueSource(strings = {Gemma4Fixture.E2B, Gemma4Fixture.MOE})
    void batchedChunkedGreedyTokensMatchTransformers(String name) throws Exception {
        Gemma4Fixture fixture = Gemma4Fixture.load(name);
        CpuPlatform cpu = new CpuPlatform();
        ReferenceModelContext context = new ReferenceModelContext(HfConfigLoader.fromJson(fixture.configJson, null),
                new PrngWeightSource(fixture.parameterShapes()), cpu, ScalarType.Float);
        EngineConfig config = GreedyEngineRuns.config(cpu, 64, 16, 8);
        try (LoadedModel model = Gemma4ParityTest.architecture(fixture).load(context);
             Engine engine = Engine.start(model, config)) {
            List<Gemma4Fixture.Prompt> prompts = fixture.prompts();
            List<CompletableFuture<int[]>> results = new ArrayList<>();
            for (Gemma4Fixture.Prompt p : prompts) {
                int[] ids = Arrays.stream(p.inputIds()).mapToInt(Math::toIntExact).toArray();
                SamplingParams greedy = SamplingParams.greedy().toBuilder().maxTokens(p.greedy().length)
                        .ignoreEos(true).build();
                results.add(CompletableFuture.supplyAsync(
                        () -> engine.complete(GenerationRequest.of(ids, greedy)).tokenIds()));
            }
            for (int i = 0; i < prompts.size(); i++) {
                long[] expected = prompts.get(i).greedy();
                int[] actual = results.get(i).get();
                assertEquals(expected.length, actual.length);
                assertArrayEquals(Arrays.stream(expected).mapToInt(Math::toIntExact).toArray(), actual,
                        name + " prompt " + i + " (" + prompts.get(i).inputIds().length + " tokens)");
            }
            assertEquals(engine.stats().numBlocks(), engine.stats().freeBlocks(), "every block is free at the end");
        }
    }
}
