package ai.tessera.gemma4;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import ai.tessera.api.MediaInput;
import ai.tessera.api.MediaProcessor;
import ai.tessera.api.ModelLoadException;
import ai.tessera.core.config.HfConfigLoader;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

/** {@code audio_config} parsing and the processor of a checkpoint that has an audio tower but no vision tower. */
class Gemma4AudioConfigTest {

    private static Gemma4AudioConfig parse(String json) throws ModelLoadException {
        return Gemma4AudioConfig.from(HfConfigLoader.fromJson(json, null));
    }

    @Test
    void absentKeysTakeTransformersDefaultsWhichAreE2bs() throws Exception {
        Gemma4AudioConfig c = parse("{}");
        assertEquals(1024, c.hiddenSize());
        assertEquals(12, c.numHiddenLayers());
        assertEquals(128, c.headDim());
        assertArrayEquals(new int[] {128, 32}, c.subsamplingChannels());
        assertEquals(12, c.chunkSize());
        assertEquals(11, c.maxPastDistance(), "transformers' window keeps distances 0 .. context_left - 2");
        assertEquals(1536, c.outputProjDims());
        assertTrue(c.useClippedLinears());
        assertEquals(1e10, c.gradientClipping());
    }

    @Test
    void errorsNameTheKeyWithExpectedAndActual() {
        ModelLoadException channels = assertThrows(ModelLoadException.class,
                () -> parse("{\"subsampling_conv_channels\":[64,32]}"));
        assertTrue(channels.getMessage().contains("subsampling_conv_channels[0] must be 128")
                && channels.getMessage().contains("got 64"), channels.getMessage());
        ModelLoadException act = assertThrows(ModelLoadException.class, () -> parse("{\"hidden_act\":\"gelu\"}"));
        assertTrue(act.getMessage().contains("hidden_act must be silu, got gelu"), act.getMessage());
        ModelLoadException heads = assertThrows(ModelLoadException.class,
                () -> parse("{\"hidden_size\":30,\"num_attention_heads\":4}"));
        assertTrue(heads.getMessage().contains("(30)") && heads.getMessage().contains("(4)"), heads.getMessage());
        ModelLoadException left = assertThrows(ModelLoadException.class,
                () -> parse("{\"attention_context_left\":1}"));
        assertTrue(left.getMessage().contains("attention_context_left must be at least 2, got 1"),
                left.getMessage());
    }

    @Test
    void aCheckpointWithAudioButNoVisionTakesAudioAndRefusesImages() throws Exception {
        ObjectNode config = (ObjectNode) new ObjectMapper().readTree(Gemma4Fixture.load(Gemma4Fixture.AUDIO)
                .configJson);
        config.remove("vision_config");
        MediaProcessor media = new Gemma4MultimodalProcessor().forModel(HfConfigLoader.fromJson(config.toString(),
                null), Optional.empty());
        assertEquals("<|audio|>", media.placeholderText("audio", 0));
        IllegalArgumentException image = assertThrows(IllegalArgumentException.class,
                () -> media.placeholderText("image", 0));
        assertTrue(image.getMessage().contains("no vision_config") && image.getMessage().contains("audio only"),
                image.getMessage());
        MediaInput wav = MediaInput.of("audio", Gemma4Fixture.resource("gemma4_audio_a.wav"), "audio/wav", "a.wav");
        try (var prompt = media.process(new int[] {2, Gemma4TokenIds.AUDIO, 5}, List.of(wav), Map.of())) {
            assertEquals(1, prompt.items().size());
            assertEquals(13, prompt.items().get(0).length());
            assertEquals(3 - 1 + 1 + 13 + 1, prompt.tokenIds().length, "the placeholder becomes <|audio> + 13 + <audio|>");
            assertEquals(Gemma4TokenIds.BOA, prompt.tokenIds()[1]);
            assertEquals(Gemma4TokenIds.EOA, prompt.tokenIds()[15]);
            assertFalse(prompt.items().get(0).contentHash().isEmpty());
        }
    }
}
