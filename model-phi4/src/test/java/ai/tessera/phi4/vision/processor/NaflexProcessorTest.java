package ai.tessera.phi4.vision.processor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import ai.tessera.api.MediaInput;
import ai.tessera.api.MediaProcessor;
import ai.tessera.api.ModelConfig;
import ai.tessera.api.ModelLoadException;
import ai.tessera.api.MultimodalPrompt;
import ai.tessera.core.config.HfConfigLoader;
import ai.tessera.phi4.Phi4VisionFixture;
import ai.tessera.phi4.vision.ImageInputs;
import ai.tessera.testing.FixtureJson;
import com.fasterxml.jackson.databind.JsonNode;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The processor's sizes against transformers, its settings, and what it refuses. */
class NaflexProcessorTest {
    private final Phi4VisionFixture fixture = Phi4VisionFixture.load();

    private MediaProcessor processor(Optional<Path> folder) throws ModelLoadException {
        return new Phi4VisionProcessor().forModel(HfConfigLoader.fromJson(fixture.configJson, null), folder);
    }

    private MediaInput image(String name) {
        return MediaInput.of("image", fixture.imageBytes(name), "image/png", name);
    }

    /** transformers' get_image_size_for_max_num_patches on 68 sizes and budgets, including extreme aspect ratios. */
    @Test
    void resizeTargetsMatchTransformers() {
        for (JsonNode c : fixture.root.get("resize_sizes")) {
            int[] v = FixtureJson.ints(c);
            assertArrayEquals(new int[] {v[4], v[5]}, NaflexResize.targetSize(v[0], v[1], v[2], v[3]),
                    "height " + v[0] + " width " + v[1] + " patch " + v[2] + " max_num_patches " + v[3]);
        }
    }

    @Test
    void budgetKeepsTheImagesOwnPatchCountWithinTheBounds() {
        assertEquals(24, NaflexResize.budget(96, 64, 16, 16, 64), "in range: kept");
        assertEquals(16, NaflexResize.budget(40, 120, 16, 16, 64), "below: the minimum");
        assertEquals(64, NaflexResize.budget(200, 136, 16, 16, 64), "above: the maximum");
        assertEquals(256, NaflexResize.budget(3, 5, 16, 256, 3600), "smaller than a patch counts as one patch");
    }

    @Test
    void placeholderIsTheReservedDummyToken() throws ModelLoadException {
        assertEquals("<|dummy_0|>", processor(Optional.empty()).placeholderText("image", 1));
        assertThrows(IllegalArgumentException.class, () -> processor(Optional.empty()).placeholderText("audio", 1));
    }

    @Test
    void placeholderAndImageCountsMustAgree() throws ModelLoadException {
        MediaProcessor p = processor(Optional.empty());
        String message = assertThrows(IllegalArgumentException.class,
                () -> p.process(new int[] {1, 100256, 100256}, List.of(image("wide_96x64")), Map.of())).getMessage();
        assertEquals("the prompt holds 2 image placeholder(s) (<|dummy_0|>, token 100256) but 1 image(s) were given",
                message);
    }

    @Test
    void undecodableAndNonImageMediaAreRefusedByName() throws ModelLoadException {
        MediaProcessor p = processor(Optional.empty());
        String bad = assertThrows(IllegalArgumentException.class, () -> p.process(new int[] {100256},
                List.of(MediaInput.of("image", new byte[] {1, 2, 3, 4}, null, "upload.png")), Map.of())).getMessage();
        assertTrue(bad.contains("upload.png"), bad);
        String audio = assertThrows(IllegalArgumentException.class, () -> p.process(new int[] {100256},
                List.of(MediaInput.of("audio", new byte[] {1}, null, "a.wav")), Map.of())).getMessage();
        assertTrue(audio.contains("images only, got audio from a.wav"), audio);
    }

    @Test
    void requestKwargsChangeThePatchBudget() throws ModelLoadException {
        MediaProcessor p = processor(Optional.empty());
        try (PointerScope scope = new PointerScope();
             MultimodalPrompt small = p.process(new int[] {100256}, List.of(image("large_200x136")),
                     Map.of("max_num_patches", 20));
             MultimodalPrompt normal = p.process(new int[] {100256}, List.of(image("large_200x136")), Map.of())) {
            assertTrue(small.items().get(0).length() <= 20, "at most 20 patches");
            assertEquals(20, small.items().get(0).input(ImageInputs.PIXEL_VALUES).size(1), "padded to the new maximum");
            assertEquals(63, normal.items().get(0).length());
            assertNotEquals(small.items().get(0).contentHash(), normal.items().get(0).contentHash(),
                    "the processing is part of the content hash");
        }
        String unknown = assertThrows(IllegalArgumentException.class, () -> p.process(new int[] {100256},
                List.of(image("wide_96x64")), Map.of("do_pan_and_scan", true))).getMessage();
        assertTrue(unknown.contains("[do_pan_and_scan] are not understood") && unknown.contains("max_num_patches"),
                unknown);
        String wrong = assertThrows(IllegalArgumentException.class, () -> p.process(new int[] {100256},
                List.of(image("wide_96x64")), Map.of("min_num_patches", 64, "max_num_patches", 8))).getMessage();
        assertTrue(wrong.contains("min_num_patches 64, max_num_patches 8"), wrong);
    }

    @Test
    void sameImageSameHashOtherImageOtherHash() throws ModelLoadException {
        MediaProcessor p = processor(Optional.empty());
        try (PointerScope scope = new PointerScope();
             MultimodalPrompt two = p.process(new int[] {100256, 5, 100256, 100256},
                     List.of(image("wide_96x64"), image("wide_96x64"), image("square_56x56")), Map.of())) {
            assertEquals(two.items().get(0).contentHash(), two.items().get(1).contentHash());
            assertNotEquals(two.items().get(0).contentHash(), two.items().get(2).contentHash());
        }
    }

    @Test
    void preprocessorConfigOverridesTheConfig(@TempDir Path folder) throws IOException, ModelLoadException {
        Files.writeString(folder.resolve("preprocessor_config.json"), "{\"image_processor_type\": "
                + "\"Siglip2ImageProcessorNoUpscale\", \"max_num_patches\": 32, \"min_num_patches\": 4, \"patch_size\": 16,"
                + " \"resample\": 2, \"image_mean\": [0.5, 0.5, 0.5], \"image_std\": 0.5, \"rescale_factor\": 0.00392156862745098}");
        ModelConfig config = HfConfigLoader.fromJson(fixture.configJson, null);
        ProcessorSettings s = ProcessorSettings.from(config, Optional.of(folder));
        assertEquals(4, s.minPatches());
        assertEquals(32, s.maxPatches());
        assertArrayEquals(new float[] {0.5f, 0.5f, 0.5f}, s.imageStd());
        assertEquals(64, ProcessorSettings.from(config, Optional.empty()).maxPatches(), "config.json's own value");

        Files.writeString(folder.resolve("preprocessor_config.json"), "{\"resample\": 3}");
        String bicubic = assertThrows(ModelLoadException.class, () -> ProcessorSettings.from(config, Optional.of(folder)))
                .getMessage();
        assertTrue(bicubic.contains("resample must be 2 (PIL BILINEAR)") && bicubic.contains("got 3"), bicubic);
        Files.writeString(folder.resolve("preprocessor_config.json"), "{\"image_mean\": [0.5, 0.5]}");
        assertTrue(assertThrows(ModelLoadException.class, () -> ProcessorSettings.from(config, Optional.of(folder)))
                .getMessage().contains("image_mean must be a number or a list of 3 numbers"));
    }
}
