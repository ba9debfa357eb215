package ai.tessera.phi4;

import static ai.tessera.testing.FixtureJson.floats;
import static ai.tessera.testing.Parity.append;
import static ai.tessera.testing.Parity.argmax;
import static ai.tessera.testing.Parity.compare;
import static ai.tessera.testing.Parity.longTensor;
import static ai.tessera.testing.Parity.values;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import ai.tessera.api.AttentionMetadata;
import ai.tessera.api.ForwardBatch;
import ai.tessera.api.LoadedModel;
import ai.tessera.api.MediaInput;
import ai.tessera.api.MediaProcessor;
import ai.tessera.api.ModelConfig;
import ai.tessera.api.ModelLoadException;
import ai.tessera.api.MultimodalEmbeddings;
import ai.tessera.api.MultimodalItem;
import ai.tessera.api.MultimodalPrompt;
import ai.tessera.core.config.HfConfigLoader;
import ai.tessera.core.kv.PagedKvCache;
import ai.tessera.core.platform.CpuPlatform;
import ai.tessera.demo.NamedWeightPrng;
import ai.tessera.phi4.vision.ImageInputs;
import ai.tessera.phi4.vision.PackedImages;
import ai.tessera.phi4.vision.Siglip2VisionConfig;
import ai.tessera.phi4.vision.Siglip2VisionModel;
import ai.tessera.phi4.vision.processor.Phi4VisionProcessor;
import ai.tessera.testing.PackedStep;
import ai.tessera.testing.FixtureJson;
import ai.tessera.testing.ReferenceModelContext;
import com.fasterxml.jackson.databind.JsonNode;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Phi4ForCausalLMV against transformers (float32, CPU) on a tiny random-weight model built from the real
 * Phi-4-reasoning-vision-15B configuration; fixtures from {@code tools/reference/phi4v_reference.py}, which builds the
 * reference from transformers' {@code Siglip2VisionModel}, a plain-torch projector and {@code Phi3ForCausalLM} fed
 * with {@code inputs_embeds}. The processor must give transformers' tensors bit for bit; the tower, the projected
 * features and the logits must agree within 1e-4 (float32 rounding), with one image and with three images of
 * different aspect ratios, alone, packed in one step and prefilled in chunks; 64 greedy tokens through the KV cache
 * must be transformers' tokens.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Phi4VisionParityTest {
    private static final double TOLERANCE = 1e-4;
    private static final int BLOCK_SIZE = 16;
    private static final int NUM_BLOCKS = 32;
    /** Out of order on purpose; 13 blocks hold the 131 + 64 tokens of the longer prompt. */
    private static final long[] BLOCKS_A = {20, 3, 14, 0, 7, 9, 1, 30, 22, 17, 5, 26, 11};
    private static final long[] BLOCKS_B = {12, 2, 8, 15, 4, 10, 31, 6, 18, 25, 13, 28, 19};
    private static final String VISION = Phi4ForCausalLMV.VISION_PREFIX.path() + ".";

    private final CpuPlatform cpu = new CpuPlatform();
    private final Map<String, String> report = new TreeMap<>();
    private Phi4VisionFixture fixture;
    private ModelConfig config;
    private PrngWeightSource weights;
    private LoadedModel model;
    private MediaProcessor processor;

    @BeforeAll
    void loadModel() throws ModelLoadException {
        fixture = Phi4VisionFixture.load();
        config = HfConfigLoader.fromJson(fixture.configJson, null);
        weights = new PrngWeightSource(fixture.parameterShapes());
        model = new Phi4ForCausalLMV().load(new ReferenceModelContext(config, weights, cpu, ScalarType.Float));
        processor = new Phi4VisionProcessor().forModel(config, Optional.empty());
    }

    @AfterAll
    void closeModelAndReport() {
        model.close();
        report.forEach((key, line) -> System.out.println("[phi4v parity] " + key + ": " + line));
    }

    @Test
    void loadsTheCheckpointParametersTheModelUsesAndNoOthers() {
        Set<String> expected = new TreeSet<>();
        for (String name : fixture.parameterShapes().keySet()) {
            boolean unused = name.startsWith(VISION + "encoder.layers.2.") || name.startsWith(VISION + "post_layernorm.")
                    || name.startsWith(VISION + "head.");
            if (!unused) {
                expected.add(name);
            }
        }
        assertEquals(expected, weights.loaded(), "the tower stops at hidden_states[-2]: its last layer, "
                + "post_layernorm and pooling head are not loaded; everything else is");
    }

    @Test
    void prngMatchesThePythonReference() {
        fixture.root.get("prng_check").properties().forEach(e -> assertArrayEquals(floats(e.getValue()),
                NamedWeightPrng.values(e.getKey(), e.getValue().size()), "PRNG values of " + e.getKey()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"wide_96x64", "tall_40x120", "large_200x136", "square_56x56"})
    void processorGivesTransformersTensorsBitForBit(String name) {
        JsonNode expected = fixture.image(name);
        try (PointerScope scope = new PointerScope();
             MultimodalPrompt prompt = processor.process(new int[] {7, 100256, 9},
                     List.of(MediaInput.of("image", fixture.imageBytes(name), "image/png", name)), Map.of())) {
            MultimodalItem item = prompt.items().get(0);
            int[] hw = FixtureJson.ints(expected.get("spatial_shape"));
            int count = hw[0] * hw[1];
            int padded = expected.get("padded_length").asInt();
            assertArrayEquals(new long[] {hw[0], hw[1]}, values64(item.input(ImageInputs.SPATIAL_SHAPES)), "spatial_shapes");
            long[] mask = values64(item.input(ImageInputs.PIXEL_ATTENTION_MASK));
            assertEquals(padded, mask.length, "pixel_attention_mask length (max_num_patches)");
            for (int i = 0; i < padded; i++) {
                assertEquals(i < count ? 1 : 0, mask[i], "pixel_attention_mask[" + i + "]");
            }
            Tensor pixels = item.input(ImageInputs.PIXEL_VALUES);
            assertArrayEquals(new long[] {1, padded, 768}, new long[] {pixels.size(0), pixels.size(1), pixels.size(2)});
            float[] actual = values(pixels);
            float[][] reference = fixture.matrix(expected.get("pixel_values"));
            for (int r = 0; r < padded; r++) {
                for (int c = 0; c < 768; c++) {
                    float want = r < count ? reference[r][c] : 0f;
                    float got = actual[r * 768 + c];
                    if (Float.floatToIntBits(want) != Float.floatToIntBits(got)) {
                        throw new AssertionError(name + " pixel_values[" + r + "][" + c + "]: transformers " + want
                                + ", Tessera " + got);
                    }
                }
            }
            assertEquals(count, item.length(), "placeholder tokens of the image");
            assertEquals(1, item.offset());
            assertEquals(2 + count, prompt.tokenIds().length);
            report.put("processor " + name, hw[0] + "x" + hw[1] + " patches, pixel_values bit-exact");
        }
    }

    @Test
    void promptsExpandAsVllmExpandsThem() {
        for (JsonNode p : fixture.prompts()) {
            try (PointerScope scope = new PointerScope(); MultimodalPrompt prompt = process(p)) {
                assertArrayEquals(FixtureJson.ints(p.get("expanded_ids")), prompt.tokenIds(), p.get("name").asText());
                int[][] ranges = FixtureJson.intMatrix(p.get("image_ranges"));
                assertEquals(ranges.length, prompt.items().size());
                for (int i = 0; i < ranges.length; i++) {
                    assertEquals(ranges[i][0], prompt.items().get(i).offset(), "offset of image " + i);
                    assertEquals(ranges[i][1], prompt.items().get(i).length(), "length of image " + i);
                }
            }
        }
    }

    /** The tower alone, all four images packed: hidden_states[-2] and (all layers + post_layernorm) the last one. */
    @ParameterizedTest
    @ValueSource(ints = {-2, -1})
    void towerFeaturesMatchTransformers(int featureLayer) throws ModelLoadException {
        Siglip2VisionConfig vision = Siglip2VisionConfig.from(config, "vision_config");
        String key = featureLayer == -2 ? "tower_features" : "tower_last_hidden_state";
        List<MultimodalPrompt> prompts = new ArrayList<>();
        try (PointerScope scope = new PointerScope();
             Siglip2VisionModel tower = Siglip2VisionModel.load(new PrngWeightSource(fixture.parameterShapes()),
                     Phi4ForCausalLMV.VISION_PREFIX, vision, featureLayer)) {
            List<MultimodalItem> items = allImages(prompts);
            PackedImages packed = ImageInputs.pack(items, vision);
            List<Tensor> perItem = packed.splitByItem(tower.forward(packed, packed.pixels()));
            double max = 0;
            for (int i = 0; i < items.size(); i++) {
                String name = fixture.imageNames().get(i);
                max = Math.max(max, compareRows(name + " " + key, perItem.get(i), fixture.matrix(fixture.image(name).get(key)), 1e-5));
            }
            report.put("tower hidden_states[" + featureLayer + "], 4 images packed", String.format("max |Δ| %.3g", max));
        } finally {
            prompts.forEach(MultimodalPrompt::close);
        }
    }

    @Test
    void projectedImageEmbeddingsMatchTransformers() {
        List<MultimodalPrompt> prompts = new ArrayList<>();
        try (PointerScope scope = new PointerScope()) {
            List<MultimodalItem> items = allImages(prompts);
            List<Tensor> embeddings = model.embedMultimodal(items);
            double max = 0;
            for (int i = 0; i < items.size(); i++) {
                String name = fixture.imageNames().get(i);
                assertEquals(items.get(i).length(), embeddings.get(i).size(0), "rows of " + name);
                max = Math.max(max, compareRows(name + " projected", embeddings.get(i),
                        fixture.matrix(fixture.image(name).get("projected")), 1e-5));
            }
            report.put("embedMultimodal, 4 images in one call", String.format("max |Δ| %.3g", max));
        } finally {
            prompts.forEach(MultimodalPrompt::close);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1})
    void prefillLogitsMatchTransformers(int index) {
        JsonNode p = fixture.prompts().get(index);
        try (PointerScope scope = new PointerScope(); MultimodalPrompt prompt = process(p);
             PagedKvCache cache = allocateCache()) {
            PackedStep.Sequence seq = step(prompt, 0, BLOCKS_A);
            float[][] rows = forward(cache, List.of(seq), null);
            double max = comparePrefill(p, rows, 0, rows.length);
            report.put(p.get("name").asText() + " prefill (" + rows.length + " tokens)", String.format("max |Δlogit| %.3g", max));
        }
    }

    /** The same prompt prefilled in two chunks whose boundary cuts an image: each step merges only its rows. */
    @Test
    void chunkedPrefillCutInsideAnImageMatchesTransformers() {
        JsonNode p = fixture.prompts().get(1);
        try (PointerScope scope = new PointerScope(); MultimodalPrompt prompt = process(p);
             PagedKvCache cache = allocateCache()) {
            int cut = 60; // inside the second image, tokens 35..97
            List<Tensor> embeddings = model.embedMultimodal(prompt.items());
            long[] ids = toLongs(prompt.tokenIds());
            float[][] first = forward(cache, List.of(new PackedStep.Sequence(Arrays.copyOf(ids, cut), 0, BLOCKS_A,
                    prompt.items(), embeddings)), null);
            float[][] second = forward(cache, List.of(new PackedStep.Sequence(ids, cut, BLOCKS_A, prompt.items(), embeddings)), null);
            double max = Math.max(comparePrefill(p, first, 0, cut), comparePrefill(p, second, cut, ids.length - cut));
            report.put("three_images prefill in chunks of 60 + 71", String.format("max |Δlogit| %.3g", max));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1})
    void greedyDecodingThroughTheKvCacheMatchesTransformers(int index) {
        JsonNode p = fixture.prompts().get(index);
        int[] subset = FixtureJson.ints(fixture.root.get("vocab_subset"));
        int[] decodeSubset = Arrays.copyOf(subset, fixture.root.get("decode_subset_size").asInt());
        float[][] expectedSubset = fixture.matrix(p.get("decode_subset"));
        int[][] top5Ids = FixtureJson.intMatrix(p.get("decode_top5_ids"));
        float[][] top5Values = fixture.matrix(p.get("decode_top5_values"));
        long[] greedy = FixtureJson.longs(p.get("greedy"));
        try (MultimodalPrompt prompt = process(p); PagedKvCache cache = allocateCache()) {
            List<Tensor> embeddings = model.embedMultimodal(prompt.items());
            long[] sequence = toLongs(prompt.tokenIds());
            long[] generated = new long[greedy.length];
            double max = 0;
            float[] logits = forwardLast(cache, new PackedStep.Sequence(sequence, 0, BLOCKS_A, prompt.items(), embeddings));
            for (int step = 0; step < generated.length; step++) {
                max = Math.max(max, compare(p.get("name").asText() + " decode step " + step, logits, decodeSubset,
                        expectedSubset[step], top5Ids[step], top5Values[step]));
                generated[step] = argmax(logits);
                sequence = append(sequence, generated[step]);
                if (step + 1 < generated.length) {
                    logits = forwardLast(cache, new PackedStep.Sequence(sequence, sequence.length - 1, BLOCKS_A, List.of(), List.of()));
                }
            }
            assertArrayEquals(greedy, generated, p.get("name").asText() + ": greedy tokens differ from transformers'");
            report.put(p.get("name").asText() + " greedy 64 via KV cache",
                    String.format("tokens identical, max |Δlogit| over steps %.3g", max));
        }
    }

    /** Both prompts in one step, the images of both embedded by one embedMultimodal call. */
    @Test
    void bothPromptsPackedInOneStepMatchTransformers() {
        JsonNode p0 = fixture.prompts().get(0);
        JsonNode p1 = fixture.prompts().get(1);
        try (PointerScope scope = new PointerScope(); MultimodalPrompt a = process(p0); MultimodalPrompt b = process(p1);
             PagedKvCache cache = allocateCache()) {
            List<MultimodalItem> all = new ArrayList<>(a.items());
            all.addAll(b.items());
            List<Tensor> embeddings = model.embedMultimodal(all);
            int na = a.items().size();
            int la = a.tokenIds().length;
            int lb = b.tokenIds().length;
            float[][] rows = forward(cache, List.of(
                    new PackedStep.Sequence(toLongs(a.tokenIds()), 0, BLOCKS_A, a.items(), embeddings.subList(0, na)),
                    new PackedStep.Sequence(toLongs(b.tokenIds()), 0, BLOCKS_B, b.items(), embeddings.subList(na, all.size()))),
                    new long[] {la - 1, la + lb - 1});
            double max = Math.max(comparePrefill(p0, new float[][] {rows[0]}, la - 1, 1),
                    comparePrefill(p1, new float[][] {rows[1]}, lb - 1, 1));
            report.put("both prompts packed in one step (last positions)", String.format("max |Δlogit| %.3g", max));
        }
    }

    // --- helpers -----------------------------------------------------------------------------------------------

    private MultimodalPrompt process(JsonNode p) {
        List<MediaInput> media = new ArrayList<>();
        for (JsonNode name : p.get("images")) {
            media.add(MediaInput.of("image", fixture.imageBytes(name.asText()), "image/png", name.asText()));
        }
        return processor.process(FixtureJson.ints(p.get("prompt_ids")), media, Map.of());
    }

    /** The four test images, each as its own item (one prompt per image). */
    private List<MultimodalItem> allImages(List<MultimodalPrompt> prompts) {
        List<MultimodalItem> items = new ArrayList<>();
        for (String name : fixture.imageNames()) {
            MultimodalPrompt prompt = processor.process(new int[] {100256},
                    List.of(MediaInput.of("image", fixture.imageBytes(name), "image/png", name)), Map.of());
            prompts.add(prompt);
            items.add(prompt.items().get(0));
        }
        return items;
    }

    private PackedStep.Sequence step(MultimodalPrompt prompt, int from, long[] blocks) {
        return new PackedStep.Sequence(toLongs(prompt.tokenIds()), from, blocks, prompt.items(),
                model.embedMultimodal(prompt.items()));
    }

    private PagedKvCache allocateCache() {
        return PagedKvCache.allocate(model.attentionLayers(), NUM_BLOCKS, BLOCK_SIZE, cpu.device());
    }

    private float[] forwardLast(PagedKvCache cache, PackedStep.Sequence seq) {
        try (PointerScope scope = new PointerScope()) {
            return forward(cache, List.of(seq), new long[] {seq.tokens().length - seq.from() - 1})[0];
        }
    }

    /** One packed step; each sequence's media rows that fall in its computed tokens replace their embeddings. */
    private float[][] forward(PagedKvCache cache, List<PackedStep.Sequence> seqs, long[] logitsIndices) {
        return PackedStep.logits(model, cache, BLOCK_SIZE, seqs, logitsIndices);
    }

    /** Rows {@code first ..} of a prompt's prefill against transformers' subset and top-5 logits. */
    private double comparePrefill(JsonNode p, float[][] rows, int first, int count) {
        int[] subset = FixtureJson.ints(fixture.root.get("vocab_subset"));
        float[][] expected = fixture.matrix(p.get("prefill_subset"));
        int[][] top5Ids = FixtureJson.intMatrix(p.get("prefill_top5_ids"));
        float[][] top5Values = fixture.matrix(p.get("prefill_top5_values"));
        assertEquals(count, rows.length, "rows of logits");
        double max = 0;
        for (int r = 0; r < count; r++) {
            int t = first + r;
            max = Math.max(max, compare(p.get("name").asText() + " position " + t, rows[r], subset, expected[t],
                    top5Ids[t], top5Values[t]));
        }
        return max;
    }

    private static double compareRows(String where, Tensor actual, float[][] expected, double tolerance) {
        assertEquals(expected.length, actual.size(0), where + ": rows");
        float[] got = values(actual);
        int cols = expected[0].length;
        assertEquals(cols, actual.size(1), where + ": columns");
        double max = 0;
        for (int r = 0; r < expected.length; r++) {
            for (int c = 0; c < cols; c++) {
                max = Math.max(max, Math.abs(got[r * cols + c] - expected[r][c]));
            }
        }
        assertTrue(max <= tolerance, where + ": max |Δ| " + max + " exceeds " + tolerance);
        return max;
    }

    private static long[] toLongs(int[] ids) {
        return Arrays.stream(ids).asLongStream().toArray();
    }

    static long[] values64(Tensor tensor) {
        Tensor flat = tensor.contiguous().view(-1).to(ScalarType.Long);
        long[] out = new long[(int) flat.numel()];
        flat.data_ptr_long().get(out);
        return out;
    }

}
