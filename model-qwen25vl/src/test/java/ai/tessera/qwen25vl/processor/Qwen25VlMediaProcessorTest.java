package ai.tessera.qwen25vl.processor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import javax.imageio.ImageIO;

import ai.tessera.api.MediaInput;
import ai.tessera.api.MediaProcessor;
import ai.tessera.api.ModelLoadException;
import ai.tessera.api.MultimodalItem;
import ai.tessera.api.MultimodalPrompt;
import ai.tessera.testing.FixtureJson;
import com.fasterxml.jackson.databind.JsonNode;
import org.bytedeco.javacpp.LongPointer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The processor's contract besides parity: placeholders, request options, limits, settings and their errors. */
class Qwen25VlMediaProcessorTest {
    private static final int IMAGE_PAD = 151655;
    private static final int VIDEO_PAD = 151656;
    private static ProcessorFixture fixture;
    private static MediaProcessor processor;

    @TempDir
    static Path modelDir;

    @BeforeAll
    static void load() throws Exception {
        fixture = ProcessorFixture.load();
        processor = new Qwen25VlMultimodalProcessor().forModel(fixture.config(),
                Optional.of(fixture.modelFolder(modelDir)));
    }

    @Test
    void placeholdersAreTheChatTemplatesVisionBlocks() {
        assertEquals("<|vision_start|><|image_pad|><|vision_end|>", processor.placeholderText("image", 1));
        assertEquals("<|vision_start|><|video_pad|><|vision_end|>", processor.placeholderText("video", 2));
        assertThrows(IllegalArgumentException.class, () -> processor.placeholderText("audio", 1));
        // the chat template the reference rendered writes exactly these blocks
        String text = fixture.testCase("mixed").get("text").asText();
        assertTrue(text.contains("First" + processor.placeholderText("image", 1) + "then"
                + processor.placeholderText("video", 1)), text);
        assertEquals(List.of("image", "video"), new Qwen25VlMultimodalProcessor().modalities());
    }

    @Test
    void placeholderCountMismatchNamesBothCounts() {
        List<MediaInput> twoImages = List.of(image("landscape.png"), image("small.png"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> processor.process(new int[] {1, IMAGE_PAD, 2}, twoImages, Map.of()));
        assertTrue(e.getMessage().contains("1 image placeholder(s)") && e.getMessage().contains("2 image(s)"),
                e.getMessage());
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> processor.process(new int[] {1, IMAGE_PAD, VIDEO_PAD, 2}, List.of(image("small.png")), Map.of()));
        assertTrue(none.getMessage().contains("1 video placeholder(s)") && none.getMessage().contains("0 video(s)"),
                none.getMessage());
    }

    @Test
    void mediaMustComeInPlaceholderOrder() {
        List<MediaInput> videoFirst = List.of(frames(), image("small.png"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> processor.process(new int[] {IMAGE_PAD, 5, VIDEO_PAD}, videoFirst, Map.of()));
        assertTrue(e.getMessage().contains("placeholder 1 of the prompt is an image placeholder"), e.getMessage());
    }

    @Test
    void otherModalitiesAreRefused() {
        MediaInput audio = MediaInput.of("audio", new byte[] {1, 2, 3}, "audio/wav", "a.wav");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> processor.process(new int[] {1, 2}, List.of(audio), Map.of()));
        assertTrue(e.getMessage().contains("not audio"), e.getMessage());
    }

    /** The fixture's two runs of the same image: with min/max pixels (scaled down) and with the defaults. */
    @Test
    void mmProcessorKwargsOverrideThePixelBounds() {
        JsonNode scaled = fixture.testCase("max_pixels");
        JsonNode defaults = fixture.testCase("max_pixels_only");
        int[] prompt = FixtureJson.ints(scaled.get("prompt_ids"));
        List<MediaInput> media = ProcessorFixture.media(scaled);
        assertArrayEquals(FixtureJson.longs(scaled.get("image_grid_thw").get(0)),
                grid(processor, prompt, media, ProcessorFixture.kwargs(scaled)));
        assertArrayEquals(FixtureJson.longs(defaults.get("image_grid_thw").get(0)),
                grid(processor, prompt, media, Map.of()));
    }

    @Test
    void invalidKwargsAreRefusedNamingTheKey() {
        int[] prompt = {IMAGE_PAD};
        List<MediaInput> media = List.of(image("small.png"));
        Map<Map<String, Object>, String> cases = Map.of(
                Map.of("max_pixel", 100), "does not take 'max_pixel'",
                Map.of("min_pixels", -5, "max_pixels", 100), "min_pixels must be a positive integer, got -5",
                Map.of("min_pixels", 100, "max_pixels", 10.5), "max_pixels must be a positive integer, got 10.5",
                Map.of("min_pixels", "many", "max_pixels", 100), "min_pixels must be a positive integer, got many",
                Map.of("min_pixels", 5000, "max_pixels", 4000), "min_pixels (5000) must not exceed max_pixels (4000)",
                Map.of("min_pixels", 3136), "must be given together",
                Map.of("fps", 0), "fps must be a positive number, got 0",
                Map.of("min_frames", 8, "max_frames", 4), "min_frames (8) must not exceed max_frames (4)",
                Map.of("max_frames", 0), "max_frames must be a positive integer, got 0");
        cases.forEach((kwargs, message) -> {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> processor.process(prompt, media, kwargs));
            assertTrue(e.getMessage().contains(message), kwargs + " -> " + e.getMessage());
        });
    }

    /** min_frames / max_frames per request bound the frames sampled from a video file, as transformers' kwargs. */
    @Test
    void maxFramesPerRequestSamplesFewerFrames() {
        MediaInput file = MediaInput.of("video", ProcessorFixture.input("seq.mkv"), null, "seq.mkv");
        int byDefault = videoTokens(file, Map.of());
        int twoFrames = videoTokens(file, Map.of("min_frames", 2, "max_frames", 2));
        assertTrue(twoFrames < byDefault, "2 frames: " + twoFrames + " tokens, by default: " + byDefault);
        // the model's min_frames (4) still applies when a request gives only max_frames
        IllegalArgumentException below = assertThrows(IllegalArgumentException.class,
                () -> videoTokens(file, Map.of("max_frames", 2)));
        assertTrue(below.getMessage().contains("min_frames (4) must not exceed max_frames (2)"), below.getMessage());
        assertEquals(byDefault, videoTokens(file, Map.of("min_frames", 2, "max_frames", 768)));
    }

    private static int videoTokens(MediaInput video, Map<String, Object> kwargs) {
        try (MultimodalPrompt p = processor.process(new int[] {VIDEO_PAD}, List.of(video), kwargs)) {
            return p.items().get(0).length();
        }
    }

    @Test
    void imagesVideoFramesAndVideoFilesAboveThePixelLimitAreRefused() throws Exception {
        MediaProcessor small = new Qwen25VlMultimodalProcessor(4000).forModel(fixture.config(), Optional.of(modelDir));
        IllegalArgumentException image = assertThrows(IllegalArgumentException.class,
                () -> small.process(new int[] {IMAGE_PAD}, List.of(image("landscape.png")), Map.of()));
        assertTrue(image.getMessage().contains("landscape.png is 80x60 = 4800 pixels; at most 4000"), image.getMessage());
        IllegalArgumentException video = assertThrows(IllegalArgumentException.class,
                () -> small.process(new int[] {VIDEO_PAD}, List.of(frames()), Map.of()));
        assertTrue(video.getMessage().contains("frame 0 is 90x60 = 5400 pixels; at most 4000"), video.getMessage());
        MediaInput file = MediaInput.of("video", ProcessorFixture.input("seq.mkv"), null, "seq.mkv");
        IllegalArgumentException videoFile = assertThrows(IllegalArgumentException.class,
                () -> small.process(new int[] {VIDEO_PAD}, List.of(file), Map.of()));
        assertTrue(videoFile.getMessage().contains("4704 pixels per frame; at most 4000"), videoFile.getMessage());
    }

    @Test
    void maxImagePixelsIsConfigurable() throws Exception {
        Qwen25VlMultimodalProcessor component = new Qwen25VlMultimodalProcessor();
        component.configure(Map.of(Qwen25VlMultimodalProcessor.MAX_IMAGE_PIXELS, "4000"));
        MediaProcessor small = component.forModel(fixture.config(), Optional.of(modelDir));
        assertThrows(IllegalArgumentException.class,
                () -> small.process(new int[] {IMAGE_PAD}, List.of(image("landscape.png")), Map.of()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> component.configure(Map.of(Qwen25VlMultimodalProcessor.MAX_IMAGE_PIXELS, "lots")));
        assertTrue(e.getMessage().contains("max.image.pixels must be a positive integer, got lots"), e.getMessage());
    }

    @Test
    void extremeAspectRatiosAreRefusedAsTransformersRefusesThem() throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> processor.process(new int[] {IMAGE_PAD}, List.of(MediaInput.of("image", png(402, 2), null,
                        "strip.png")), Map.of()));
        assertTrue(e.getMessage().contains("strip.png is 402x2: its aspect ratio 201.0 exceeds the 200"), e.getMessage());
    }

    /** transformers' own smart_resize results (and its refusal) at the edges the reference probed. */
    @Test
    void smartResizeMatchesTransformersAtTheEdges() {
        for (JsonNode probe : fixture.root.get("smart_resize")) {
            long[] in = FixtureJson.longs(probe.get("in"));
            if (probe.has("error")) {
                assertThrows(IllegalArgumentException.class,
                        () -> SmartResize.of((int) in[0], (int) in[1], 28, in[2], in[3], "probe"), probe.toString());
            } else {
                assertArrayEquals(FixtureJson.ints(probe.get("out")),
                        SmartResize.of((int) in[0], (int) in[1], 28, in[2], in[3], "probe"), probe.toString());
            }
        }
    }

    /** Without a model folder the family's settings (Qwen2.5-VL-*-Instruct's preprocessor_config.json) apply. */
    @Test
    void withoutAFolderTheFamilySettingsApply() throws Exception {
        MediaProcessor noFolder = new Qwen25VlMultimodalProcessor().forModel(fixture.config(), Optional.empty());
        JsonNode c = fixture.testCase("single_image");
        assertArrayEquals(FixtureJson.longs(c.get("image_grid_thw").get(0)),
                grid(noFolder, FixtureJson.ints(c.get("prompt_ids")), ProcessorFixture.media(c), Map.of()));
    }

    @Test
    void videoSettingsPreferTheirOwnFile(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("preprocessor_config.json"), "{\"min_pixels\": 3136, \"max_pixels\": 12845056}");
        Files.writeString(dir.resolve("video_preprocessor_config.json"), "{\"size\": {\"shortest_edge\": 100,"
                + " \"longest_edge\": 2000}, \"max_frames\": 64}");
        VisionSettings video = VisionSettings.videos(Optional.of(dir));
        assertEquals(100, video.minPixels());
        assertEquals(2000, video.maxPixels());
        assertEquals(64, video.maxFrames());
        assertEquals(3136, VisionSettings.images(Optional.of(dir)).minPixels());
    }

    @Test
    void invalidSettingsNameTheKey(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("preprocessor_config.json"), "{\"min_pixels\": \"3136\"}");
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> VisionSettings.images(Optional.of(dir)));
        assertTrue(e.getMessage().contains("'min_pixels' must be a positive integer, got \"3136\""), e.getMessage());
        Files.writeString(dir.resolve("preprocessor_config.json"), "{\"image_mean\": [0.5, 0.5]}");
        e = assertThrows(ModelLoadException.class, () -> VisionSettings.images(Optional.of(dir)));
        assertTrue(e.getMessage().contains("'image_mean' must be a number or a list of 3 numbers"), e.getMessage());
        Files.writeString(dir.resolve("preprocessor_config.json"), "{\"min_pixels\": 5000, \"max_pixels\": 4000}");
        e = assertThrows(ModelLoadException.class, () -> VisionSettings.images(Optional.of(dir)));
        assertTrue(e.getMessage().contains("min_pixels (5000) must not exceed max_pixels (4000)"), e.getMessage());
    }

    @Test
    void aVideoFileShorterThanOneTemporalPatchIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FrameSampler.indices(1, 30, 2, 2, 4, 768, "one-frame.mp4"));
        assertTrue(e.getMessage().contains("one-frame.mp4 has 1 frame(s); sampling at 2.0 fps needs at least 2"),
                e.getMessage());
    }

    /** Equal media under equal settings share a digest (prefix caching); other settings or bytes do not. */
    @Test
    void contentHashFollowsTheBytesAndTheSettings() {
        List<MediaInput> media = List.of(image("small.png"));
        String plain = hash(media, Map.of());
        assertEquals(plain, hash(media, Map.of()));
        assertNotEquals(plain, hash(media, Map.of("min_pixels", 3136, "max_pixels", 4000)));
        assertNotEquals(plain, hash(List.of(image("wide.png")), Map.of()));
    }

    /** Many items and text of every kind: items do not overlap, every pad token belongs to exactly one item. */
    @Test
    void itemsCoverExactlyTheExpandedPlaceholders() {
        List<MediaInput> media = new ArrayList<>();
        List<Integer> prompt = new ArrayList<>(List.of(10, 11));
        for (String f : List.of("tall.png", "small.png", "wide.png")) {
            media.add(image(f));
            prompt.addAll(List.of(151652, IMAGE_PAD, 151653));
        }
        media.add(frames());
        prompt.addAll(List.of(151652, VIDEO_PAD, 151653, 12));
        try (MultimodalPrompt p = processor.process(prompt.stream().mapToInt(Integer::intValue).toArray(), media,
                new HashMap<>())) {
            int covered = 0;
            for (MultimodalItem item : p.items()) {
                covered += item.length();
            }
            long pads = Arrays.stream(p.tokenIds()).filter(t -> t == IMAGE_PAD || t == VIDEO_PAD).count();
            assertEquals(pads, covered);
            assertEquals(4, p.items().size());
            assertEquals(3, p.positions().length);
        }
    }

    private static long[] grid(MediaProcessor proc, int[] prompt, List<MediaInput> media, Map<String, Object> kwargs) {
        try (MultimodalPrompt p = proc.process(prompt, media, kwargs)) {
            LongPointer g = new LongPointer(p.items().get(0).input("image_grid_thw").data_ptr());
            return new long[] {g.get(0), g.get(1), g.get(2)};
        }
    }

    private static String hash(List<MediaInput> media, Map<String, Object> kwargs) {
        try (MultimodalPrompt p = processor.process(new int[] {IMAGE_PAD}, media, kwargs)) {
            return p.items().get(0).contentHash();
        }
    }

    private static MediaInput image(String file) {
        return MediaInput.of("image", ProcessorFixture.input(file), "image/png", file);
    }

    private static MediaInput frames() {
        List<byte[]> frames = new ArrayList<>();
        for (int f = 0; f < 3; f++) {
            frames.add(ProcessorFixture.input(String.format("clip_%03d.png", f)));
        }
        return new MediaInput("video", frames, null, "clip");
    }

    private static byte[] png(int width, int height) throws IOException {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }
}
