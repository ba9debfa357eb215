package ai.tessera.karaf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class ServeArgumentsTest {

    @Test
    void keysBecomeServeFlagsAndContainerKeysAreSkipped() {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("service.pid", "ai.tessera.serve");
        config.put("felix.fileinstall.filename", "file:/opt/karaf/etc/ai.tessera.serve.cfg");
        config.put("model", " /models/phi-4-mini ");
        config.put("port", "8123");
        config.put("max-model-len", "4096");
        config.put("enable-auto-tool-choice", "true");
        config.put("enforce-eager", "false");
        config.put("tool-call-parser", "gemma4");

        ServeArguments args = ServeArguments.of(config);

        assertEquals(List.of("serve", "/models/phi-4-mini", "--enable-auto-tool-choice", "--max-model-len", "4096",
                "--port", "8123", "--tool-call-parser", "gemma4"), args.command());
        assertEquals("/models/phi-4-mini", args.model());
        assertEquals("127.0.0.1", args.host());
        assertEquals(8123, args.port());
    }

    @Test
    void typedValuesAndRepeatedFlags() {
        Map<String, Object> config = Map.of("model", "/m", "host", "0.0.0.0", "port", 9000,
                "disable-log-requests", Boolean.TRUE, "stop", new String[] {"a", "b"});

        ServeArguments args = ServeArguments.of(config);

        assertEquals(List.of("serve", "/m", "--disable-log-requests", "--host", "0.0.0.0", "--port", "9000",
                "--stop", "a", "--stop", "b"), args.command());
        assertEquals("0.0.0.0", args.host());
        assertEquals(9000, args.port());
    }

    @Test
    void defaultsAreServesOwn() {
        ServeArguments args = ServeArguments.of(Map.of("model", "/m"));
        assertEquals(List.of("serve", "/m"), args.command());
        assertEquals("127.0.0.1", args.host());
        assertEquals(8000, args.port());
    }

    @Test
    void missingModelIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ServeArguments.of(Map.of("port", "8000", "service.pid", "ai.tessera.serve")));
        assertTrue(e.getMessage().contains("has no 'model'") && e.getMessage().contains("[port, service.pid]"),
                e.getMessage());
    }

    @Test
    void badPortAndDashedKeysAreRefused() {
        IllegalArgumentException port = assertThrows(IllegalArgumentException.class,
                () -> ServeArguments.of(Map.of("model", "/m", "port", "eighty")));
        assertTrue(port.getMessage().contains("'eighty'"), port.getMessage());
        IllegalArgumentException dashed = assertThrows(IllegalArgumentException.class,
                () -> ServeArguments.of(Map.of("model", "/m", "--port", "1")));
        assertTrue(dashed.getMessage().contains("without dashes"), dashed.getMessage());
    }
}
