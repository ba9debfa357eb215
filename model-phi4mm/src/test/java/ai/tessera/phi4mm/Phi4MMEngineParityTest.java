package ai.tessera.phi4mm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

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
import ai.tessera.api.MultimodalPrompt;
import ai.tessera.core.config.HfConfigLoader;
import ai.tessera.core.engine.Engine;
import ai.tessera.core.engine.EngineConfig;
import ai.tessera.core.engine.GenerationRequest;
import ai.tessera.core.engine.SamplingParams;
import ai.tessera.core.engine.TextDecoder;
import ai.tessera.core.platform.CpuPlatform;
import ai.tessera.phi4mm.processor.Phi4MMProcessor;
import ai.tessera.testing.FixtureJson;
import ai.tessera.testing.ReferenceModelContext;
import com.fasterxml.jackson.databind.JsonNode;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Phi-4-multimodal through the whole engine. Requests with different adapters (text: none; images: vision; audio:
 * speech) run in the same steps, prefilled in 48-token chunks while others decode: every request must give
 * transformers' 64 greedy tokens of its single run, the adapter applying to all its steps, decode included. The
 * prefix cache must not hand one adapter's keys and values to another: the same tokens asked with the vision adapter
 * after a text request cached them must give what they give alone.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Phi4MMEngineParityTest {
    private final CpuPlatform cpu = new CpuPlatform();
    private Phi4MMFixture fixture;
    private LoadedModel model;
    private MediaProcessor processor;

    @BeforeAll
    void load() throws Exception {
        fixture = Phi4MMFixture.model();
        ModelConfig config = HfConfigLoader.fromJson(Phi4MMFixture.configJson(), null);
        model = new Phi4MMForCausalLM().load(new ReferenceModelContext(config,
                new PrngWeightSource(fixture.parameterShapes()), cpu, ScalarType.Float));
        processor = new Phi4MMProcessor().forModel(config, Optional.of(Phi4MMFixture.folder()));
    }

    @AfterAll
    void close() {
        model.close();
    }

    private EngineConfig engineConfig() {
        return EngineConfig.builder().device(cpu.device()).numBlocksOverride(200).maxModelLen(2048)
                .maxNumBatchedTokens(48).maxNumSeqs(8).prefixCaching(true).eosTokenIds(Set.of())
                .samplingDefaults(SamplingParams.greedy()).textDecoder(TextDecoder.NONE).seed(0).build();
    }

    @Test
    void textImageAndAudioRequestsBatchedTogetherGiveTheirSingleRunTokens() throws Exception {
        List<String> names = List.of("text", "one_image", "audio", "image_audio");
        try (Engine engine = Engine.start(model, engineConfig())) {
            List<CompletableFuture<int[]>> results = new ArrayList<>();
            for (String name : names) {
                JsonNode p = fixture.prompt(name);
                GenerationRequest request = GenerationRequest.of(name, process(p), greedy(64));
                results.add(CompletableFuture.supplyAsync(() -> engine.complete(request).tokenIds()));
            }
            for (int i = 0; i < names.size(); i++) {
                assertArrayEquals(FixtureJson.ints(fixture.prompt(names.get(i)).get("greedy")), results.get(i).get(),
                        names.get(i) + ": batched greedy tokens differ from transformers' single run");
            }
            assertEquals(engine.stats().numBlocks(), engine.stats().freeBlocks(), "every block is free at the end");
        }
    }

    @Test
    void thePrefixCacheKeepsAdaptersApart() throws Exception {
        int[] ids = FixtureJson.ints(fixture.prompt("text").get("expanded_ids"));
        int[] alone;
        try (Engine engine = Engine.start(model, engineConfig())) {
            alone = engine.complete(GenerationRequest.of("vision-alone", visionText(ids), greedy(8))).tokenIds();
        }
        try (Engine engine = Engine.start(model, engineConfig())) {
            int[] base = engine.complete(GenerationRequest.of("base", MultimodalPrompt.text(ids), greedy(8)))
                    .tokenIds();
            int[] after = engine.complete(GenerationRequest.of("vision-after", visionText(ids), greedy(8)))
                    .tokenIds();
            assertArrayEquals(alone, after, "the vision request reused the base request's cached blocks");
            assertFalse(Arrays.equals(base, alone), "the adapter changes these tokens, so the check can fail");
        }
    }

    /** The text prompt's tokens run with the vision adapter (no media). */
    private static MultimodalPrompt visionText(int[] ids) {
        return new MultimodalPrompt(ids, List.of(), null, 0, "vision");
    }

    private static SamplingParams greedy(int tokens) {
        return SamplingParams.greedy().toBuilder().maxTokens(tokens).ignoreEos(true).build();
    }

    private MultimodalPrompt process(JsonNode p) {
        List<MediaInput> media = new ArrayList<>();
        for (JsonNode name : p.get("images")) {
            media.add(MediaInput.of("image", Phi4MMFixture.bytes("images/" + name.asText() + ".png"), "image/png",
                    name.asText()));
        }
        for (JsonNode name : p.get("audios")) {
            media.add(MediaInput.of("audio", Phi4MMFixture.bytes("audio/" + name.asText() + ".wav"), "audio/wav",
                    name.asText()));
        }
        return processor.process(FixtureJson.ints(p.get("prompt_ids")), media, Map.of());
    }
}
