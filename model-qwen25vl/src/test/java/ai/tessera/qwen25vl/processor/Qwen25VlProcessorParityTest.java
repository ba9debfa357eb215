package ai.tessera.qwen25vl.processor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import ai.tessera.api.MediaInput;
import ai.tessera.api.MediaProcessor;
import ai.tessera.api.MultimodalItem;
import ai.tessera.api.MultimodalPrompt;
import ai.tessera.testing.FixtureJson;
import com.fasterxml.jackson.databind.JsonNode;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The processor against transformers 5.17's {@code Qwen2_5_VLProcessor} and {@code get_rope_index}, case by case:
 * expanded ids, {@code pixel_values(_videos)} value for value (bit-exact), grids, {@code second_per_grid_ts},
 * M-RoPE positions and rope delta.
 */
class Qwen25VlProcessorParityTest {
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

    /** Only the optional MP4 case may fail there (transformers 5.17 decodes files with torchcodec alone). */
    @Test
    void referenceRanEveryRequiredCase() {
        for (JsonNode f : fixture.root.get("failures")) {
            assertTrue(f.get("optional").asBoolean(), () -> "the reference failed: " + f);
        }
        assertEquals(8, fixture.cases().size());
    }

    @TestFactory
    Stream<DynamicTest> matchesTransformers() {
        return fixture.cases().stream().filter(c -> !c.get("name").asText().equals("max_pixels_only"))
                .map(c -> DynamicTest.dynamicTest(c.get("name").asText(), () -> check(c)));
    }

    /**
     * transformers 5.17 applies min_pixels/max_pixels only as a pair and silently ignores one alone (the fixture
     * shows the image at its default size); the processor refuses the request instead of ignoring it.
     */
    @Test
    void loneMaxPixelsIsRefusedWhereTransformersIgnoresIt() {
        JsonNode c = fixture.testCase("max_pixels_only");
        assertEquals("[[1,6,8]]", c.get("image_grid_thw").toString(), "transformers kept the default size");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> processor.process(FixtureJson.ints(c.get("prompt_ids")), ProcessorFixture.media(c),
                        ProcessorFixture.kwargs(c)));
        assertTrue(e.getMessage().contains("min_pixels and max_pixels must be given together"), e.getMessage());
    }

    /**
     * The same clip as an H.264 MP4 (transformers 5.17 could not decode files on the reference machine: no
     * torchcodec): decoded with FFmpeg and sampled at 0.5 fps it gives the lossless case's frames up to compression
     * loss, so tokens, grid, second_per_grid_ts and positions equal transformers' and the pixels come close.
     */
    @Test
    void lossyVideoFileMatchesTheSampledCaseUpToCompression() {
        JsonNode c = fixture.testCase("video_sampled");
        MediaInput mp4 = MediaInput.of("video", ProcessorFixture.input("seq.mp4"),
                "video/mp4", "seq.mp4");
        try (MultimodalPrompt p = processor.process(FixtureJson.ints(c.get("prompt_ids")), List.of(mp4),
                ProcessorFixture.kwargs(c))) {
            assertArrayEquals(FixtureJson.ints(c.get("input_ids")), p.tokenIds());
            for (int s = 0; s < 3; s++) {
                assertArrayEquals(FixtureJson.longs(c.get("positions").get(s)), p.positions()[s]);
            }
            MultimodalItem video = p.items().get(0);
            assertEquals((float) c.get("second_per_grid_ts").get(0).asDouble(),
                    new FloatPointer(video.input("second_per_grid_ts").data_ptr()).get());
            float[] expected = fixture.block(c.get("pixel_values_videos"));
            float[] actual = new float[expected.length];
            new FloatPointer(video.input("pixel_values_videos").data_ptr()).get(actual);
            double sum = 0;
            for (int i = 0; i < actual.length; i++) {
                sum += Math.abs(actual[i] - expected[i]);
            }
            // normalised units: one level of 255 is about 0.015; blue's chroma loss dominates the mean
            assertTrue(sum / actual.length < 0.4, "mean |delta| " + sum / actual.length);
        }
    }

    private static void check(JsonNode c) {
        try (MultimodalPrompt p = processor.process(FixtureJson.ints(c.get("prompt_ids")), ProcessorFixture.media(c),
                ProcessorFixture.kwargs(c))) {
            assertArrayEquals(FixtureJson.ints(c.get("input_ids")), p.tokenIds(), "expanded token ids");
            comparePixels(c, p, "image", "pixel_values", "image_grid_thw");
            comparePixels(c, p, "video", "pixel_values_videos", "video_grid_thw");
            if (c.has("second_per_grid_ts")) {
                List<Float> seconds = new ArrayList<>();
                for (MultimodalItem item : items(p, "video")) {
                    Tensor s = item.input("second_per_grid_ts");
                    assertEquals(ScalarType.Float, s.scalar_type().intern());
                    seconds.add(new FloatPointer(s.data_ptr()).get());
                }
                List<Float> expected = new ArrayList<>();
                c.get("second_per_grid_ts").forEach(v -> expected.add((float) v.asDouble()));
                assertEquals(expected, seconds, "second_per_grid_ts");
            }
            JsonNode positions = c.get("positions");
            for (int s = 0; s < 3; s++) {
                assertArrayEquals(FixtureJson.longs(positions.get(s)), p.positions()[s], "M-RoPE section " + s);
            }
            assertEquals(c.get("rope_delta").asLong(), p.positionDelta(), "rope delta");
            for (MultimodalItem item : p.items()) {
                int pad = item.modality().equals("image") ? 151655 : 151656;
                for (int i = item.offset(); i < item.offset() + item.length(); i++) {
                    assertEquals(pad, p.tokenIds()[i], "item tokens are its placeholder");
                }
            }
        }
    }

    /** The items of a modality concatenated as transformers batches them, compared value for value. */
    private static void comparePixels(JsonNode c, MultimodalPrompt p, String modality, String values, String gridKey) {
        List<MultimodalItem> items = items(p, modality);
        if (!c.has(values)) {
            assertEquals(0, items.size(), "no " + modality + " expected");
            return;
        }
        float[] expected = fixture.block(c.get(values));
        JsonNode grids = c.get(gridKey);
        assertEquals(grids.size(), items.size(), modality + " items");
        int at = 0;
        double maxDelta = 0;
        int mismatches = 0;
        for (int k = 0; k < items.size(); k++) {
            MultimodalItem item = items.get(k);
            Tensor grid = item.input(gridKey);
            assertEquals(ScalarType.Long, grid.scalar_type().intern());
            assertEquals(2, grid.dim());
            assertEquals(1, grid.size(0));
            assertEquals(3, grid.size(1));
            LongPointer g = new LongPointer(grid.data_ptr());
            long[] actualGrid = {g.get(0), g.get(1), g.get(2)};
            assertArrayEquals(FixtureJson.longs(grids.get(k)), actualGrid, gridKey + " of " + modality + " " + k);
            Tensor pixels = item.input(values);
            assertEquals(ScalarType.Float, pixels.scalar_type().intern());
            assertEquals(2, pixels.dim());
            assertEquals(1176, pixels.size(1));
            assertEquals(actualGrid[0] * actualGrid[1] * actualGrid[2], pixels.size(0));
            assertEquals(actualGrid[0] * actualGrid[1] * actualGrid[2] / 4, item.length(), "tokens of " + modality + " " + k);
            float[] actual = new float[(int) pixels.numel()];
            new FloatPointer(pixels.contiguous().data_ptr()).get(actual);
            for (float v : actual) {
                float e = expected[at++];
                if (Float.floatToRawIntBits(v) != Float.floatToRawIntBits(e)) {
                    mismatches++;
                    maxDelta = Math.max(maxDelta, Math.abs(v - e));
                }
            }
        }
        assertEquals(expected.length, at, values + " sizes");
        if (mismatches > 0) {
            fail(c.get("name").asText() + ": " + values + " differ from transformers in " + mismatches + " of "
                    + expected.length + " values, max |delta| " + maxDelta);
        }
    }

    private static List<MultimodalItem> items(MultimodalPrompt p, String modality) {
        return p.items().stream().filter(i -> i.modality().equals(modality)).toList();
    }
}
