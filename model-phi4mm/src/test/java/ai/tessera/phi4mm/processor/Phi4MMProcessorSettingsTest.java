package ai.tessera.phi4mm.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import ai.tessera.phi4mm.Phi4MMFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** preprocessor_config.json of the model folder: dynamic_hd and the audio token settings, bad values refused. */
class Phi4MMProcessorSettingsTest {
    private static final int[] IMAGE_1 = {27, 91, 3365, 62, 16, 91, 29};
    private static final int[] AUDIO_1 = {27, 91, 35146, 62, 16, 91, 29};

    @TempDir
    Path model;

    private MediaProcessor processor(String preprocessor) throws Exception {
        Files.writeString(model.resolve("preprocessor_config.json"), preprocessor);
        ModelConfig config = HfConfigLoader.fromJson(Phi4MMFixture.configJson(), null);
        return new Phi4MMProcessor().forModel(config, Optional.of(model));
    }

    @Test
    void dynamicHdAndAudioSettingsComeFromTheFolder() throws Exception {
        MediaProcessor p = processor("{\"dynamic_hd\": 2, \"audio_compression_rate\": 4}");
        MediaInput big = MediaInput.of("image", Phi4MMFixture.bytes("images/big_700x460.png"), "image/png", "big");
        try (MultimodalPrompt prompt = p.process(IMAGE_1, List.of(big), Map.of())) {
            assertEquals(Phi4MMFixture.processor().root.get("images").get("big_700x460_hd2").get("num_img_tokens")
                    .get(0).asInt(), prompt.items().get(0).length());
        }
        MediaInput wav = MediaInput.of("audio", Phi4MMFixture.bytes("audio/chirp_2s.wav"), "audio/wav", "chirp");
        try (MultimodalPrompt prompt = p.process(AUDIO_1, List.of(wav), Map.of())) {
            assertEquals(50, prompt.items().get(0).length(), "198 frames / 4, rounded up");
        }
    }

    @Test
    void badSettingsAreRefusedByName() {
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> processor("{\"dynamic_hd\": 0}"));
        assertTrue(e.getMessage().contains("dynamic_hd must be a positive integer, got 0"), e.getMessage());
        ModelLoadException f = assertThrows(ModelLoadException.class,
                () -> processor("{\"audio_feat_stride\": \"two\"}"));
        assertTrue(f.getMessage().contains("audio_feat_stride"), f.getMessage());
    }
}
