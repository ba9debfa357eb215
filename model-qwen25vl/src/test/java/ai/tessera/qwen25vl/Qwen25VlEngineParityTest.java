package ai.tessera.qwen25vl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import ai.tessera.api.LoadedModel;
import ai.tessera.api.MultimodalItem;
import ai.tessera.api.MultimodalPrompt;
import ai.tessera.core.config.HfConfigLoader;
import ai.tessera.core.engine.Engine;
import ai.tessera.core.engine.EngineConfig;
import ai.tessera.core.engine.GenerationRequest;
import ai.tessera.core.engine.SamplingParams;
import ai.tessera.core.engine.TextDecoder;
import ai.tessera.core.platform.CpuPlatform;
import ai.tessera.demo.NamedWeightPrng;
import ai.tessera.testing.ReferenceModelContext;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;

/**
 * Qwen2.5-VL through the whole engine: the four fixture prompts (text, one image, three images, a video) submitted
 * together with a 16-token budget, so media are prefilled across chunks beside decodes, with their M-RoPE positions
 * and rope deltas from the prompt, must give transformers' 64 greedy tokens each.
 */
class Qwen25VlEngineParityTest {

    @Test
    void mixedMediaRequestsBatchedAndChunkedMatchTransformers() throws Exception {
        Qwen25VlFixture fixture = Qwen25VlFixture.load();
        CpuPlatform cpu = new CpuPlatform();
        ReferenceModelContext context = new ReferenceModelContext(HfConfigLoader.fromJson(fixture.configJson, null),
                new PrngWeightSource(fixture.parameterShapes()), cpu, ScalarType.Float);
        EngineConfig config = EngineConfig.builder().device(cpu.device()).numBlocksOverride(64).maxModelLen(512)
                .maxNumBatchedTokens(16).maxNumSeqs(8).prefixCaching(true).eosTokenIds(Set.of())
                .samplingDefaults(SamplingParams.greedy()).textDecoder(TextDecoder.NONE).seed(0).build();
        try (LoadedModel model = new Qwen25VlForConditionalGeneration().load(context);
             Engine engine = Engine.start(model, config)) {
            List<Qwen25VlFixture.Case> cases = fixture.cases();
            List<CompletableFuture<int[]>> results = new ArrayList<>();
            for (Qwen25VlFixture.Case c : cases) {
                int[] ids = Arrays.stream(c.inputIds()).mapToInt(Math::toIntExact).toArray();
                MultimodalPrompt prompt = new MultimodalPrompt(ids, items(c, fixture.pixelScale()), c.positions(),
                        c.ropeDelta());
                SamplingParams greedy = SamplingParams.greedy().toBuilder().maxTokens(c.greedy().length).ignoreEos(true)
                        .build();
                GenerationRequest request = GenerationRequest.of(c.name(), prompt, greedy);
                results.add(CompletableFuture.supplyAsync(() -> engine.complete(request).tokenIds()));
            }
            for (int i = 0; i < cases.size(); i++) {
                assertArrayEquals(Arrays.stream(cases.get(i).greedy()).mapToInt(Math::toIntExact).toArray(),
                        results.get(i).get(), cases.get(i).name());
            }
            assertEquals(engine.stats().numBlocks(), engine.stats().freeBlocks(), "every block is free at the end");
        }
    }

    /** The items as the processor would give them, with the reference's PRNG pixels. */
    private static List<MultimodalItem> items(Qwen25VlFixture.Case c, float pixelScale) {
        List<MultimodalItem> items = new ArrayList<>();
        for (Qwen25VlFixture.Item it : c.items()) {
            float[] values = NamedWeightPrng.values(it.pixelName(), it.patches() * 1176);
            for (int i = 0; i < values.length; i++) {
                values[i] *= pixelScale;
            }
            Tensor pixels = torch.tensor(values, new TensorOptions(ScalarType.Float)).reshape(it.patches(), 1176);
            Tensor grid = torch.tensor(new long[] {it.gridThw()[0], it.gridThw()[1], it.gridThw()[2]}).reshape(1, 3);
            Map<String, Tensor> inputs = it.modality().equals("image")
                    ? Map.of("pixel_values", pixels, "image_grid_thw", grid)
                    : Map.of("pixel_values_videos", pixels, "video_grid_thw", grid,
                            "second_per_grid_ts", torch.tensor(new float[] {1.0f}));
            items.add(new MultimodalItem(it.modality(), it.offset(), it.length(), inputs, c.name() + "-" + it.offset()));
        }
        return items;
    }
}
