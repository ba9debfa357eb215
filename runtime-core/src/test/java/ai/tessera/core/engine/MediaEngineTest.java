package ai.tessera.core.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import ai.tessera.api.MultimodalItem;
import ai.tessera.api.MultimodalPrompt;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Prompts with media through the engine: encoder outputs replace placeholder embeddings in whichever prefill chunks
 * reach them, M-RoPE-style positions come from the prompt and shift for generated tokens, and the prefix cache
 * shares blocks only among prompts with the same media.
 */
@Timeout(120)
class MediaEngineTest {
    private static final int PAD = 3;

    /** A prompt of {@code length} random tokens with {@code items} runs of PAD tokens, each given random features. */
    private static MultimodalPrompt prompt(long seed, int length, int[][] itemRanges, long[][] positions, long delta) {
        Random random = new Random(seed);
        int[] ids = new int[length];
        for (int i = 0; i < length; i++) {
            ids[i] = 4 + random.nextInt(TinyModel.VOCAB - 4);
        }
        List<MultimodalItem> items = new ArrayList<>();
        for (int[] range : itemRanges) {
            Arrays.fill(ids, range[0], range[0] + range[1], PAD);
            items.add(new MultimodalItem("image", range[0], range[1], Map.of("features", features(seed * 31 + range[0],
                    range[1])), "img-" + seed + "-" + range[0]));
        }
        return new MultimodalPrompt(ids, items, positions, delta);
    }

    private static Tensor features(long seed, int rows) {
        Generator g = torch.make_generator_cpu(seed);
        return torch.randn(new long[] {rows, TinyModel.HIDDEN}, new GeneratorOptional(g), new TensorOptions(ScalarType.Float));
    }

    private static SamplingParams greedy(int maxTokens) {
        return SamplingParams.builder().temperature(0).maxTokens(maxTokens).build();
    }

    @Test
    void mediaInChunkedPrefillNextToTextRequestsGivesTheReferenceTokens() {
        try (TinyModel model = new TinyModel(99)) {
            // budget 16 splits every media run across chunks
            EngineConfig config = EngineConfig.builder().maxModelLen(256).maxNumBatchedTokens(16).maxNumSeqs(8)
                    .kvCacheMemoryBytes(16 << 20).build();
            try (Engine engine = Engine.start(model, config)) {
                List<int[]> expected = new ArrayList<>();
                List<GenerationRequest> requests = new ArrayList<>();
                int[][][] layouts = {{{5, 20}}, {{2, 7}, {30, 9}, {50, 1}}, {}};
                for (int i = 0; i < layouts.length; i++) {
                    MultimodalPrompt reference = prompt(i, 60, layouts[i], null, 0);
                    expected.add(model.greedyReference(reference, 10));
                    requests.add(GenerationRequest.of("m" + i, prompt(i, 60, layouts[i], null, 0), greedy(10)));
                }
                List<ResultCollector> collectors = new ArrayList<>();
                for (GenerationRequest r : requests) {
                    ResultCollector c = new ResultCollector(r);
                    engine.generate(r).subscribe(c);
                    collectors.add(c);
                }
                for (int i = 0; i < collectors.size(); i++) {
                    assertArrayEquals(expected.get(i), result(collectors.get(i)).tokenIds(), "request m" + i);
                }
                assertEquals(engine.stats().numBlocks(), engine.stats().freeBlocks());
            }
        }
    }

    @Test
    void sectionedPositionsComeFromThePromptAndShiftByTheDeltaWhenGenerating() {
        try (TinyModel model = new TinyModel(5, 3)) {
            int n = 40;
            long[][] positions = new long[3][n];
            for (int i = 0; i < n; i++) {
                // an image at 10..21 laid out as a 3x4 grid; text after it continues from its largest position
                boolean image = i >= 10 && i < 22;
                positions[0][i] = image ? 10 : i < 10 ? i : i - 12 + 14;
                positions[1][i] = image ? 10 + (i - 10) / 4 : positions[0][i];
                positions[2][i] = image ? 10 + (i - 10) % 4 : positions[0][i];
            }
            long delta = positions[0][n - 1] + 1 - n;
            EngineConfig config = EngineConfig.builder().maxModelLen(128).maxNumBatchedTokens(16)
                    .kvCacheMemoryBytes(8 << 20).build();
            try (Engine engine = Engine.start(model, config)) {
                int[] expected = model.greedyReference(prompt(8, n, new int[][] {{10, 12}}, positions, delta), 12);
                int[] plainPositions = model.greedyReference(prompt(8, n, new int[][] {{10, 12}}, null, 0), 12);
                assertFalse(Arrays.equals(expected, plainPositions), "the positions must matter for this check to mean anything");
                GenerationRequest request = GenerationRequest.of("mrope", prompt(8, n, new int[][] {{10, 12}}, positions,
                        delta), greedy(12));
                assertArrayEquals(expected, engine.complete(request).tokenIds());
                int[] text = prompt(9, 20, new int[0][], null, 0).tokenIds();
                assertArrayEquals(model.greedyReference(text, 6),
                        engine.complete(new GenerationRequest("text", text, greedy(6))).tokenIds(),
                        "a text prompt on a sectioned model gets its index in every section");
            }
        }
    }

    @Test
    void thePrefixCacheSharesBlocksOnlyBetweenPromptsWithTheSameMedia() {
        try (TinyModel model = new TinyModel(7)) {
            EngineConfig config = EngineConfig.builder().maxModelLen(128).kvCacheMemoryBytes(8 << 20).build();
            try (Engine engine = Engine.start(model, config)) {
                MultimodalPrompt first = prompt(1, 64, new int[][] {{20, 16}}, null, 0);
                engine.complete(GenerationRequest.of("a", first, greedy(2)));
                long hits = engine.stats().prefixHitTokens();
                // same tokens, other features: only the block before the image (tokens 0..15) may be shared
                MultimodalPrompt other = new MultimodalPrompt(first.tokenIds(), List.of(new MultimodalItem("image", 20, 16,
                        Map.of("features", features(777, 16)), "other-image")), null, 0);
                int[] expectedOther = model.greedyReference(new MultimodalPrompt(first.tokenIds(), List.of(
                        new MultimodalItem("image", 20, 16, Map.of("features", features(777, 16)), "x")), null, 0), 4);
                assertArrayEquals(expectedOther, engine.complete(GenerationRequest.of("b", other, greedy(4))).tokenIds());
                assertEquals(16, engine.stats().prefixHitTokens() - hits, "only the text block before the image is shared");
                hits = engine.stats().prefixHitTokens();
                MultimodalPrompt same = prompt(1, 64, new int[][] {{20, 16}}, null, 0);
                engine.complete(GenerationRequest.of("c", same, greedy(2)));
                assertTrue(engine.stats().prefixHitTokens() - hits >= 48, "the same image shares the blocks after it too");
            }
        }
    }

    @Test
    void anEncoderThatFailsFailsOnlyItsRequest() {
        try (TinyModel model = new TinyModel(3)) {
            EngineConfig config = EngineConfig.builder().maxModelLen(128).kvCacheMemoryBytes(8 << 20).build();
            try (Engine engine = Engine.start(model, config)) {
                int[] ids = prompt(2, 30, new int[][] {{4, 6}}, null, 0).tokenIds();
                MultimodalPrompt broken = new MultimodalPrompt(ids, List.of(new MultimodalItem("image", 4, 6,
                        Map.of("features", features(1, 5)), "short")), null, 0);
                IllegalStateException e = assertThrows(IllegalStateException.class,
                        () -> engine.complete(GenerationRequest.of("broken", broken, greedy(3))));
                assertTrue(e.getMessage().contains("takes 6 tokens"), e.getMessage());
                int[] text = prompt(4, 20, new int[0][], null, 0).tokenIds();
                assertArrayEquals(model.greedyReference(text, 5),
                        engine.complete(new GenerationRequest("after", text, greedy(5))).tokenIds());
                assertEquals(engine.stats().numBlocks(), engine.stats().freeBlocks());
            }
        }
    }

    private static GenerationResult result(ResultCollector c) {
        try {
            return c.result();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
