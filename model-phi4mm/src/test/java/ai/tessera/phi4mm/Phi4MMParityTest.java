package ai.tessera.phi4mm;

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
import ai.tessera.phi4mm.processor.Phi4MMProcessor;
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
 * Phi4MMForCausalLM against transformers 5.17's Phi4MultimodalForCausalLM with the checkpoint's LoRA adapters as
 * PEFT adapters (float32, CPU), on a tiny random-weight model in the original checkpoint layout
 * ({@code tools/reference/phi4mm_reference.py}): logits within 1e-4 at every text position and 64 greedy tokens
 * through the KV cache for text (no adapter), one image and two images of different crop counts (vision adapter),
 * audio (speech adapter) and image + audio (vision adapter, vision audio projection); prompts of different adapters
 * packed in one step must give each its own single-run logits.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Phi4MMParityTest {
    private static final double TOLERANCE = 1e-4;
    private static final int BLOCK_SIZE = 16;
    private static final int BLOCKS_PER_SEQUENCE = 70;
    private static final int NUM_BLOCKS = 3 * BLOCKS_PER_SEQUENCE;

    private final CpuPlatform cpu = new CpuPlatform();
    private final Map<String, String> report = new TreeMap<>();
    private Phi4MMFixture fixture;
    private PrngWeightSource weights;
    private LoadedModel model;
    private MediaProcessor processor;
    private int[] subset;

    @BeforeAll
    void loadModel() throws ModelLoadException {
        fixture = Phi4MMFixture.model();
        ModelConfig config = HfConfigLoader.fromJson(Phi4MMFixture.configJson(), null);
        weights = new PrngWeightSource(fixture.parameterShapes());
        model = new Phi4MMForCausalLM().load(new ReferenceModelContext(config, weights, cpu, ScalarType.Float));
        processor = new Phi4MMProcessor().forModel(config, Optional.of(Phi4MMFixture.folder()));
        subset = FixtureJson.ints(fixture.root.get("vocab_subset"));
    }

    @AfterAll
    void closeModelAndReport() {
        model.close();
        report.forEach((key, line) -> System.out.println("[phi4mm parity] " + key + ": " + line));
    }

    /** Every parameter the model needs, by its original name; unused: the tower's last layer, its head. */
    @Test
    void loadsTheOriginalCheckpointNames() {
        Set<String> unused = new TreeSet<>(weights.names());
        unused.removeAll(weights.loaded());
        for (String name : unused) {
            assertTrue(name.contains(".img_processor.encoder.layers.2.") || name.contains(".img_processor.head.")
                    || name.contains(".img_processor.post_layernorm."), "not loaded: " + name);
        }
        assertTrue(weights.loaded().contains("model.layers.1.mlp.down_proj.lora_B.speech.weight"));
        assertTrue(weights.loaded().contains("model.layers.0.self_attn.qkv_proj.base_layer.weight"));
        assertTrue(weights.loaded().contains("model.embed_tokens_extend.image_embed.glb_GN"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"text", "one_image", "two_images", "audio", "image_audio"})
    void processorExpandsAndSelectsTheAdapterAsTheReference(String name) {
        JsonNode p = fixture.prompt(name);
        try (MultimodalPrompt prompt = process(p)) {
            assertArrayEquals(FixtureJson.ints(p.get("expanded_ids")), prompt.tokenIds(), name + " expanded ids");
            JsonNode media = p.get("media");
            assertEquals(media.size(), prompt.items().size());
            for (int i = 0; i < media.size(); i++) {
                assertEquals(media.get(i).get("modality").asText(), prompt.items().get(i).modality());
                assertEquals(media.get(i).get("offset").asInt(), prompt.items().get(i).offset());
                assertEquals(media.get(i).get("length").asInt(), prompt.items().get(i).length());
            }
            assertEquals(p.get("adapter").isNull() ? null : p.get("adapter").asText(), prompt.adapter(),
                    name + " adapter");
        }
    }

    @Test
    void imageEmbeddingMatchesTransformers() {
        JsonNode p = fixture.prompt("two_images");
        try (PointerScope scope = new PointerScope(); MultimodalPrompt prompt = process(p)) {
            List<Tensor> embeddings = model.embedMultimodal(prompt.items());
            float[] expected = fixture.floats(p.get("image_embedding_0"));
            float[] actual = values(embeddings.get(0));
            assertEquals(expected.length, actual.length, "rows x hidden of the first image");
            double max = 0;
            for (int i = 0; i < expected.length; i++) {
                max = Math.max(max, Math.abs(expected[i] - actual[i]));
            }
            assertTrue(max <= TOLERANCE, "image embedding max |Δ| " + max);
            report.put("two_images: first image's projected embedding", String.format("max |Δ| %.3g", max));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"text", "one_image", "two_images", "audio", "image_audio"})
    void prefillLogitsAndGreedyDecodingMatchTransformers(String name) {
        JsonNode p = fixture.prompt(name);
        int[] decodeSubset = Arrays.copyOf(subset, fixture.root.get("decode_subset_size").asInt());
        float[][] decodeExpected = fixture.matrix(p.get("decode_subset"));
        int[][] top5Ids = FixtureJson.intMatrix(p.get("decode_top5_ids"));
        float[][] top5Values = fixture.matrix(p.get("decode_top5_values"));
        long[] greedy = FixtureJson.longs(p.get("greedy"));
        try (MultimodalPrompt prompt = process(p); PagedKvCache cache = allocateCache()) {
            List<Tensor> embeddings = model.embedMultimodal(prompt.items());
            long[] sequence = toLongs(prompt.tokenIds());
            int[] positions = FixtureJson.ints(p.get("logit_positions"));
            long[] wanted = Arrays.stream(positions).asLongStream().toArray();
            float[][] rows = forward(cache, List.of(new PackedStep.Sequence(sequence, 0, blocks(0), prompt.items(),
                    embeddings, prompt.adapter())), wanted);
            double prefill = comparePrefill(p, rows, positions);
            float[] logits = rows[rows.length - 1];
            long[] generated = new long[greedy.length];
            double decode = 0;
            int recompute = model.recomputeBeyond();
            for (int step = 0; step < generated.length; step++) {
                decode = Math.max(decode, compare(name + " decode step " + step, logits, decodeSubset,
                        decodeExpected[step], top5Ids[step], top5Values[step]));
                generated[step] = argmax(logits);
                sequence = append(sequence, generated[step]);
                if (step + 1 < generated.length) {
                    // LongRoPE: the first step past original_max_position_embeddings recomputes the whole sequence
                    boolean again = sequence.length > recompute && sequence.length - 1 <= recompute;
                    int from = again ? 0 : sequence.length - 1;
                    logits = forwardLast(cache, new PackedStep.Sequence(sequence, from, blocks(0),
                            again ? prompt.items() : List.of(), again ? embeddings : List.of(), prompt.adapter()));
                }
            }
            assertArrayEquals(greedy, generated, name + ": greedy tokens differ from transformers'");
            report.put(name + " (" + prompt.adapter() + ")", String.format("prefill max |Δlogit| %.3g over %d "
                    + "positions; 64 greedy tokens identical, decode max |Δlogit| %.3g", prefill, positions.length,
                    decode));
        }
    }

    /** Text (no adapter), one image (vision) and audio (speech) packed in one step: each its single-run logits. */
    @Test
    void promptsWithDifferentAdaptersPackedInOneStepMatchTheirSingleRuns() {
        List<String> names = List.of("text", "one_image", "audio");
        List<MultimodalPrompt> prompts = new ArrayList<>();
        try (PointerScope scope = new PointerScope(); PagedKvCache cache = allocateCache()) {
            List<PackedStep.Sequence> steps = new ArrayList<>();
            List<Long> last = new ArrayList<>();
            long offset = 0;
            for (int i = 0; i < names.size(); i++) {
                MultimodalPrompt prompt = process(fixture.prompt(names.get(i)));
                prompts.add(prompt);
                steps.add(new PackedStep.Sequence(toLongs(prompt.tokenIds()), 0, blocks(i), prompt.items(),
                        model.embedMultimodal(prompt.items()), prompt.adapter()));
                offset += prompt.tokenIds().length;
                last.add(offset - 1);
            }
            float[][] rows = forward(cache, steps, last.stream().mapToLong(Long::longValue).toArray());
            double max = 0;
            for (int i = 0; i < names.size(); i++) {
                JsonNode p = fixture.prompt(names.get(i));
                int[] positions = FixtureJson.ints(p.get("logit_positions"));
                float[][] expected = fixture.matrix(p.get("prefill_subset"));
                max = Math.max(max, compare(names.get(i) + " packed, last position", rows[i], subset,
                        expected[positions.length - 1], FixtureJson.ints(p.get("last_top5_ids")),
                        fixture.floats(p.get("last_top5_values"))));
            }
            report.put("text + one_image + audio in one step (3 adapters)", String.format("max |Δlogit| %.3g", max));
        } finally {
            prompts.forEach(MultimodalPrompt::close);
        }
    }

    /**
     * The media of four prompts in one embedMultimodal call (images of 3, 2, 4 and 2 crops; audio with the speech and
     * the vision projection): each item's rows equal those of its own prompt's call, shapes and all.
     */
    @Test
    void mediaOfSeveralPromptsWithDifferentCropCountsEmbedTogether() {
        List<String> names = List.of("one_image", "two_images", "audio", "image_audio");
        List<MultimodalPrompt> prompts = new ArrayList<>();
        try (PointerScope scope = new PointerScope()) {
            List<MultimodalItem> all = new ArrayList<>();
            List<Tensor> separate = new ArrayList<>();
            for (String name : names) {
                MultimodalPrompt prompt = process(fixture.prompt(name));
                prompts.add(prompt);
                all.addAll(prompt.items());
                separate.addAll(model.embedMultimodal(prompt.items()));
            }
            List<Tensor> together = model.embedMultimodal(all);
            assertEquals(all.size(), together.size());
            double max = 0;
            for (int i = 0; i < all.size(); i++) {
                assertEquals(all.get(i).length(), together.get(i).size(0), "rows of item " + i);
                max = Math.max(max, together.get(i).sub(separate.get(i)).abs().max().item_double());
            }
            assertTrue(max <= 1e-5, "media embedded together differ from their own prompts' by " + max);
            report.put("6 media items of 4 prompts in one embedMultimodal call vs per prompt",
                    String.format("max |Δ| %.3g", max));
        } finally {
            prompts.forEach(MultimodalPrompt::close);
        }
    }

    /** The image prompt prefilled in two chunks, the cut inside the image. */
    @Test
    void chunkedPrefillCutInsideAnImageMatchesTransformers() {
        JsonNode p = fixture.prompt("one_image");
        try (PointerScope scope = new PointerScope(); MultimodalPrompt prompt = process(p);
             PagedKvCache cache = allocateCache()) {
            List<Tensor> embeddings = model.embedMultimodal(prompt.items());
            long[] ids = toLongs(prompt.tokenIds());
            int cut = 200;
            forward(cache, List.of(new PackedStep.Sequence(Arrays.copyOf(ids, cut), 0, blocks(0), prompt.items(),
                    embeddings, prompt.adapter())), new long[] {cut - 1});
            int[] positions = FixtureJson.ints(p.get("logit_positions"));
            long[] wanted = Arrays.stream(positions).filter(t -> t >= cut).mapToLong(t -> t - cut).toArray();
            float[][] rows = forward(cache, List.of(new PackedStep.Sequence(ids, cut, blocks(0), prompt.items(), embeddings,
                    prompt.adapter())), wanted);
            int[] later = Arrays.stream(positions).filter(t -> t >= cut).toArray();
            double max = comparePrefill(p, rows, later);
            report.put("one_image prefill in chunks of 200 + rest", String.format("max |Δlogit| %.3g", max));
        }
    }

    // --- helpers -----------------------------------------------------------------------------------------------

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

    private static long[] blocks(int sequence) {
        long[] table = new long[BLOCKS_PER_SEQUENCE];
        for (int i = 0; i < table.length; i++) {
            table[i] = (long) sequence * BLOCKS_PER_SEQUENCE + i;
        }
        return table;
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

    /** The rows at {@code positions} (a tail of the fixture's logit positions) against transformers' subset. */
    private double comparePrefill(JsonNode p, float[][] rows, int[] positions) {
        int[] all = FixtureJson.ints(p.get("logit_positions"));
        float[][] expected = fixture.matrix(p.get("prefill_subset"));
        int skip = all.length - positions.length;
        assertEquals(positions.length, rows.length, "rows of logits");
        double max = 0;
        for (int r = 0; r < rows.length; r++) {
            boolean last = skip + r == all.length - 1;
            max = Math.max(max, compare(p.get("name").asText() + " position " + positions[r], rows[r], subset,
                    expected[skip + r], last ? FixtureJson.ints(p.get("last_top5_ids")) : new int[0],
                    last ? fixture.floats(p.get("last_top5_values")) : new float[0]));
        }
        return max;
    }

    private static long[] toLongs(int[] ids) {
        return Arrays.stream(ids).asLongStream().toArray();
    }
}
