package ai.tessera.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalInt;

import ai.tessera.api.ModelLoadException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenerationDefaultsTest {
    @TempDir
    Path dir;

    @Test
    void missingFileMeansEmptyDefaults() throws ModelLoadException {
        assertEquals(GenerationDefaults.empty(), GenerationDefaults.load(dir));
    }

    @Test
    void readsEveryFieldWithAListOfEosIds() throws IOException, ModelLoadException {
        Files.writeString(dir.resolve(GenerationDefaults.FILE_NAME), "{\"bos_token_id\":2,\"eos_token_id\":[1,106],"
                + "\"pad_token_id\":0,\"temperature\":0.7,\"top_p\":0.95,\"top_k\":64,\"min_p\":0.05,"
                + "\"repetition_penalty\":1.1,\"max_new_tokens\":512,\"do_sample\":true,"
                + "\"transformers_version\":\"5.0.0\"}");
        GenerationDefaults d = GenerationDefaults.load(dir);
        assertEquals(List.of(1, 106), d.eosTokenIds());
        assertEquals(OptionalInt.of(2), d.bosTokenId());
        assertEquals(OptionalInt.of(0), d.padTokenId());
        assertEquals(OptionalDouble.of(0.7), d.temperature());
        assertEquals(OptionalDouble.of(0.95), d.topP());
        assertEquals(OptionalInt.of(64), d.topK());
        assertEquals(OptionalDouble.of(0.05), d.minP());
        assertEquals(OptionalDouble.of(1.1), d.repetitionPenalty());
        assertEquals(OptionalInt.of(512), d.maxNewTokens());
    }

    @Test
    void aSingleEosIdAndNullsAreAccepted() throws ModelLoadException {
        GenerationDefaults d = GenerationDefaults.fromJson("{\"eos_token_id\":32000,\"pad_token_id\":null}", "test");
        assertEquals(List.of(32000), d.eosTokenIds());
        assertEquals(OptionalInt.empty(), d.padTokenId());
        assertEquals(OptionalDouble.empty(), d.temperature());
    }

    @Test
    void wrongTypesNameTheKeyAndTheValue() throws IOException {
        Files.writeString(dir.resolve(GenerationDefaults.FILE_NAME), "{\"eos_token_id\":[1,\"x\"]}");
        String message = assertThrows(ModelLoadException.class, () -> GenerationDefaults.load(dir)).getMessage();
        assertTrue(message.contains("generation_config.json 'eos_token_id' must be an integer or a list of integers,"
                + " got \"x\""), message);
        message = assertThrows(ModelLoadException.class,
                () -> GenerationDefaults.fromJson("{\"temperature\":\"hot\"}", "g.json")).getMessage();
        assertTrue(message.contains("'temperature' must be a number, got \"hot\""), message);
        message = assertThrows(ModelLoadException.class,
                () -> GenerationDefaults.fromJson("{\"top_k\":", "g.json")).getMessage();
        assertTrue(message.startsWith("g.json is not valid JSON"), message);
    }
}
