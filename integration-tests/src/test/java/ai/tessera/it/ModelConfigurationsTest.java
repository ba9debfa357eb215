package ai.tessera.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several models in one serving container, each a Config Admin factory configuration from a file in etc/: adding a
 * file loads its model, editing it reloads that model, deleting it unloads it, and /v1/models follows.
 */
class ModelConfigurationsTest {
    static final String DEMO = Artifacts.ROOT.resolve("demo-model/tessera-demo").toString();

    /** A model folder for the example bundle's bigram model (random weights: {@code load_format = dummy}). */
    static Path bigramModel(Path dir) throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), "{\"architectures\":[\"TesseraExampleBigramLM\"],"
                + "\"vocab_size\":11,\"hidden_size\":4,\"max_position_embeddings\":64}");
        return dir;
    }

    static String bigramConfig(Path dir, String extra) {
        return "model = " + dir + "\nload_format = dummy\nmax_model_len = 32\n" + extra;
    }

    static String demoConfig(String extra) {
        return "model = " + DEMO + "\nmax_model_len = 256\nkv_cache_memory = 16MiB\n" + extra;
    }

    @Test
    void addingEditingAndDeletingConfigurationsLoadsReloadsAndUnloadsModels(@TempDir Path dir) throws Exception {
        Path bigram = bigramModel(dir.resolve("bigram"));
        try (ServingContainer serving = ServingContainer.start(
                List.of("runtime-core", "model-phi4", "examples/example-architecture"),
                Map.of("ai.tessera.model-chat.cfg", demoConfig("")))) {
            serving.awaitModel("chat", ServingContainer::ready, Duration.ofSeconds(60));
            assertEquals(List.of("chat"), List.copyOf(serving.models().keySet()));

            // add: the file's name is the served name; requests name their model
            serving.writeConfig("ai.tessera.model-bigram.cfg", bigramConfig(bigram, ""));
            JsonNode b = serving.awaitModel("bigram", ServingContainer::ready, Duration.ofSeconds(30));
            assertEquals(32, b.get("max_model_len").asInt(), b.toString());
            assertEquals("TesseraExampleBigramLM", b.at("/architecture/name").asText(), b.toString());
            assertEquals("ai.tessera.example-architecture", b.at("/architecture/bundle").asText(), b.toString());
            assertEquals(bigram.toString(), b.get("root").asText());
            RawHttp.Reply fromB = serving.complete("bigram", List.of(1, 2, 3), 4);
            assertEquals(200, fromB.status(), fromB.body());
            assertEquals("bigram", fromB.json().get("model").asText());
            assertEquals(4, fromB.json().at("/usage/completion_tokens").asInt(), fromB.body());
            RawHttp.Reply fromA = serving.http.post("/v1/chat/completions", "{\"model\":\"chat\",\"messages\":"
                    + "[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":3,\"temperature\":0}");
            assertEquals(200, fromA.status(), fromA.body());
            JsonNode health = serving.http.get("/health").json();
            assertEquals("{\"bigram\":\"ready\",\"chat\":\"ready\"}", health.get("models").toString());
            assertEquals("ok", health.get("status").asText());
            RawHttp.Reply unnamed = serving.http.post("/v1/completions", "{\"prompt\":[1,2],\"max_tokens\":1}");
            assertEquals(400, unnamed.status(), unnamed.body());
            assertTrue(unnamed.body().contains("'model' is required; served models: [bigram, chat]"), unnamed.body());

            // edit: that model reloads with its new settings, the other keeps its version
            long chatCreated = serving.models().get("chat").get("created").asLong();
            serving.writeConfig("ai.tessera.model-bigram.cfg", bigramConfig(bigram, "max_model_len = 48\n")
                    .replace("max_model_len = 32\n", ""));
            serving.awaitModel("bigram", m -> ServingContainer.ready(m) && m.get("max_model_len").asInt() == 48,
                    Duration.ofSeconds(30));
            assertEquals(chatCreated, serving.models().get("chat").get("created").asLong(), "chat was not reloaded");

            // a broken edit is refused and logged; the model keeps serving its previous configuration
            serving.writeConfig("ai.tessera.model-bigram.cfg", bigramConfig(bigram, "max_model_length = 64\n"));
            Thread.sleep(1500);
            JsonNode kept = serving.models().get("bigram");
            assertTrue(ServingContainer.ready(kept) && kept.get("max_model_len").asInt() == 48, kept.toString());
            assertEquals(200, serving.complete("bigram", List.of(4, 5), 2).status());

            // delete: unloaded, gone from the list, and a request naming it is a 404
            serving.deleteConfig("ai.tessera.model-bigram.cfg");
            serving.awaitModel("bigram", m -> m == null, Duration.ofSeconds(30));
            RawHttp.Reply gone = serving.complete("bigram", List.of(1), 1);
            assertEquals(404, gone.status(), gone.body());
            assertTrue(gone.body().contains("The model 'bigram' does not exist. Served models: [chat]"), gone.body());
            assertEquals(200, serving.complete("chat", List.of(1, 2), 1).status());
        }
    }

    /** A max_model_len beyond the model's positions fails that model (as vLLM refuses it); /health says degraded. */
    @Test
    void aModelThatCannotLoadIsFailedAndHealthSaysDegraded(@TempDir Path dir) throws Exception {
        Path bigram = bigramModel(dir.resolve("bigram"));
        try (ServingContainer serving = ServingContainer.start(List.of("runtime-core", "examples/example-architecture"),
                Map.of("ai.tessera.model-long.cfg", bigramConfig(bigram, "").replace("max_model_len = 32",
                        "max_model_len = 100")))) {
            JsonNode failed = serving.awaitModel("long", m -> m != null && m.path("status").asText().equals("failed"),
                    Duration.ofSeconds(30));
            assertTrue(failed.path("status_detail").asText().contains("--max-model-len 100 is greater than the"
                    + " model's max_position_embeddings 64"), failed.toString());
            JsonNode health = serving.http.get("/health").json();
            assertEquals("degraded", health.get("status").asText(), health.toString());
            assertEquals("{\"long\":\"failed\"}", health.get("models").toString());
        }
    }

    @Test
    void aModelWaitsForItsArchitectureAndRequestsWaitThenGetA503ThatSaysWhy(@TempDir Path dir) throws Exception {
        Path bigram = bigramModel(dir.resolve("bigram"));
        try (ServingContainer serving = ServingContainer.start(List.of("runtime-core"),
                Map.of("ai.tessera.model-b.cfg", bigramConfig(bigram, "swap_wait_seconds = 1\n")))) {
            JsonNode waiting = serving.awaitModel("b", m -> m != null
                    && m.path("status_detail").asText().contains("waiting for architecture"), Duration.ofSeconds(30));
            assertEquals("loading", waiting.get("status").asText());
            assertFalse(waiting.has("max_model_len"));
            long start = System.nanoTime();
            RawHttp.Reply early = serving.complete("b", List.of(1), 1);
            assertTrue(System.nanoTime() - start >= 900_000_000L, "the request waits swap_wait_seconds first");
            assertEquals(503, early.status(), early.body());
            assertEquals("The model 'b' is not available: waiting for architecture TesseraExampleBigramLM to be "
                    + "registered; it did not become ready within 1 s (swap_wait_seconds). Retry later.",
                    early.json().at("/error/message").asText());
            assertEquals("service_unavailable", early.json().at("/error/type").asText());

            // a second serve on the same etc/ may not set per-model flags: the files hold them
            java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
            int code = serving.tessera.commands.execute(List.of("serve", "--max-model-len", "64"),
                    new java.io.PrintStream(new java.io.ByteArrayOutputStream(), true),
                    new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
            assertEquals(1, code, err.toString());
            assertTrue(err.toString().startsWith("tessera serve: per-model flags (--max-model-len) need MODEL_DIR; "
                    + "the models configured in "), err.toString());

            Artifacts.copyInto(Artifacts.jar("examples/example-architecture"), serving.tessera.deployFolder,
                    "example-architecture.jar");
            serving.awaitModel("b", ServingContainer::ready, Duration.ofSeconds(30));
            assertEquals(200, serving.complete("b", List.of(1), 1).status());
        }
    }
}
