package ai.tessera.core.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A model configuration ({@code etc/ai.tessera.model-NAME.cfg}) read with serve's own flags. */
class ModelSpecTest {
    @TempDir
    Path home;

    private static Map<String, Object> props(Object... keyValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put((String) keyValues[i], keyValues[i + 1]);
        }
        return map;
    }

    @Test
    void keysAreServeFlagsWithUnderscoresOrDashes() throws Exception {
        Files.writeString(home.resolve("template.jinja"), "{{ messages }}");
        ModelSpec spec = ModelSpec.fromConfiguration(props(
                "model", "models/phi", "service.pid", "ai.tessera.model~phi", "felix.fileinstall.filename", "file:/x",
                "max_model_len", "8192", "max-num-seqs", 16, "dtype", "float32", "hf_overrides", "{\"a\":{\"b\":1}}",
                "reasoning_parser", "deepseek_r1", "enable_auto_tool_choice", "false", "enforce_eager", "true",
                "enable_prefix_caching", "false", "chat_template", "template.jinja", "swap_wait_seconds", "5",
                "drain_timeout_seconds", "7", "limit_mm_per_prompt", "{\"image\":2}"), home, "phi");
        assertEquals(home.resolve("models/phi"), spec.modelDir);
        assertEquals("phi", spec.servedName());
        assertEquals(8192, spec.engine.maxModelLen);
        assertEquals(16, spec.engine.maxNumSeqs);
        assertTrue(spec.engine.noPrefixCaching);
        assertEquals("float32", spec.load.dtype);
        assertEquals("{\"a\":{\"b\":1}}", spec.load.model.hfOverrides);
        assertEquals("deepseek_r1", spec.reasoningParser);
        assertFalse(spec.enableAutoToolChoice);
        assertTrue(spec.engine.enforceEager);
        assertEquals(home.resolve("template.jinja"), spec.chatTemplate);
        assertEquals(Duration.ofSeconds(5), spec.settings().swapWait());
        assertEquals(Duration.ofSeconds(7), spec.settings().drainTimeout());
        assertEquals(Map.of("image", 2), spec.mmLimits());
    }

    @Test
    void servedModelNameWinsOverTheFileNameWhichWinsOverTheFolderName() {
        assertEquals("alias", ModelSpec.fromConfiguration(props("model", "/m/folder", "served_model_name", "alias"),
                home, "file").servedName());
        assertEquals("file", ModelSpec.fromConfiguration(props("model", "/m/folder"), home, "file").servedName());
        assertEquals("folder", ModelSpec.fromConfiguration(props("model", "/m/folder"), home, null).servedName());
    }

    @Test
    void badConfigurationsAreRefusedNamingTheKey() {
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> ModelSpec.fromConfiguration(props("model", "/m", "max_model_length", "5"), home, null));
        assertTrue(unknown.getMessage().startsWith("unknown key 'max_model_length'; known keys: "), unknown.getMessage());
        assertTrue(unknown.getMessage().contains("max_model_len"), unknown.getMessage());

        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> ModelSpec.fromConfiguration(props("dtype", "float32"), home, null));
        assertEquals("the key 'model' (the model folder) is missing", missing.getMessage());

        IllegalArgumentException notBoolean = assertThrows(IllegalArgumentException.class,
                () -> ModelSpec.fromConfiguration(props("model", "/m", "enforce_eager", "yes"), home, null));
        assertEquals("key 'enforce_eager' must be true or false, got 'yes'", notBoolean.getMessage());

        IllegalArgumentException notANumber = assertThrows(IllegalArgumentException.class,
                () -> ModelSpec.fromConfiguration(props("model", "/m", "max_model_len", "lots"), home, null));
        assertTrue(notANumber.getMessage().contains("--max-model-len") && notANumber.getMessage().contains("'lots'"),
                notANumber.getMessage());

        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                () -> ModelSpec.fromConfiguration(props("model", "/m", "swap_wait_seconds", "-1"), home, null));
        assertEquals("--swap-wait-seconds must be zero or more, got -1", negative.getMessage());

        IllegalArgumentException badJson = assertThrows(IllegalArgumentException.class,
                () -> ModelSpec.fromConfiguration(props("model", "/m", "limit_mm_per_prompt", "{\"smell\":1}"), home, null));
        assertTrue(badJson.getMessage().contains("unknown modality 'smell'"), badJson.getMessage());
    }

    @Test
    void theNameComesFromTheFileOrTheNamedFactoryPid() {
        assertEquals("phi-4", ModelConfigurations.nameOf("file:/opt/tessera/etc/ai.tessera.model-phi-4.cfg",
                "ai.tessera.model~phi-4"));
        assertEquals("b", ModelConfigurations.nameOf(null, "ai.tessera.model~b"));
        assertNull(ModelConfigurations.nameOf(null, "ai.tessera.model.1234"));
        assertEquals("ai.tessera.model-b.cfg", ModelConfigurations.fileName("file:/opt/etc/ai.tessera.model-b.cfg"));
    }
}
