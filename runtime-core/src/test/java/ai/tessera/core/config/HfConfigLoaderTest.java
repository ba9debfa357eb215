package ai.tessera.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import ai.tessera.api.ModelLoadException;
import org.junit.jupiter.api.Test;

class HfConfigLoaderTest {
    private static final String CONFIG = "{\"architectures\":[\"Gemma3ForConditionalGeneration\"],"
            + "\"text_config\":{\"hidden_size\":64,\"rope_scaling\":{\"type\":\"linear\",\"factor\":8.0},"
            + "\"layer_types\":[\"sliding\",\"full\"]},\"vision_config\":{\"image_size\":896}}";

    @Test
    void overridesMergeNestedObjectsAndReplaceScalarsAndArrays() throws ModelLoadException {
        JsonModelConfig config = HfConfigLoader.fromJson(CONFIG, "{\"text_config\":{\"hidden_size\":128,"
                + "\"rope_scaling\":{\"factor\":4.0},\"layer_types\":[\"full\"]},\"architectures\":[\"Other\"]}");
        assertEquals("Other", config.architecture());
        assertEquals(128, config.getInt("text_config.hidden_size"));
        assertEquals("linear", config.getString("text_config.rope_scaling.type").orElseThrow());
        assertEquals(4.0, config.getDouble("text_config.rope_scaling.factor"));
        assertTrue(config.toJson().contains("\"layer_types\":[\"full\"]"), config.toJson());
        assertEquals(896, config.getInt("vision_config.image_size"));
    }

    @Test
    void anObjectOverrideReplacesAScalarAndNullReplacesAValue() throws ModelLoadException {
        JsonModelConfig config = HfConfigLoader.fromJson("{\"a\":1,\"b\":{\"c\":2}}", "{\"a\":{\"x\":1},\"b\":null}");
        assertEquals(1, config.getInt("a.x"));
        assertFalse(config.has("b"));
    }

    @Test
    void nullIsToldApartFromAbsentAndStringListsAreRead() throws ModelLoadException {
        JsonModelConfig config = HfConfigLoader.fromJson("{\"t\":{\"ple\":null,\"n\":3,\"types\":[\"a\",\"b\"],"
                + "\"mixed\":[\"a\",1]}}", null);
        assertTrue(config.isNull("t.ple"));
        assertFalse(config.has("t.ple"), "has() is false for null, as for absent");
        assertFalse(config.isNull("t.absent"));
        assertFalse(config.isNull("t.n"));
        assertTrue(config.section("t").orElseThrow().isNull("ple"), "sections answer too");
        assertEquals(List.of("a", "b"), config.getStrings("t.types"));
        assertEquals(List.of(), config.getStrings("t.absent"));
        String message = assertThrows(ModelLoadException.class, () -> config.getStrings("t.mixed")).getMessage();
        assertTrue(message.contains("'t.mixed' must be a list of strings"), message);
    }

    @Test
    void invalidOverridesAreNamed() {
        String message = assertThrows(ModelLoadException.class,
                () -> HfConfigLoader.fromJson(CONFIG, "{hidden_size: 3}")).getMessage();
        assertTrue(message.startsWith("--hf-overrides is not valid JSON"), message);
        message = assertThrows(ModelLoadException.class, () -> HfConfigLoader.fromJson(CONFIG, "[1]")).getMessage();
        assertTrue(message.contains("--hf-overrides must be a JSON object"), message);
    }

    @Test
    void textConfigIsTheNestedSectionWhenPresent() throws ModelLoadException {
        JsonModelConfig multimodal = HfConfigLoader.fromJson(CONFIG, null);
        assertEquals(64, multimodal.textConfig().getInt("hidden_size"));
        assertEquals(List.of(), multimodal.textConfig().getDoubles("image_size"));
        JsonModelConfig textOnly = HfConfigLoader.fromJson("{\"hidden_size\":32}", null);
        assertSame(textOnly, textOnly.textConfig());
    }
}
