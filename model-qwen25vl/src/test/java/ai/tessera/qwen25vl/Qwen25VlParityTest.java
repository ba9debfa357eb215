package ai.tessera.qwen25vl;

import static ai.tessera.testing.Parity.append;
import static ai.tessera.testing.Parity.argmax;
import static ai.tessera.testing.Parity.compare;
import static ai.tessera.testing.Parity.compareAll;
import static ai.tessera.testing.Parity.longTensor;
import static ai.tessera.testing.Parity.values;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import ai.tessera.api.AttentionMetadata;
import ai.tessera.api.ForwardBatch;
import ai.tessera.api.LoadedModel;
import ai.tessera.api.ModelLoadException;
import ai.tessera.api.MultimodalEmbeddings;
import ai.tessera.api.MultimodalItem;
import ai.tessera.api.Platform;
import ai.tessera.core.config.HfConfigLoader;
import ai.tessera.core.kv.PagedKvCache;
import ai.tessera.core.platform.CpuPlatform;
import ai.tessera.demo.NamedWeightPrng;
import ai.tessera.nn.SiluAndMul;
import ai.tessera.nn.WeightPrefix;
import ai.tessera.testing.FixtureJson;
import ai.tessera.testing.ReferenceModelContext;
import com.fasterxml.jackson.databind.JsonNode;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Qwen2_5_VLForConditionalGeneration against Hugging Face transformers 5.17 (float32, CPU), on a tiny random-weight
 * model built from the real Qwen2.5-VL-7B-Instruct configuration (real vocabulary, special-token ids and M-RoPE
 * sections; fewer layers, narrower widths); fixtures from {@code tools/reference/qwen25vl_reference.py}.
 *
 * <p>Cases: text only, one image, three images of different grids, one video of three temporal patches. The vision
 * tower's embeddings replace the expanded pad tokens through {@link ForwardBatch#multimodal()}; positions are the
 * [3, tokens] M-RoPE positions transformers computed, and generated tokens take their index plus the rope delta in
 * all three rows, as the engine gives them. Greedy tokens go through the paged KV cache (one prefill, then one-token
 * steps over an out-of-order block table).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Qwen25VlParityTest {
    private static final double TOLERANCE = 1e-4;
    private static final int BLOCK_SIZE = 16;
    private static final int NUM_BLOCKS = 48;
    private static final List<String> CASES = List.of("text_only", "one_image", "three_images", "video");

    private final CpuPlatform cpu = new CpuPlatform();
    private final Qwen25VlFixture fixture = Qwen25VlFixture.load();
    private final PrngWeightSource weights = new PrngWeightSource(fixture.parameterShapes());
    private final Map<String, String> report = new TreeMap<>();
    private Qwen25VlForConditionalGeneration.ConditionalGeneration model;

    /** One sequence of a step: its tokens so far, the first one this step computes, its blocks, positions, media. */
    private record SequenceStep(long[] tokens, int from, long[] blockTable, long[][] positions,
                                List<Media> media) {
    }

    /** A media item's embeddings and the prompt tokens they replace. */
    private record Media(int offset, Tensor embeddings) {
    }

    private Qwen25VlForConditionalGeneration.ConditionalGeneration model() throws ModelLoadException {
        if (model == null) {
            model = (Qwen25VlForConditionalGeneration.ConditionalGeneration) new Qwen25VlForConditionalGeneration()
                    .load(new ReferenceModelContext(HfConfigLoader.fromJson(fixture.configJson, null), weights, cpu,
                            ScalarType.Float));
        }
        return model;
    }

    @AfterAll
    void closeModelAndReport() {
        if (model != null) {
            model.close();
        }
        report.forEach((key, line) -> System.out.println("[qwen2.5-vl parity] " + key + ": " + line));
    }

    @Test
    void loadsEveryTransformersParameterWithItsShape() throws ModelLoadException {
        LoadedModel loaded = model();
        assertEquals(fixture.parameterShapes().keySet(), weights.loaded(),
                "the tensors loaded must be exactly the parameters of transformers' model");
        assertEquals(2, loaded.attentionLayers().size());
        assertEquals(128, loaded.attentionLayers().get(0).headDim());
        assertEquals(1, loaded.attentionLayers().get(0).numKvHeads());
        assertEquals(3, loaded.positionSections());
        assertEquals(SiluAndMul.Implementation.PLAIN, model().visual().blocks().get(0).mlp().activation(),
                "the CPU platform does not compile native kernels: plain SiluAndMul");
    }

    @Test
    void rotaryFrequenciesMatchTransformers() throws ModelLoadException {
        assertArrayEquals(FixtureJson.floats(fixture.root.get("text_inv_freq")),
                values(model().languageModel().rotaryEmb().inverseFrequencies()), "text inv_freq");
        assertArrayEquals(FixtureJson.floats(fixture.root.get("vision_inv_freq")),
                values(model().visual().rotaryPosEmb().inverseFrequencies()), "vision inv_freq");
    }

    @Test
    void prngMatchesThePythonReference() {
        fixture.root.get("prng_check").properties().forEach(e ->
                assertArrayEquals(FixtureJson.floats(e.getValue()), PrngWeightSource.values(e.getKey(),
                        e.getValue().size()), "PRNG values of " + e.getKey()));
    }

    /** Window order, window and frame boundaries and 2-D positions of every case's grids, from the grids alone. */
    @Test
    void visionLayoutMatchesTransformers() {
        int checked = 0;
        for (Qwen25VlFixture.Case c : fixture.cases()) {
            for (Map.Entry<String, JsonNode> entry : c.vision().properties()) {
                JsonNode v = entry.getValue();
                List<VisionGrid> grids = new ArrayList<>();
                for (JsonNode g : v.get("grid_thw")) {
                    grids.add(new VisionGrid(g.get(0).asInt(), g.get(1).asInt(), g.get(2).asInt()));
                }
                VisionLayout layout = VisionLayout.of(grids, 2, 4);
                String where = c.name() + " " + entry.getKey();
                assertArrayEquals(FixtureJson.longs(v.get("window_index")), layout.windowIndex(),
                        where + " window_index");
                assertArrayEquals(FixtureJson.ints(v.get("cu_window_seqlens")), layout.windowSeqlens(),
                        where + " cu_window_seqlens");
                assertArrayEquals(FixtureJson.ints(v.get("cu_seqlens")), layout.frameSeqlens(),
                        where + " cu_seqlens");
                JsonNode positions = v.get("position_ids");
                long[] rows = new long[positions.size()];
                long[] cols = new long[positions.size()];
                for (int i = 0; i < rows.length; i++) {
                    rows[i] = positions.get(i).get(0).asLong();
                    cols[i] = positions.get(i).get(1).asLong();
                }
                assertArrayEquals(rows, layout.heightPositions(), where + " height positions");
                assertArrayEquals(cols, layout.widthPositions(), where + " width positions");
                long[] reverse = layout.reverseWindowIndex();
                long[] window = layout.windowIndex();
                for (int k = 0; k < window.length; k++) {
                    assertEquals(k, reverse[(int) window[k]], where + ": the reverse order undoes the window order");
                }
                checked++;
            }
        }
        assertEquals(3, checked, "the image, three-image and video grids");
    }

    @Test
    void visionEmbeddingsMatchTransformers() throws ModelLoadException {
        for (Qwen25VlFixture.Case c : fixture.cases()) {
            if (c.items().isEmpty()) {
                continue;
            }
            try (PointerScope scope = new PointerScope()) {
                List<Tensor> embeddings = model().embedMultimodal(items(c));
                double max = compareEmbeddings(c, embeddings, 0);
                report.put(c.name() + " vision embeddings (" + c.items().size() + " items)",
                        String.format("max |Δ| %.3g", max));
            }
        }
    }

    /** Images of different sizes and a video, from four prompts, through one vision tower call. */
    @Test
    void oneVisionCallEmbedsItemsOfEveryPrompt() throws ModelLoadException {
        try (PointerScope scope = new PointerScope()) {
            List<MultimodalItem> all = new ArrayList<>();
            for (Qwen25VlFixture.Case c : fixture.cases()) {
                all.addAll(items(c));
            }
            List<Tensor> embeddings = model().embedMultimodal(all);
            assertEquals(5, embeddings.size());
            int next = 0;
            double max = 0;
            for (Qwen25VlFixture.Case c : fixture.cases()) {
                if (!c.items().isEmpty()) {
                    max = Math.max(max, compareEmbeddings(c, embeddings, next));
                    next += c.items().size();
                }
            }
            report.put("all 5 items of the 4 prompts in one vision call", String.format("max |Δ| %.3g", max));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"text_only", "one_image", "three_images", "video"})
    void prefillLogitsMatchTransformers(String name) throws ModelLoadException {
        Qwen25VlFixture.Case c = fixture.byName(name);
        int[] subset = fixture.vocabSubset();
        long[] ids = c.inputIds();
        try (PagedKvCache cache = allocateCache(); PointerScope scope = new PointerScope()) {
            SequenceStep step = new SequenceStep(ids, 0, blocks(0), c.positions(), media(c));
            float[][] rows = forward(cache, List.of(step), null);
            assertEquals(ids.length, rows.length, "logitsIndices null must give every token's logits");
            double max = 0;
            for (int t = 0; t < ids.length; t++) {
                max = Math.max(max, compare(name + " position " + t, rows[t], subset, c.prefillSubset()[t],
                        c.prefillTop5Ids()[t], c.prefillTop5Values()[t]));
            }
            if (c.lastLogits() != null) {
                max = Math.max(max, compareAll(name + " last position", rows[ids.length - 1], c.lastLogits()));
            }
            report.put(name + " prefill (" + ids.length + " tokens)", String.format("max |Δlogit| %.3g", max));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"text_only", "one_image", "three_images", "video"})
    void greedyDecodingThroughTheKvCacheMatchesTransformers(String name) throws ModelLoadException {
        Qwen25VlFixture.Case c = fixture.byName(name);
        int[] decodeSubset = Arrays.copyOf(fixture.vocabSubset(), fixture.decodeSubsetSize());
        long[] generated = new long[c.greedy().length];
        double max = 0;
        try (PagedKvCache cache = allocateCache(); PointerScope scope = new PointerScope()) {
            long[] sequence = c.inputIds();
            List<Media> media = media(c);
            float[] logits = forwardLast(cache, new SequenceStep(sequence, 0, blocks(0), positions(c, sequence.length),
                    media));
            for (int step = 0; step < generated.length; step++) {
                max = Math.max(max, compare(name + " decode step " + step, logits, decodeSubset,
                        c.decodeSubset()[step], c.decodeTop5Ids()[step], c.decodeTop5Values()[step]));
                generated[step] = argmax(logits);
                sequence = append(sequence, generated[step]);
                if (step + 1 < generated.length) {
                    logits = forwardLast(cache, new SequenceStep(sequence, sequence.length - 1, blocks(0),
                            positions(c, sequence.length), media));
                }
            }
        }
        assertArrayEquals(c.greedy(), generated, name + ": greedy tokens differ from transformers' generate()");
        report.put(name + " greedy 64 via KV cache", String.format("tokens identical yes, max |Δlogit| over steps %.3g",
                max));
    }

    /**
     * The four prompts in one step (different numbers and sizes of images, and a video, next to text), then one
     * decode step of all four: each must match its own reference.
     */
    @Test
    void packedPromptsWithDifferentMediaMatchTransformers() throws ModelLoadException {
        int[] subset = fixture.vocabSubset();
        int[] decodeSubset = Arrays.copyOf(subset, fixture.decodeSubsetSize());
        List<Qwen25VlFixture.Case> cases = CASES.stream().map(fixture::byName).toList();
        double max = 0;
        try (PagedKvCache cache = allocateCache(); PointerScope scope = new PointerScope()) {
            List<MultimodalItem> all = new ArrayList<>();
            cases.forEach(c -> all.addAll(items(c)));
            List<Tensor> embeddings = model().embedMultimodal(all);
            List<SequenceStep> prefill = new ArrayList<>();
            List<SequenceStep> decode = new ArrayList<>();
            long[] last = new long[cases.size()];
            int item = 0;
            int packed = 0;
            for (int i = 0; i < cases.size(); i++) {
                Qwen25VlFixture.Case c = cases.get(i);
                List<Media> media = new ArrayList<>();
                for (Qwen25VlFixture.Item it : c.items()) {
                    media.add(new Media(it.offset(), embeddings.get(item++)));
                }
                long[] ids = c.inputIds();
                prefill.add(new SequenceStep(ids, 0, blocks(i), c.positions(), media));
                packed += ids.length;
                last[i] = packed - 1;
                long[] grown = append(ids, c.greedy()[0]);
                decode.add(new SequenceStep(grown, ids.length, blocks(i), positions(c, grown.length), media));
            }
            float[][] prefillRows = forward(cache, prefill, last);
            float[][] decodeRows = forward(cache, decode, new long[] {0, 1, 2, 3});
            for (int i = 0; i < cases.size(); i++) {
                Qwen25VlFixture.Case c = cases.get(i);
                int t = c.inputIds().length - 1;
                max = Math.max(max, compare("packed prefill " + c.name(), prefillRows[i], subset,
                        c.prefillSubset()[t], c.prefillTop5Ids()[t], c.prefillTop5Values()[t]));
                max = Math.max(max, compare("packed decode " + c.name(), decodeRows[i], decodeSubset,
                        c.decodeSubset()[1], c.decodeTop5Ids()[1], c.decodeTop5Values()[1]));
            }
        }
        report.put("4 prompts packed (prefill, then one decode step each)", String.format("max |Δlogit| %.3g", max));
    }

    /** A prefill in chunks that cut the three images' tokens apart, as a token budget would. */
    @Test
    void chunkedPrefillSplittingImagesMatchesTransformers() throws ModelLoadException {
        Qwen25VlFixture.Case c = fixture.byName("three_images");
        int[] subset = fixture.vocabSubset();
        long[] ids = c.inputIds();
        int[] cuts = {0, 25, 50, 90, ids.length};  // inside the first, second and third image
        double max = 0;
        try (PagedKvCache cache = allocateCache(); PointerScope scope = new PointerScope()) {
            List<Media> media = media(c);
            for (int k = 0; k + 1 < cuts.length; k++) {
                long[] prefix = Arrays.copyOf(ids, cuts[k + 1]);
                float[][] rows = forward(cache, List.of(new SequenceStep(prefix, cuts[k], blocks(2),
                        positions(c, prefix.length), media)), null);
                for (int t = cuts[k]; t < cuts[k + 1]; t++) {
                    max = Math.max(max, compare("chunk " + k + " position " + t, rows[t - cuts[k]], subset,
                            c.prefillSubset()[t], c.prefillTop5Ids()[t], c.prefillTop5Values()[t]));
                }
            }
        }
        report.put("three_images prefill in 4 chunks", String.format("max |Δlogit| %.3g", max));
    }

    /** A checkpoint saved by transformers 5 (model.visual.*, model.language_model.*) loads the same model. */
    @Test
    void transformers5CheckpointLayoutGivesTheSameModel() throws ModelLoadException {
        PrngWeightSource renamed = new PrngWeightSource(fixture.parameterShapes(), PrngWeightSource::transformers5Name);
        assertTrue(renamed.names().contains("model.language_model.embed_tokens.weight")
                && renamed.names().contains("model.visual.merger.ln_q.weight"), "the source offers transformers 5 names");
        Qwen25VlFixture.Case c = fixture.byName("one_image");
        try (LoadedModel other = new Qwen25VlForConditionalGeneration().load(new ReferenceModelContext(
                HfConfigLoader.fromJson(fixture.configJson, null), renamed, cpu, ScalarType.Float));
             PointerScope scope = new PointerScope()) {
            assertEquals(renamed.names(), renamed.loaded(), "every transformers 5 tensor is loaded by its name");
            compareEmbeddings(c, other.embedMultimodal(items(c)), 0);
            assertArrayEquals(values(model().embedMultimodal(items(c)).get(0)),
                    values(other.embedMultimodal(items(c)).get(0)), "same weights, same embeddings");
        }
    }

    /**
     * The vision MLP's gate where the platform compiles native kernels: plain unless compile_mm_encoder asks for
     * compiled encoders, then the fused form, with the same values.
     */
    @Test
    void fusedSiluAndMulOfANativeCompilePlatformGivesTheSameValues() throws ModelLoadException {
        Platform compiling = new Platform() {
            @Override
            public Availability availability() {
                return cpu.availability();
            }

            @Override
            public org.bytedeco.pytorch.Device device() {
                return cpu.device();
            }

            @Override
            public int priority() {
                return 0;
            }

            @Override
            public List<String> attentionPreference() {
                return cpu.attentionPreference();
            }

            @Override
            public boolean nativeCompile() {
                return true;
            }

            @Override
            public boolean graphCapture() {
                return false;
            }
        };
        VisionConfig config = model().visual().config();
        ReferenceModelContext context = new ReferenceModelContext(HfConfigLoader.fromJson(fixture.configJson, null),
                weights, compiling, ScalarType.Float);
        assertEquals(SiluAndMul.Implementation.PLAIN, SiluAndMul.forEncoder(context).implementation(),
                "encoders stay plain unless compile_mm_encoder is set");
        try (VisionMlp fused = VisionMlp.load(weights, SiluAndMul.forEncoder(context.compilingEncoders()), config,
                WeightPrefix.of("visual.blocks.0.mlp"));
             PointerScope scope = new PointerScope()) {
            assertEquals(SiluAndMul.Implementation.FUSED, fused.activation());
            Tensor x = torch.tensor(PrngWeightSource.values("test.mlp.input", 7 * config.hiddenSize()),
                    new TensorOptions(ScalarType.Float)).reshape(7, config.hiddenSize()).mul(new Scalar(20.0));
            assertArrayEquals(values(model().visual().blocks().get(0).mlp().forward(x)), values(fused.forward(x)));
        }
    }

    @Test
    void inconsistentMediaInputsAreRefusedNamingTheField() throws ModelLoadException {
        Qwen25VlFixture.Case c = fixture.byName("one_image");
        try (PointerScope scope = new PointerScope()) {
            MultimodalItem good = items(c).get(0);
            Tensor grid = good.input("image_grid_thw");
            Tensor pixels = good.input("pixel_values");

            MultimodalItem fewerRows = new MultimodalItem("image", 15, 48, Map.of("pixel_values",
                    pixels.narrow(0, 0, 190), "image_grid_thw", grid), "x");
            assertMessage(fewerRows, "pixel_values must be [192, 1176]", "got [190, 1176]");

            MultimodalItem narrow = new MultimodalItem("image", 15, 48, Map.of("pixel_values",
                    pixels.narrow(1, 0, 588), "image_grid_thw", grid), "x");
            assertMessage(narrow, "pixel_values must be [192, 1176]", "got [192, 588]");

            MultimodalItem wrongLength = new MultimodalItem("image", 15, 40, good.inputs(), "x");
            assertMessage(wrongLength, "takes 40 tokens", "image_grid_thw [1, 12, 16] gives t·h·w/4 = 48");

            MultimodalItem oddGrid = new MultimodalItem("image", 15, 48, Map.of("pixel_values", pixels,
                    "image_grid_thw", torch.tensor(new long[] {1, 13, 16}).reshape(1, 3)), "x");
            assertMessage(oddGrid, "image_grid_thw [1, 13, 16]", "divisible by spatial_merge_size 2");

            MultimodalItem videoNames = new MultimodalItem("video", 15, 48, good.inputs(), "x");
            assertMessage(videoNames, "has no input 'video_grid_thw'", "image_grid_thw");

            MultimodalItem audio = new MultimodalItem("audio", 15, 48, good.inputs(), "x");
            assertMessage(audio, "image and video items", "'audio'");
        }
    }

    private void assertMessage(MultimodalItem item, String... parts) throws ModelLoadException {
        LoadedModel loaded = model();
        String message = assertThrows(IllegalArgumentException.class,
                () -> loaded.embedMultimodal(List.of(item))).getMessage();
        for (String part : parts) {
            assertTrue(message.contains(part), "'" + message + "' should contain '" + part + "'");
        }
    }

    // --- helpers -----------------------------------------------------------------------------------------------

    /** The case's items with their inputs as the processor names them (pixels from the reference's PRNG). */
    private List<MultimodalItem> items(Qwen25VlFixture.Case c) {
        List<MultimodalItem> items = new ArrayList<>();
        for (Qwen25VlFixture.Item it : c.items()) {
            boolean image = it.modality().equals("image");
            Tensor pixels = pixels(it.pixelName(), it.patches());
            Tensor grid = torch.tensor(new long[] {it.gridThw()[0], it.gridThw()[1], it.gridThw()[2]}).reshape(1, 3);
            Map<String, Tensor> inputs = image ? Map.of("pixel_values", pixels, "image_grid_thw", grid)
                    : Map.of("pixel_values_videos", pixels, "video_grid_thw", grid,
                            "second_per_grid_ts", torch.tensor(new float[] {1.0f}));
            items.add(new MultimodalItem(it.modality(), it.offset(), it.length(), inputs, c.name() + it.offset()));
        }
        return items;
    }

    private Tensor pixels(String name, int patches) {
        int width = 1176;
        float[] values = NamedWeightPrng.values(name, patches * width);
        float scale = fixture.pixelScale();
        for (int i = 0; i < values.length; i++) {
            values[i] = values[i] * scale;
        }
        return torch.tensor(values, new TensorOptions(ScalarType.Float)).reshape(patches, width);
    }

    private List<Media> media(Qwen25VlFixture.Case c) throws ModelLoadException {
        List<Media> media = new ArrayList<>();
        if (c.items().isEmpty()) {
            return media;
        }
        List<Tensor> embeddings = model().embedMultimodal(items(c));
        for (int i = 0; i < embeddings.size(); i++) {
            media.add(new Media(c.items().get(i).offset(), embeddings.get(i)));
        }
        return media;
    }

    private double compareEmbeddings(Qwen25VlFixture.Case c, List<Tensor> embeddings, int first) {
        float[][] expected = c.embeddings();
        int row = 0;
        double max = 0;
        for (int i = 0; i < c.items().size(); i++) {
            Tensor e = embeddings.get(first + i);
            Qwen25VlFixture.Item it = c.items().get(i);
            assertEquals(it.length(), e.size(0), c.name() + " item " + i + " rows");
            assertEquals(expected[0].length, e.size(1), c.name() + " item " + i + " width");
            float[] actual = values(e);
            for (int r = 0; r < it.length(); r++, row++) {
                for (int k = 0; k < expected[row].length; k++) {
                    max = Math.max(max, Math.abs(actual[r * expected[row].length + k] - expected[row][k]));
                }
            }
        }
        assertEquals(expected.length, row, c.name() + ": embedding rows of all items");
        assertTrue(max <= TOLERANCE, c.name() + ": max |Δ| of the vision embeddings " + max + " exceeds " + TOLERANCE);
        return max;
    }

    /** Prompt positions as transformers computed them, then index + rope delta in every row for generated tokens. */
    private static long[][] positions(Qwen25VlFixture.Case c, int length) {
        long[][] positions = new long[3][length];
        for (int r = 0; r < 3; r++) {
            for (int i = 0; i < length; i++) {
                positions[r][i] = i < c.inputIds().length ? c.positions()[r][i] : i + c.ropeDelta();
            }
        }
        return positions;
    }

    /** Out of order on purpose, so that slots are not positions; 12 blocks per sequence hold 113 + 64 tokens. */
    private static long[] blocks(int sequence) {
        long[] table = new long[12];
        for (int b = 0; b < table.length; b++) {
            table[b] = (7L * (sequence * 12 + b) + 5) % NUM_BLOCKS;
        }
        return table;
    }

    private PagedKvCache allocateCache() throws ModelLoadException {
        return PagedKvCache.allocate(model().attentionLayers(), NUM_BLOCKS, BLOCK_SIZE, cpu.device());
    }

    private float[] forwardLast(PagedKvCache cache, SequenceStep seq) throws ModelLoadException {
        int computed = seq.tokens().length - seq.from();
        return forward(cache, List.of(seq), new long[] {computed - 1})[0];
    }

    /** Runs one packed step and returns the logits rows ({@code logitsIndices} null: every token). */
    private float[][] forward(PagedKvCache cache, List<SequenceStep> seqs, long[] logitsIndices)
            throws ModelLoadException {
        List<Long> ids = new ArrayList<>();
        List<List<Long>> positions = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        List<Long> slots = new ArrayList<>();
        List<AttentionMetadata.Sequence> sequences = new ArrayList<>();
        TensorVector mediaRows = new TensorVector();
        List<Long> mediaIndices = new ArrayList<>();
        for (SequenceStep seq : seqs) {
            int context = seq.tokens().length;
            int packedStart = ids.size();
            AttentionMetadata.Sequence sequence = new AttentionMetadata.Sequence(packedStart, context - seq.from(),
                    context, seq.blockTable());
            long[] contextSlots = sequence.contextSlots(BLOCK_SIZE);
            for (int p = seq.from(); p < context; p++) {
                ids.add(seq.tokens()[p]);
                for (int r = 0; r < 3; r++) {
                    positions.get(r).add(seq.positions()[r][p]);
                }
                slots.add(contextSlots[p]);
            }
            // the rows of each item that fall in this step's tokens, as the engine slices them
            for (Media m : seq.media()) {
                int start = Math.max(m.offset(), seq.from());
                int end = (int) Math.min(m.offset() + m.embeddings().size(0), context);
                if (start < end) {
                    mediaRows.push_back(m.embeddings().narrow(0, start - m.offset(), end - start));
                    for (int t = start; t < end; t++) {
                        mediaIndices.add((long) packedStart + t - seq.from());
                    }
                }
            }
            sequences.add(sequence);
        }
        Tensor positionTensor = torch.stack(new TensorVector(longTensor(positions.get(0)), longTensor(positions.get(1)),
                longTensor(positions.get(2))), 0);
        MultimodalEmbeddings multimodal = mediaIndices.isEmpty() ? null
                : new MultimodalEmbeddings(torch.cat(mediaRows, 0), longTensor(mediaIndices));
        ForwardBatch batch = new ForwardBatch(longTensor(ids), positionTensor,
                new AttentionMetadata(longTensor(slots), sequences, BLOCK_SIZE), cache,
                logitsIndices == null ? null : torch.tensor(logitsIndices), multimodal);
        Tensor logits = model().forward(batch);
        assertEquals(ScalarType.Float, logits.scalar_type().intern(), "logits must be float32");
        float[][] rows = new float[(int) logits.size(0)][];
        for (int r = 0; r < rows.length; r++) {
            rows[r] = values(logits.select(0, r));
        }
        return rows;
    }

}
