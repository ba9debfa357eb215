package ai.tessera.gemma4;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import ai.tessera.api.LoadedModel;
import ai.tessera.api.MediaInput;
import ai.tessera.api.MediaProcessor;
import ai.tessera.api.ModelConfig;
import ai.tessera.core.config.HfConfigLoader;
import ai.tessera.core.engine.Engine;
import ai.tessera.core.engine.EngineConfig;
import ai.tessera.core.engine.GenerationRequest;
import ai.tessera.core.engine.SamplingParams;
import ai.tessera.core.engine.TextDecoder;
import ai.tessera.core.platform.CpuPlatform;
import ai.tessera.testing.FixtureJson;
import ai.tessera.testing.ReferenceModelContext;
import com.fasterxml.jackson.databind.JsonNode;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;

/**
 * Gemma 4 with audio through the whole engine: both fixture prompts (one clip; a clip and an image) submitted
 * together, twice each, with a 16-token budget so that every clip and image is prefilled across several chunks
 * while the other requests decode, must give transformers' 64 greedy tokens; the repeated prompts take their prefix
 * from the cache (same media), and every block is free at the end.
 */
class Gemma4AudioEngineParityTest {

    @Test
    void batchedChunkedGreedyTokensMatchTransformers() throws Exception {
        Gemma4Fixture fixture = Gemma4Fixture.load(Gemma4Fixture.AUDIO);
        CpuPlatform cpu = new CpuPlatform();
        ModelConfig config = HfConfigLoader.fromJson(fixture.configJson, null);
        ReferenceModelContext context = new ReferenceModelContext(config,
                new PrngWeightSource(fixture.parameterShapes()), cpu, ScalarType.Float);
        MediaProcessor processor = new Gemma4MultimodalProcessor().forModel(config, Optional.empty());
        EngineConfig engineConfig = EngineConfig.builder().device(cpu.device()).numBlocksOverride(96)
                .maxModelLen(1024).maxNumBatchedTokens(16).maxNumSeqs(8).prefixCaching(true).eosTokenIds(Set.of())
                .samplingDefaults(SamplingParams.greedy()).textDecoder(TextDecoder.NONE).seed(0).build();
        int maxSoftTokens = fixture.root.get("max_soft_tokens").asInt();
        try (LoadedModel model = new Gemma4ForConditionalGeneration().load(context);
             Engine engine = Engine.start(model, engineConfig)) {
            List<long[]> expected = new ArrayList<>();
            List<CompletableFuture<int[]>> results = new ArrayList<>();
            for (int round = 0; round < 2; round++) {
                int index = 0;
                for (JsonNode p : fixture.root.get("prompts")) {
                    List<MediaInput> media = Gemma4AudioParityTest.media(p);
                    long[] greedy = FixtureJson.longs(p.get("greedy"));
                    SamplingParams params = SamplingParams.greedy().toBuilder().maxTokens(greedy.length)
                            .ignoreEos(true).build();
                    int[] prompt = Gemma4AudioParityTest.collapsed(FixtureJson.longs(p.get("input_ids")));
                    GenerationRequest request = GenerationRequest.of("prompt" + index++ + "-" + round,
                            processor.process(prompt, media, Map.of("max_soft_tokens", maxSoftTokens)), params);
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
}
