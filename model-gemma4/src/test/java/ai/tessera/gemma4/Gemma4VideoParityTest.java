package ai.tessera.gemma4;

import static ai.tessera.gemma4.Gemma4TokenIds.AUDIO;
import static ai.tessera.gemma4.Gemma4TokenIds.BOA;
import static ai.tessera.gemma4.Gemma4TokenIds.BOI;
import static ai.tessera.gemma4.Gemma4TokenIds.BOS;
import static ai.tessera.gemma4.Gemma4TokenIds.EOA;
import static ai.tessera.gemma4.Gemma4TokenIds.EOI;
import static ai.tessera.gemma4.Gemma4TokenIds.IMAGE;
import static ai.tessera.gemma4.Gemma4TokenIds.VIDEO;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.LongStream;

import ai.tessera.api.LoadedModel;
import ai.tessera.api.MediaInput;
import ai.tessera.api.MediaProcessor;
import ai.tessera.api.ModelConfig;
import ai.tessera.api.ModelLoadException;
import ai.tessera.api.MultimodalItem;
import ai.tessera.api.MultimodalPrompt;
import ai.tessera.api.TextEncoder;
import ai.tessera.core.config.HfConfigLoader;
import ai.tessera.core.engine.Engine;
import ai.tessera.core.engine.EngineConfig;
import ai.tessera.core.engine.GenerationRequest;
import ai.tessera.core.engine.SamplingParams;
import ai.tessera.media.RgbImage;
import ai.tessera.testing.FixtureJson;
import ai.tessera.testing.Parity;
import ai.tessera.testing.ReferenceModelContext;
import com.fasterxml.jackson.databind.JsonNode;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Gemma 4 with a video against transformers 5.17 (float32, CPU), fixtures from
 * {@code tools/reference/gemma4_video_reference.py}: six 64x48 PNG frames at fps 2 given as a list of frames. Checks
 * {@code Gemma4VideoProcessor}'s patches bit for bit, the prompt expansion with the {@code mm:ss} timestamps
 * (tokenized on their own, as vLLM does; the fixture holds their ids), the video features
 * ({@code get_video_features}: each frame through the vision tower and {@code embed_vision}), the logits at every
 * position and 64 greedy tokens through the paged KV cache, a prefill chunked inside a frame, and the whole engine.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Gemma4VideoParityTest {
    /** The six frames' 378 soft tokens and 64 greedy tokens need more blocks than the other prompts. */
    private static final int NUM_BLOCKS = 40;

    private final long[] blocks = LongStream.range(0, NUM_BLOCKS).map(b -> (b * 7 + 3) % NUM_BLOCKS).toArray();
    private Gemma4Reference reference;
    private Gemma4Fixture fixture;
    private JsonNode prompt;
    private Gemma4CausalLm model;
    private MediaProcessor processor;
    private TextEncoder text;

    @BeforeAll
    void load() throws ModelLoadException {
        reference = Gemma4Reference.load(Gemma4Fixture.VIDEO, "gemma4 video parity");
        fixture = reference.fixture();
        model = reference.model();
        prompt = fixture.root.get("prompts").get(0);
        // The fixture's frames play at 2 fps; a list of frames counts as 24 fps unless told otherwise.
        Gemma4MediaProcessor served = (Gemma4MediaProcessor) reference.processor();
        processor = new Gemma4MediaProcessor(served.settings(), new Gemma4MediaProcessor.Tokens(IMAGE, BOI, EOI),
                false, new Gemma4MediaProcessor.Tokens(AUDIO, BOA, EOA), new Gemma4MediaProcessor.Tokens(VIDEO, BOI,
                EOI), prompt.get("fps").asDouble());
        JsonNode ids = fixture.root.get("text_ids");
        text = s -> {
            JsonNode known = ids.get(s);
            if (known == null) {
                throw new IllegalArgumentException("the fixture has no ids for '" + s + "'");
            }
            return FixtureJson.ints(known);
        };
    }

    @AfterAll
    void close() {
        reference.close();
    }

    /** The prompt as the chat template writes it: {@code Watch:<|video|> What moves?}. */
    private int[] collapsed() {
        JsonNode ids = fixture.root.get("text_ids");
        List<Integer> out = new ArrayList<>(List.of(BOS));
        Arrays.stream(FixtureJson.ints(ids.get("Watch:"))).forEach(out::add);
        out.add(VIDEO);
        Arrays.stream(FixtureJson.ints(ids.get(" What moves?"))).forEach(out::add);
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private MediaInput frames() {
        List<byte[]> frames = new ArrayList<>();
        for (JsonNode name : prompt.get("frames")) {
            frames.add(Gemma4Fixture.resource(name.asText()));
        }
        return new MediaInput("video", frames, null, "six frames");
    }

    private MultimodalPrompt process() {
        return processor.process(collapsed(), List.of(frames()), Map.of(), text);
    }

    @Test
    void framePatchesAreTheBytesGemma4VideoProcessorMakes() throws NoSuchAlgorithmException {
        Gemma4ImageProcessor frames = Gemma4ImageProcessor.forVideo(16, 3, 70, 1 / 255.0);
        Gemma4ImageProcessor asImages = new Gemma4ImageProcessor(16, 3, 70, 1 / 255.0);
        for (JsonNode c : fixture.root.get("processor")) {
            String where = c.get("frame").asText();
            try (PointerScope scope = new PointerScope()) {
                RgbImage image = Gemma4ImageProcessorParityTest.image(where);
                ImagePatches patches = frames.process(image);
                assertEquals(c.get("resized_height").asInt(), patches.height(), where + ": height");
                assertEquals(c.get("resized_width").asInt(), patches.width(), where + ": width");
                assertEquals(c.get("num_soft_tokens").asInt(), patches.softTokens(), where + ": soft tokens");
                int real = c.get("real_patches").asInt();
                assertEquals(real, patches.realPatches(), where + ": real patches");
                assertEquals(c.get("padded_patches").asInt(), patches.pixelValues().size(0), where + ": padded");
                assertEquals(c.get("sha256").asText(), sha256(patches.pixelValues(), real), where + ": SHA-256 of "
                        + "the real patches");
                assertArrayEquals(fixture.matrix(c.get("first_patch"))[0], Arrays.copyOf(Parity.values(
                        patches.pixelValues().select(0, 0)), 768), where + ": first patch");
                // the image processor's multiplication by 1/255 differs in the last bit: the video's division is not
                // a detail
                assertEquals(c.get("image_processor_sha256").asText(), sha256(asImages.process(image).pixelValues(),
                        real), where + ": as an image");
                assertTrue(!c.get("same_as_image_processor").asBoolean());
            }
        }
        reference.report("processor", "6 frames 64x48 -> 432x336, 63 soft tokens each, real patches bit-identical "
                + "(SHA-256) to Gemma4VideoProcessor's");
    }

    private static String sha256(Tensor pixels, int real) throws NoSuchAlgorithmException {
        float[] values = Parity.values(pixels.narrow(0, 0, real).contiguous());
        ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes.array()));
    }

    @Test
    void promptIsExpandedPerFrameWithTimestamps() {
        try (MultimodalPrompt processed = process()) {
            assertArrayEquals(FixtureJson.longs(prompt.get("input_ids")),
                    Arrays.stream(processed.tokenIds()).asLongStream().toArray());
            int[] offsets = FixtureJson.ints(prompt.get("frame_offsets"));
            assertEquals(offsets.length, processed.items().size());
            for (int k = 0; k < offsets.length; k++) {
                MultimodalItem item = processed.items().get(k);
                assertEquals("video", item.modality());
                assertEquals(offsets[k], item.offset(), "frame " + k + " offset");
                assertEquals(prompt.get("num_soft_tokens").asInt(), item.length(), "frame " + k + " soft tokens");
                assertArrayEquals(new long[] {1, 630, 768}, item.input("pixel_values_videos").sizes().vec().get());
                assertArrayEquals(new long[] {1, 630, 2}, item.input("video_position_ids").sizes().vec().get());
            }
        }
        List<String> stamps = new ArrayList<>();
        Gemma4Video video = new Gemma4Video(List.of(), new int[] {0, 1, 2, 3, 4, 5}, prompt.get("fps").asDouble());
        for (int k = 0; k < 6; k++) {
            stamps.add(video.timestamp(k));
        }
        List<String> expected = new ArrayList<>();
        fixture.root.get("processor").forEach(c -> expected.add(c.get("timestamp").asText()));
        assertEquals(expected, stamps);
    }

    @Test
    void videoFeaturesMatchTransformers() {
        float[][] features = fixture.matrix(prompt.get("video_features"));
        double max = 0;
        try (MultimodalPrompt processed = process(); PointerScope scope = new PointerScope()) {
            List<Tensor> embeds = model.embedMultimodal(processed.items());
            int row = 0;
            for (Tensor frame : embeds) {
                for (int r = 0; r < frame.size(0); r++) {
                    max = Math.max(max, Parity.compareAll("video feature row " + row, Parity.values(frame.select(0,
                            r)), features[row]));
                    row++;
                }
            }
            assertEquals(features.length, row, "every frame's features were compared");
        }
        reference.report("video features (6 frames x 63 rows)", String.format("max |Δ| %.3g", max));
    }

    @Test
    void logitsAndGreedyTokensWithAVideoMatchTransformers() {
        long[] ids = FixtureJson.longs(prompt.get("input_ids"));
        GreedyPromptParity.MaxDeltas deltas;
        try (MultimodalPrompt processed = process()) {
            // the chunked prefill's first chunk ends inside the third frame
            int cut = processed.items().get(2).offset() + 17;
            deltas = GreedyPromptParity.check(model, reference.cpu(), NUM_BLOCKS, blocks, fixture, prompt, processed,
                    cut, "", Parity.TOLERANCE);
        }
        reference.report("video prompt (" + ids.length + " tokens)", String.format("prefill max |Δlogit| %.3g, "
                + "chunked inside a frame %.3g, 64 greedy tokens identical, max |Δlogit| over steps %.3g "
                + "(transformers' smallest top-2 margin %.3g)", deltas.prefill(), deltas.chunked(), deltas.decode(),
                prompt.get("decode_min_margin").asDouble()));
    }

    /**
     * The whole engine: the video prompt twice at once with a 16-token budget (every frame prefilled across chunks
     * while the other request decodes; the second takes its prefix from the cache, same frames) gives
     * transformers' 64 greedy tokens, and every block is free at the end.
     */
    @Test
    void engineGivesTransformersGreedyTokens() throws Exception {
        ReferenceModelContext context = new ReferenceModelContext(reference.config(),
                new PrngWeightSource(fixture.parameterShapes()), reference.cpu(), ScalarType.Float);
        EngineConfig engineConfig = GreedyEngineRuns.config(reference.cpu(), 96, 16, 4);
        long[] greedy = FixtureJson.longs(prompt.get("greedy"));
        SamplingParams params = SamplingParams.greedy().toBuilder().maxTokens(greedy.length).ignoreEos(true).build();
        try (LoadedModel engineModel = new Gemma4ForConditionalGeneration().load(context);
             Engine engine = Engine.start(engineModel, engineConfig)) {
            List<CompletableFuture<int[]>> results = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                GenerationRequest request = GenerationRequest.of("video-" + i, process(), params);
                results.add(CompletableFuture.supplyAsync(() -> engine.complete(request).tokenIds()));
            }
            for (int i = 0; i < results.size(); i++) {
                assertArrayEquals(Arrays.stream(greedy).mapToInt(Math::toIntExact).toArray(), results.get(i).get(),
                        "request " + i);
            }
            assertEquals(engine.stats().numBlocks(), engine.stats().freeBlocks(), "every block is free at the end");
        }
        reference.report("engine", "the video prompt twice, 16-token chunks, prefix cache: 64 greedy tokens identical");
    }

    @Test
    void videoIsRefusedWithoutVisionConfigTokenizerOrMatchingPlaceholders() throws ModelLoadException {
        ModelConfig textOnly = HfConfigLoader.fromJson(Gemma4Fixture.load(Gemma4Fixture.E2B).configJson, null);
        MediaProcessor media = new Gemma4MultimodalProcessor().forModel(textOnly, Optional.empty());
        IllegalArgumentException noTower = assertThrows(IllegalArgumentException.class,
                () -> media.process(new int[] {BOS, VIDEO}, List.of(frames()), Map.of(), text));
        assertTrue(noTower.getMessage().contains("no vision_config") && noTower.getMessage().contains("video"),
                noTower.getMessage());
        IllegalArgumentException noTokenizer = assertThrows(IllegalArgumentException.class,
                () -> processor.process(collapsed(), List.of(frames()), Map.of()));
        assertTrue(noTokenizer.getMessage().contains("tokenizer"), noTokenizer.getMessage());
        IllegalArgumentException count = assertThrows(IllegalArgumentException.class,
                () -> processor.process(collapsed(), List.of(frames(), frames()), Map.of(), text));
        assertTrue(count.getMessage().contains("1 video placeholder(s)") && count.getMessage().contains("2 video(s)"),
                count.getMessage());
        assertEquals("<|video|>", processor.placeholderText("video", 1));
    }
}
