package ai.tessera.phi4mm.audio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.tessera.api.ModelLoadException;
import ai.tessera.core.config.HfConfigLoader;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

/** The audio settings read from the original config.json layout, and the settings the checkpoint never uses refused. */
class Phi4MMAudioConfigTest {
    private final String tiny = AudioFixture.load().configJson;

    @Test
    void readsTheTinyConfigsConformer() throws ModelLoadException {
        Phi4MMAudioConfig c = Phi4MMAudioConfig.from(HfConfigLoader.fromJson(tiny, null));
        assertEquals(128, c.hiddenSize());
        assertEquals(64, c.attentionDim());
        assertEquals(4, c.attentionHeads());
        assertEquals(16, c.headDim());
        assertEquals(96, c.linearUnits());
        assertEquals(2, c.numBlocks());
        assertEquals(80, c.inputSize());
        assertEquals(8, c.timeReduction());
        assertEquals(3, c.subsamplingStages());
        assertEquals(10, c.subsampledFrequencies(), "80 -> 40 -> 20 -> 10 mel bins");
        assertEquals(32, c.convChannels());
        assertEquals(3, c.kernelSize());
        assertEquals(500, c.biasMaxDistance());
        assertEquals(false, c.biasSymmetric());
        assertEquals(Activation.SWISH, c.activation());
        assertEquals(Activation.SWISH, c.convActivation());
        assertEquals(Activation.SWISH, c.convGluActivation());
        assertEquals(8, c.compressionRate());
        assertEquals(38, Phi4MMAudioEmbedding.audioTokenCount(298, c));
    }

    @Test
    void refusesStreamingChunksNamingTheKeyAndValue() throws Exception {
        ModelLoadException e = assertThrows(ModelLoadException.class,
                () -> Phi4MMAudioConfig.from(HfConfigLoader.fromJson(with("audio_processor", "config", "chunk_size", 18), null)));
        assertTrue(e.getMessage().contains("audio_processor.config.chunk_size") && e.getMessage().contains("got 18"),
                e.getMessage());
    }

    @Test
    void refusesALinearDownsampleAndAnUnknownActivation() throws Exception {
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> Phi4MMAudioConfig.from(
                HfConfigLoader.fromJson(with("embd_layer", "audio_embd_layer", "downsample_rate", 2), null)));
        assertTrue(e.getMessage().contains("embd_layer.audio_embd_layer.downsample_rate") && e.getMessage().contains("got 2"),
                e.getMessage());
        e = assertThrows(ModelLoadException.class, () -> Phi4MMAudioConfig.from(
                HfConfigLoader.fromJson(with("audio_processor", "config", "conv_activation", "tanh"), null)));
        assertTrue(e.getMessage().contains("conv_activation") && e.getMessage().contains("tanh"), e.getMessage());
    }

    private String with(String section, String subsection, String key, Object value) throws Exception {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = (ObjectNode) json.readTree(tiny);
        ObjectNode node = (ObjectNode) root.get(section).get(subsection);
        node.set(key, json.valueToTree(value));
        return json.writeValueAsString(root);
    }
}
