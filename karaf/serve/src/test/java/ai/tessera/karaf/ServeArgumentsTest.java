package ai.tessera.karaf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class ServeArgumentsTest {

    @Test
    void keysBecomeServeFlagsAndContainerKeysAreSkipped() {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("service.pid", "ai.tessera.serve");
        config.put("felix.fileinstall.filename", "file:/opt/karaf/etc/ai.tessera.serve.cfg");
        config.put("model", " /models/phi-4-mini ");
        config.put("port", "8123");
        config.put("max_model_len", "4096");
        config.put("enable-auto-tool-choice", "true");
        config.put("enforce_eager", "false");
        config.put("enable_prefix_caching", "false");
        config.put("tool-call-parser", "gemma4");

        ServeArguments args = ServeArguments.of(config);

        assertEquals(List.of("serve", "/models/phi-4-mini", "--enable-auto-tool-choice", "--no-enable-prefix-caching",
                "--max-model-len=4096", "--port=8123", "--tool-call-parser=gemma4"), args.command());
        assertEquals(Optional.of("/models/phi-4-mini"), args.model());
        assertEquals("127.0.0.1", args.host());
        assertEquals(8123, args.port());
    }

    @Test
    void typedValuesAndRepeatedFlags() {
        Map<String, Object> config = Map.of("model", "/m", "host", "0.0.0.0", "port", 9000,
                "disable-log-requests", Boolean.TRUE, "enable_prefix_caching", Boolean.TRUE,
                "limit_mm_per_prompt", new String[] {"{\"image\":2}"});

        ServeArguments args = ServeArguments.of(config);

        assertEquals(List.of("serve", "/m", "--disable-log-requests", "--host=0.0.0.0",
                "--limit-mm-per-prompt={\"image\":2}", "--port=9000"), args.command());
        assertEquals("0.0.0.0", args.host());
        assertEquals(9000, args.port());
    }

    /** Without a model the serve is the HTTP server of the ai.tessera.model-NAME configurations. */
    @Test
    void withoutModelOnlyServerSettings() {
        ServeArguments args = ServeArguments.of(Map.of("port", "8001", "api_key", "k", "service.pid", "ai.tessera.serve"));
        assertEquals(List.of("serve", "--api-key=k", "--port=8001"), args.command());
        assertEquals(Optional.empty(), args.model());
        assertEquals("the ai.tessera.model configurations", args.what());
        assertEquals(8000, ServeArguments.of(Map.of()).port());
    }

    @Test
    void emptyModelBadPortAndDashedKeysAreRefused() {
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> ServeArguments.of(Map.of("model", " ")));
        assertTrue(empty.getMessage().contains("'model' of ai.tessera.serve is empty"), empty.getMessage());
        IllegalArgumentException port = assertThrows(IllegalArgumentException.class,
                () -> ServeArguments.of(Map.of("model", "/m", "port", "eighty")));
        assertTrue(port.getMessage().contains("'eighty'"), port.getMessage());
        IllegalArgumentException dashed = assertThrows(IllegalArgumentException.class,
                () -> ServeArguments.of(Map.of("model", "/m", "--port", "1")));
        assertTrue(dashed.getMessage().contains("without dashes"), dashed.getMessage());
    }
}
