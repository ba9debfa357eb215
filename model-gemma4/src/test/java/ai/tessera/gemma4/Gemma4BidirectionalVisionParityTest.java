package ai.tessera.gemma4;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import ai.tessera.api.AttentionMetadata;
import ai.tessera.api.ForwardBatch;
import ai.tessera.api.MultimodalEmbeddings;
import ai.tessera.api.MultimodalItem;
import ai.tessera.api.MultimodalPrompt;
import ai.tessera.core.engine.Engine;
import ai.tessera.core.engine.GenerationRequest;
import ai.tessera.core.engine.SamplingParams;
import ai.tessera.core.kv.PagedKvCache;
import ai.tessera.testing.FixtureJson;
import ai.tessera.testing.Parity;
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

/**
 * {@code use_bidirectional_attention: "vision"} (the larger Gemma 4 checkpoints) against transformers 5.17: the
 * tiny model of {@link Gemma4VisionParityTest} with that setting, and transformers given {@code mm_token_type_ids},
 * so that each image's tokens attend to each other both ways on the sliding layers (AND(window, OR(causal, same
 * image))) while the full layers stay causal. Fixtures from {@code tools/reference/gemma4_vision_reference.py
 * --bidirectional}. Checks the logits of the prompts with one and two images at every position, that they are not
 * the causal ones, and 64 greedy tokens through the whole engine, where each image must be prefilled in one chunk.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Gemma4BidirectionalVisionParityTest {
    /**
     * End to end. The one-image prompt stays under the project's 1e-4 (4.5e-5), but one position of the two-image
     * prompt (position 88, in the second image) differs by 1.65e-4: the images' tokens now attend to the whole
     * image, so the tower's float32 rounding (see
     * {@link Gemma4VisionParityTest#towerDiffersFromTransformersOnlyByFloat32Rounding}) reaches every token of an
     * image. Measured against the model evaluated in float64 (same weights, same pixels):
     * transformers' float32 logits are themselves 1.02e-4 from it and Tessera's 1.66e-4, so no float32
     * implementation can promise 1e-4 to transformers here; the float64 decoder fed the float32 image features of
     * either tower moves by 1.07e-4 (transformers') or 1.40e-4 (Tessera's), while Tessera's float32 decoder fed the
     * float64 features stays at 1.6e-5. The decoder fed transformers' own image features meets the strict 1e-4
     * ({@link #decoderWithTransformersImageFeaturesMatchesWithinTheProjectLimit}); the report prints the maxima.
     */
    private static final double LOGIT_TOLERANCE = 2e-4;
    /** The first 11 blocks of the shared table: enough for the prefill of either prompt. */
    private static final long[] BLOCKS = Arrays.copyOf(PagedSteps.BLOCK_TABLE, 11);

    private Gemma4Reference reference;
    private Gemma4Fixture fixture;
    private Gemma4CausalLm model;

    @BeforeAll
    void load() throws Exception {
        reference = Gemma4Reference.load("gemma4_vision_bidi", "gemma4 bidirectional vision parity");
        fixture = reference.fixture();
        model = reference.model();
    }

    @AfterAll
    void close() {
        reference.close();
    }

    @Test
    void imagesAndVideosAttendBothWaysAudioDoesNot() {
        assertTrue(model.bidirectionalWithin("image"));
        assertTrue(model.bidirectionalWithin("video"));
        assertEquals(false, model.bidirectionalWithin("audio"));
    }

    /** The whole prompt in one step, with each image's span (or none: the causal attention of E2B-like models). */
    private float[][] prefill(long[] ids, List<MultimodalItem> items, List<Tensor> embeds, boolean spans) {
        try (PagedKvCache cache = PagedSteps.allocate(model, reference.cpu())) {
            List<AttentionMetadata.Span> imageSpans = new ArrayList<>();
            List<Long> indices = new ArrayList<>();
            for (MultimodalItem item : items) {
                imageSpans.add(new AttentionMetadata.Span(item.offset(), item.offset() + item.length()));
                for (int p = item.offset(); p < item.offset() + item.length(); p++) {
                    indices.add((long) p);
                }
            }
            ForwardBatch plain = PagedSteps.batch(cache, List.of(new PagedSteps.SequenceStep(ids, 0,
                    BLOCKS)), null);
            AttentionMetadata.Sequence whole = plain.attention().sequences().get(0);
            AttentionMetadata attention = new AttentionMetadata(plain.attention().slotMapping(), List.of(
                    new AttentionMetadata.Sequence(0, ids.length, ids.length, whole.blockTable(), ids.length,
                            spans ? imageSpans : List.of())), PagedSteps.BLOCK_SIZE);
            MultimodalEmbeddings media = new MultimodalEmbeddings(torch.cat(new TensorVector(embeds.toArray(
                    new Tensor[0])), 0), torch.tensor(indices.stream().mapToLong(Long::longValue).toArray()));
            Tensor logits = model.forward(new ForwardBatch(plain.inputIds(), plain.positions(), attention, cache, null,
                    media));
            return Parity.rows(logits);
        }
    }

    @Test
    void logitsWithImagesAttendingBothWaysMatchTransformers() {
        int[] subset = FixtureJson.ints(fixture.root.get("vocab_subset"));
        int index = 0;
        for (JsonNode prompt : fixture.root.get("prompts")) {
            long[] ids = FixtureJson.longs(prompt.get("input_ids"));
            float[][] expected = fixture.matrix(prompt.get("prefill_subset"));
            int[][] top5 = FixtureJson.intMatrix(prompt.get("prefill_top5_ids"));
            float[][] top5Values = fixture.matrix(prompt.get("prefill_top5_values"));
            MultimodalPrompt processed = reference.process(prompt);
            try (PointerScope scope = new PointerScope()) {
                List<Tensor> embeds = model.embedMultimodal(processed.items());
                float[][] rows = prefill(ids, processed.items(), embeds, true);
                double max = 0;
                for (int t = 0; t < ids.length; t++) {
                    max = Math.max(max, Parity.compare("prompt " + index + " position " + t, rows[t], subset,
                            expected[t], top5[t], top5Values[t], LOGIT_TOLERANCE));
                }
                // The causal logits are not transformers' here: the spans are what makes the match.
                float[][] causal = prefill(ids, processed.items(), embeds, false);
                double causalMax = 0;
                for (int t = 0; t < ids.length; t++) {
                    for (int j = 0; j < subset.length; j++) {
                        causalMax = Math.max(causalMax, Math.abs(causal[t][subset[j]] - expected[t][j]));
                    }
                }
                assertTrue(causalMax > 100 * LOGIT_TOLERANCE, "causal attention over the images would match too: "
                        + causalMax);
                reference.report("prompt " + index + " (" + processed.items().size() + " image(s), " + ids.length
                        + " tokens)", String.format("prefill max |Δlogit| %.3g (causal attention instead: %.3g)",
                        max, causalMax));
            } finally {
                processed.close();
            }
            index++;
        }
    }

    /**
     * The decoder alone: the image features transformers computed (gemma4_vision.json's embed_vision output for
     * the same images and tower) merged in place of Tessera's; then the logits meet the project's 1e-4.
     */
    @Test
    void decoderWithTransformersImageFeaturesMatchesWithinTheProjectLimit() {
        Gemma4Fixture causalFixture = Gemma4Fixture.load(Gemma4Fixture.VISION);
        int[] subset = FixtureJson.ints(fixture.root.get("vocab_subset"));
        for (int index = 0; index < fixture.root.get("prompts").size(); index++) {
            JsonNode prompt = fixture.root.get("prompts").get(index);
            JsonNode samePrompt = causalFixture.root.get("prompts").get(index);
            assertEquals(prompt.get("input_ids"), samePrompt.get("input_ids"), "the same prompt in both fixtures");
            long[] ids = FixtureJson.longs(prompt.get("input_ids"));
            float[][] expected = fixture.matrix(prompt.get("prefill_subset"));
            int[][] top5 = FixtureJson.intMatrix(prompt.get("prefill_top5_ids"));
            float[][] top5Values = fixture.matrix(prompt.get("prefill_top5_values"));
            MultimodalPrompt processed = reference.process(prompt);
            try (PointerScope scope = new PointerScope()) {
                float[][] features = causalFixture.matrix(samePrompt.get("image_features"));
                List<Tensor> embeds = new ArrayList<>();
                int row = 0;
                for (MultimodalItem item : processed.items()) {
                    float[] flat = new float[item.length() * features[0].length];
                    for (int r = 0; r < item.length(); r++) {
                        System.arraycopy(features[row + r], 0, flat, r * features[0].length, features[0].length);
                    }
                    embeds.add(torch.tensor(flat, new org.bytedeco.pytorch.TensorOptions(ScalarType.Float))
                            .reshape(item.length(), features[0].length));
                    row += item.length();
                }
                float[][] rows = prefill(ids, processed.items(), embeds, true);
                double max = 0;
                for (int t = 0; t < ids.length; t++) {
                    max = Math.max(max, Parity.compare("prompt " + index + " position " + t
                            + " with transformers' image features", rows[t], subset, expected[t], top5[t],
                            top5Values[t]));
                }
                reference.report("prompt " + index + " decoder with transformers' image features",
                        String.format("prefill max |Δlogit| %.3g", max));
            } finally {
                processed.close();
            }
        }
    }

    /**
     * Both prompts twice, together, with a 64-token step budget: each image (63 and 60 tokens) must be prefilled in
     * one step, so chunks end where images start while other requests decode; the repeated prompts reuse the cached
     * prefix. The 64 greedy tokens are transformers'. An image longer than the budget is refused up front.
     */
    @Test
    void engineKeepsEachImageInOneChunkAndGreedyTokensMatch() throws Exception {
        try (Engine engine = Engine.start(model, GreedyEngineRuns.config(reference.cpu(), 96, 64, 8))) {
            GreedyEngineRuns.assertEachPromptTwiceGivesTheGreedyTokens(engine, fixture, reference::process);
        }
        JsonNode first = fixture.root.get("prompts").get(0);
        try (Engine engine = Engine.start(model, GreedyEngineRuns.config(reference.cpu(), 96, 32, 8))) {
            MultimodalPrompt processed = reference.process(first);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> engine.generate(
                    GenerationRequest.of("too-long", processed, SamplingParams.greedy())));
            processed.close();
            assertTrue(e.getMessage().contains("image of 63 tokens") && e.getMessage().contains(
                    "--max-num-batched-tokens is 32"), e.getMessage());
        }
    }
}
