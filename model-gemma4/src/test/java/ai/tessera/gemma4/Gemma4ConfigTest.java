package ai.tessera.gemma4;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.function.Consumer;

import ai.tessera.api.AttentionLayerSpec;
import ai.tessera.api.ModelLoadException;
import ai.tessera.core.config.HfConfigLoader;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;

/**
 * How the Gemma 4 decoder reads config.json: the released configurations (text parts of gemma-4-E2B-it, E4B-it and
 * 26B-A4B-it in {@code tools/device/}, without their vision and audio towers), transformers' defaults and its
 * null-versus-absent distinctions, the {@code per_layer_config} layout transformers 5.15+ saves, and errors that
 * name the key with expected and actual values.
 */
class Gemma4ConfigTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path DEVICE_CONFIGS = Path.of("..", "tools", "device");

    private static ObjectNode deviceConfig(String name) throws Exception {
        return (ObjectNode) JSON.readTree(Files.readString(DEVICE_CONFIGS.resolve(name + ".config.json")));
    }

    private static Gemma4TextConfig readText(ObjectNode text) throws ModelLoadException {
        return Gemma4TextConfig.from(HfConfigLoader.fromJson(text.toString(), null), "");
    }

    private static AttentionLayout layout(Gemma4TextConfig config) throws ModelLoadException {
        return AttentionLayout.of(config, ScalarType.BFloat16);
    }

    private static ObjectNode tinyText() throws Exception {
        return (ObjectNode) JSON.readTree(Gemma4Fixture.load(Gemma4Fixture.MOE).configJson);
    }

    @Test
    void e2bSharesTheKeysAndValuesOfLayers13And14WithItsLast20Layers() throws Exception {
        Gemma4TextConfig config = readText((ObjectNode) deviceConfig("gemma-4-e2b-it").get("text_config"));
        AttentionLayout layout = layout(config);
        assertEquals(35, config.numHiddenLayers());
        assertEquals(15, layout.cacheLayers().size(), "layers 15-34 have no KV cache of their own");
        assertEquals(new AttentionLayerSpec(256, 8, 1, OptionalInt.of(512), OptionalDouble.empty(),
                ScalarType.BFloat16), layout.layer(0).spec());
        assertEquals(AttentionLayerSpec.causal(512, 8, 1, ScalarType.BFloat16), layout.layer(4).spec());
        for (int i = 15; i < 35; i++) {
            boolean full = i % 5 == 4;
            assertEquals(full ? 14 : 13, layout.layer(i).source(), "layer " + i);
            assertEquals(full ? 14 : 13, layout.layer(i).cacheIndex(), "layer " + i);
            assertTrue(layout.layer(i).doubleWideMlp(), "use_double_wide_mlp widens the shared layers' MLP");
        }
        assertTrue(layout.layer(13).keepsKv() && layout.layer(14).keepsKv() && !layout.layer(12).keepsKv());
        assertFalse(layout.layer(14).doubleWideMlp());
        assertEquals(256, config.hiddenSizePerLayerInput());
        assertEquals(OptionalDouble.of(30.0), config.finalLogitSoftcapping());
        assertEquals(new Gemma4TextConfig.Rope("proportional", 1_000_000.0, 0.25, 1.0),
                config.rope().get(LayerType.FULL));
    }

    @Test
    void e4bAnd26bA4bLayouts() throws Exception {
        AttentionLayout e4b = layout(readText((ObjectNode) deviceConfig("gemma-4-e4b-it").get("text_config")));
        assertEquals(24, e4b.cacheLayers().size(), "42 layers, the last 18 shared");
        assertEquals(23, e4b.layer(41).source(), "the last (full) layer reads layer 23, the last full one before 24");
        assertEquals(22, e4b.layer(24).source(), "sliding layers from 24 on read layer 22");

        Gemma4TextConfig moe = readText((ObjectNode) deviceConfig("gemma-4-26b-a4b-it").get("text_config"));
        AttentionLayout layout = layout(moe);
        assertEquals(30, layout.cacheLayers().size());
        assertEquals(AttentionLayerSpec.causal(512, 16, 2, ScalarType.BFloat16), layout.layer(5).spec(),
                "k_eq_v full layers: global_head_dim and num_global_key_value_heads");
        assertEquals(new AttentionLayerSpec(256, 16, 8, OptionalInt.of(1024), OptionalDouble.empty(),
                ScalarType.BFloat16), layout.layer(0).spec());
        assertEquals(new Gemma4TextConfig.Moe(128, 8, 704), moe.moe().orElseThrow());
        assertEquals(0, moe.hiddenSizePerLayerInput());
        assertTrue(moe.attentionKEqV());
    }

    @Test
    void absentKeysTakeTransformersDefaults() throws Exception {
        Gemma4TextConfig config = readText(JSON.createObjectNode());
        assertEquals(30, config.numHiddenLayers());
        for (int i = 0; i < 30; i++) {
            assertEquals((i + 1) % 6 == 0 ? LayerType.FULL : LayerType.SLIDING, config.layers().get(i).type());
        }
        assertEquals(new Gemma4TextConfig.LayerAttention(LayerType.SLIDING, 256, 4), config.layers().get(0));
        assertEquals(new Gemma4TextConfig.LayerAttention(LayerType.FULL, 512, 4), config.layers().get(5));
        assertEquals(256, config.hiddenSizePerLayerInput(), "PLE is on unless hidden_size_per_layer_input says not");
        assertEquals(OptionalInt.of(512), config.slidingWindow());
        assertEquals(OptionalDouble.empty(), config.finalLogitSoftcapping());
        assertEquals(new Gemma4TextConfig.Rope("default", 10_000.0, 1.0, 1.0), config.rope().get(LayerType.SLIDING));
        assertEquals(262_144, config.vocabSize());
        assertTrue(config.tieWordEmbeddings());
    }

    @Test
    void nullMeansTransformersNone() throws Exception {
        ObjectNode text = tinyText();
        text.putNull("hidden_size_per_layer_input");
        text.putNull("global_head_dim");
        text.putNull("sliding_window");
        text.putNull("final_logit_softcapping");
        Gemma4TextConfig config = readText(text);
        assertEquals(0, config.hiddenSizePerLayerInput(), "null turns PLE off (absent would mean 256)");
        assertEquals(32, config.layers().get(5).headDim(), "a null global_head_dim falls back to head_dim");
        assertEquals(OptionalInt.empty(), config.slidingWindow());
        assertEquals(OptionalDouble.empty(), config.finalLogitSoftcapping());
    }

    @Test
    void perLayerConfigAsTransformers515SavesIt() throws Exception {
        ObjectNode text = tinyText();
        text.remove("global_head_dim");
        text.remove("num_global_key_value_heads");
        ObjectNode perLayer = text.putObject("per_layer_config");
        perLayer.putObject("5").put("head_dim", 128).put("num_key_value_heads", 4);
        Gemma4TextConfig config = readText(text);
        assertEquals(new Gemma4TextConfig.LayerAttention(LayerType.FULL, 128, 4), config.layers().get(5));
        assertEquals(new Gemma4TextConfig.LayerAttention(LayerType.SLIDING, 32, 2), config.layers().get(0));
    }

    @Test
    void theLastLayerIsAlwaysFull() throws Exception {
        ObjectNode text = tinyText();
        text.putArray("layer_types").add("full_attention").add("sliding_attention").add("sliding_attention")
                .add("sliding_attention").add("sliding_attention").add("sliding_attention");
        Gemma4TextConfig config = readText(text);
        assertEquals(LayerType.FULL, config.layers().get(5).type());
        assertEquals(LayerType.FULL, config.layers().get(0).type());
    }

    @Test
    void errorsNameTheKeyWithExpectedAndActual() throws Exception {
        expectError(t -> t.put("hidden_activation", "gelu"), "hidden_activation must be 'gelu_pytorch_tanh'",
                "got 'gelu'");
        expectError(t -> t.remove("num_global_key_value_heads"), "attention_k_eq_v is true",
                "num_global_key_value_heads", "absent");
        expectError(t -> t.putNull("num_global_key_value_heads"), "num_global_key_value_heads", "null");
        expectError(t -> t.putArray("layer_types").add("sliding_attention").add("full_attention"),
                "layer_types must name num_hidden_layers (6) layers, got 2");
        expectError(t -> ((com.fasterxml.jackson.databind.node.ArrayNode) t.get("layer_types")).set(2,
                "chunked_attention"), "layer_types[2] must be 'sliding_attention' or 'full_attention'",
                "'chunked_attention'");
        expectError(t -> t.put("num_kv_shared_layers", 6), "num_kv_shared_layers must be less than"
                + " num_hidden_layers (6)", "got 6");
        expectError(t -> t.remove("top_k_experts"), "enable_moe_block is true but top_k_experts is missing");
        expectError(t -> t.put("top_k_experts", 9), "top_k_experts (9) must not exceed num_experts (8)");
        expectError(t -> t.put("use_bidirectional_attention", "all"), "use_bidirectional_attention",
                "got 'all'");
        expectError(t -> ((ObjectNode) t.get("rope_parameters").get("full_attention")).put("rope_type", "yarn"),
                "rope_parameters.full_attention.rope_type must be 'default' or 'proportional'", "got 'yarn'");
        expectError(t -> t.put("num_key_value_heads", 3), "num_attention_heads (4) must be a positive multiple of"
                + " layer 0's key/value heads (3)");
        expectError(t -> t.put("sliding_window", 0), "sliding_window must be at least 1, got 0");
    }

    @Test
    void sharedLayersNeedAnEarlierLayerOfTheirKind() throws Exception {
        ObjectNode text = tinyText();
        text.putArray("layer_types").add("full_attention").add("sliding_attention").add("sliding_attention")
                .add("sliding_attention").add("sliding_attention").add("full_attention");
        text.put("num_kv_shared_layers", 5);
        Gemma4TextConfig config = readText(text);
        String message = assertThrows(ModelLoadException.class, () -> layout(config)).getMessage();
        assertTrue(message.contains("layer 1 (sliding_attention)") && message.contains("none of layers 0..0"),
                message);
    }

    private static void expectError(Consumer<ObjectNode> change, String... fragments) throws Exception {
        ObjectNode text = tinyText();
        change.accept(text);
        String message = assertThrows(ModelLoadException.class, () -> readText(text), List.of(fragments).toString())
                .getMessage();
        for (String fragment : fragments) {
            assertTrue(message.contains(fragment), "expected '" + fragment + "' in: " + message);
        }
    }
}
