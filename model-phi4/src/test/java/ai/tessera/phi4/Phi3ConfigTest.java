package ai.tessera.phi4;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalInt;

import ai.tessera.api.ModelLoadException;
import ai.tessera.core.config.HfConfigLoader;
import ai.tessera.nn.LongRopeRotaryEmbedding;
import ai.tessera.nn.RotaryEmbedding;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.bytedeco.pytorch.Device;
import org.junit.jupiter.api.Test;

/** How Phi3ForCausalLM reads config.json, in the layouts transformers 4 and 5 write. */
class Phi3ConfigTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static ObjectNode phi4MiniConfig() throws Exception {
        return (ObjectNode) JSON.readTree(Phi3Fixture.load("phi4_mini").configJson);
    }

    private static Phi3Config read(ObjectNode json) throws ModelLoadException {
        return Phi3Config.from(HfConfigLoader.fromJson(json.toString(), null));
    }

    @Test
    void readsTheRealKeysAndDefaults() throws Exception {
        Phi3Config config = read(phi4MiniConfig());
        assertEquals(200064, config.vocabSize());
        assertEquals(32, config.headDim());
        assertEquals(OptionalInt.of(262144), config.slidingWindow());
        assertTrue(config.tieWordEmbeddings());
        assertEquals("longrope", config.rope().ropeType());
        assertEquals(0.75, config.rope().partialRotaryFactor());
        assertEquals(32, config.rope().originalMaxPositionEmbeddings());

        ObjectNode bare = JSON.createObjectNode();
        bare.putArray("architectures").add("Phi3ForCausalLM");
        Phi3Config defaults = read(bare);
        assertEquals(32064, defaults.vocabSize());
        assertEquals(96, defaults.headDim());
        assertEquals(32, defaults.numKeyValueHeads(), "num_key_value_heads defaults to num_attention_heads");
        assertEquals(OptionalInt.empty(), defaults.slidingWindow());
        assertEquals("default", defaults.rope().ropeType());
        assertEquals(10000.0, defaults.rope().theta());
    }

    /** transformers 5 saves rope_theta, the factors and the type inside rope_parameters. */
    @Test
    void transformers5RopeParametersReadLikeTheLegacyRopeScaling() throws Exception {
        ObjectNode legacy = phi4MiniConfig();
        ObjectNode v5 = legacy.deepCopy();
        ObjectNode rope = (ObjectNode) v5.remove("rope_scaling");
        rope.remove("type");
        rope.put("rope_type", "longrope");
        rope.set("rope_theta", v5.remove("rope_theta"));
        rope.set("partial_rotary_factor", v5.remove("partial_rotary_factor"));
        rope.put("original_max_position_embeddings", 32);
        v5.set("rope_parameters", rope);
        assertEquals(read(legacy), read(v5));
    }

    @Test
    void suAndYarnAreLongRopeForPhi3() throws Exception {
        for (String type : new String[] {"su", "yarn"}) {
            ObjectNode json = phi4MiniConfig();
            ((ObjectNode) json.get("rope_scaling")).put("type", type);
            assertEquals("longrope", read(json).rope().ropeType(), type);
        }
    }

    @Test
    void errorsNameTheKeyWithExpectedAndActual() throws Exception {
        ObjectNode linear = phi4MiniConfig();
        ((ObjectNode) linear.get("rope_scaling")).put("type", "linear");
        String message = assertThrows(ModelLoadException.class, () -> read(linear)).getMessage();
        assertTrue(message.contains("'default' or 'longrope'") && message.contains("'linear'"), message);

        ObjectNode gelu = phi4MiniConfig().put("hidden_act", "gelu");
        message = assertThrows(ModelLoadException.class, () -> read(gelu)).getMessage();
        assertTrue(message.contains("hidden_act") && message.contains("'gelu'"), message);

        ObjectNode shortFactors = phi4MiniConfig();
        ((ObjectNode) shortFactors.get("rope_scaling")).putArray("short_factor").add(1.0).add(1.0);
        Phi3Config config = read(shortFactors);
        message = assertThrows(ModelLoadException.class,
                () -> RotaryEmbedding.create(config.rope(), config.headDim(), new Device("cpu"))).getMessage();
        assertTrue(message.contains("short_factor must have 12 entries") && message.contains("got 2"), message);
    }

    @Test
    void longRopeScalingFollowsTransformers() throws Exception {
        // the real Phi-4-mini: 131072 / 4096 = 32, sqrt(1 + ln 32 / ln 4096)
        ObjectNode real = phi4MiniConfig().put("max_position_embeddings", 131072)
                .put("original_max_position_embeddings", 4096);
        assertEquals(Math.sqrt(1 + Math.log(32) / Math.log(4096)),
                LongRopeRotaryEmbedding.attentionScaling(read(real).rope()), 1e-15);
        ObjectNode explicit = phi4MiniConfig();
        ((ObjectNode) explicit.get("rope_scaling")).put("attention_factor", 1.25);
        assertEquals(1.25, LongRopeRotaryEmbedding.attentionScaling(read(explicit).rope()));
        ObjectNode notExtended = phi4MiniConfig().put("max_position_embeddings", 32);
        assertEquals(1.0, LongRopeRotaryEmbedding.attentionScaling(read(notExtended).rope()));
    }
}
