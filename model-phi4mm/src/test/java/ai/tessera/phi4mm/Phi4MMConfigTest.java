package ai.tessera.phi4mm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import ai.tessera.api.ModelLoadException;
import ai.tessera.core.config.HfConfigLoader;
import org.junit.jupiter.api.Test;

/** The real Phi-4-multimodal-instruct config.json (tools/device), read as the model reads it, and bad overrides. */
class Phi4MMConfigTest {
    private static String real() throws Exception {
        return Files.readString(Path.of("../tools/device/phi4-multimodal-instruct.config.json"));
    }

    @Test
    void theRealConfig() throws Exception {
        Phi4MMConfig c = Phi4MMConfig.from(HfConfigLoader.fromJson(real(), null));
        assertEquals(3072, c.hiddenSize());
        assertEquals(32, c.numHiddenLayers());
        assertEquals(24, c.numAttentionHeads());
        assertEquals(8, c.numKeyValueHeads());
        assertEquals(128, c.headDim());
        assertEquals(200064, c.vocabSize());
        assertTrue(c.tieWordEmbeddings());
        assertEquals("longrope", c.rope().ropeType());
        assertEquals(48, c.rope().longFactor().size());
        assertEquals(4096, c.rope().originalMaxPositionEmbeddings());
        assertEquals("vision", c.adapters().get(0).name());
        assertEquals(256, c.adapters().get(0).rank());
        assertEquals(2.0, c.adapters().get(0).scaling());
        assertEquals(320, c.adapters().get(1).rank());
        assertEquals(2.0, c.adapters().get(1).scaling());
        // the checkpoint's code fixes the tower: SigLIP so400m-patch14-448, read after its 26th of 27 layers
        assertEquals(1152, c.vision().hiddenSize());
        assertEquals(27, c.vision().numHiddenLayers());
        assertEquals(-2, c.vision().featureLayer());
        assertEquals(32, c.vision().patchesPerSide());
        assertEquals(448, c.cropSize());
    }

    @Test
    void unsupportedSettingsAreRefusedByName() throws Exception {
        ModelLoadException order = assertThrows(ModelLoadException.class, () -> Phi4MMConfig.from(
                HfConfigLoader.fromJson(real(), "{\"embd_layer\":{\"image_embd_layer\":{\"hd_transform_order\":\"glb_sub\"}}}")));
        assertTrue(order.getMessage().contains("hd_transform_order") && order.getMessage().contains("glb_sub"),
                order.getMessage());
        ModelLoadException crop = assertThrows(ModelLoadException.class, () -> Phi4MMConfig.from(
                HfConfigLoader.fromJson(real(), "{\"embd_layer\":{\"image_embd_layer\":{\"crop_size\":336}}}")));
        assertTrue(crop.getMessage().contains("crop_size (336)"), crop.getMessage());
        ModelLoadException rank = assertThrows(ModelLoadException.class, () -> Phi4MMConfig.from(
                HfConfigLoader.fromJson(real(), "{\"speech_lora\":{\"r\":0}}")));
        assertTrue(rank.getMessage().contains("speech_lora.r"), rank.getMessage());
    }
}
