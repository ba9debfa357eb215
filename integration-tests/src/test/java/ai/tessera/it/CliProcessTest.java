package ai.tessera.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code tessera} launcher script run as a user runs it: a separate process, its output and exit code. */
class CliProcessTest {
    private static Path deploy;

    @BeforeAll
    static void deployFolder(@TempDir Path dir) throws IOException {
        deploy = Files.createDirectories(dir.resolve("bundles"));
        for (String module : Artifacts.PRODUCT_BUNDLES) {
            Path jar = Artifacts.jar(module);
            Files.copy(jar, deploy.resolve(jar.getFileName()));
        }
    }

    private static ProcessBuilder tessera(String... args) {
        List<String> command = new ArrayList<>();
        command.add(Artifacts.ROOT.resolve("tessera").toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("TESSERA_JAVA_OPTS", "-Dtessera.bundles=" + deploy);
        return builder;
    }

    private record Result(int code, String out, String err) {
    }

    private static Result run(String... args) throws Exception {
        Process process = tessera(args).start();
        process.getOutputStream().close();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "tessera " + String.join(" ", args) + " did not finish");
        return new Result(process.exitValue(), out, err);
    }

    @Test
    void pluginsJsonListsEveryKindWithBundlesAndPlatformAvailability() throws Exception {
        Result r = run("plugins", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode json = new ObjectMapper().readTree(r.out());
        for (String kind : List.of("architecture", "multimodal-processor", "reasoning-parser", "tool-parser", "platform",
                "attention-backend", "problems")) {
            assertTrue(json.has(kind) && json.get(kind).isArray(), kind + " missing in " + r.out());
        }
        JsonNode cpu = find(json.get("platform"), "cpu");
        assertEquals("ai.tessera.runtime-core", cpu.get("bundle").asText());
        assertTrue(cpu.get("available").asBoolean());
        JsonNode cuda = find(json.get("platform"), "cuda");
        assertEquals("ai.tessera.platform-cuda", cuda.get("bundle").asText());
        assertTrue(!cuda.get("available").asBoolean() && !cuda.get("detail").asText().isEmpty(), cuda.toString());
        assertEquals("ai.tessera.runtime-core", find(json.get("attention-backend"), "sdpa").get("bundle").asText());
        assertEquals(0, json.get("problems").size(), r.out());
        // Registrations are logged with bundle name and version.
        assertTrue(r.err().contains("registered platform cuda from ai.tessera.platform-cuda 0.1.0"), r.err());
    }

    private static JsonNode find(JsonNode rows, String name) {
        for (JsonNode row : rows) {
            if (row.get("name").asText().equals(name)) {
                return row;
            }
        }
        throw new AssertionError(name + " not in " + rows);
    }

    @Test
    void unknownArchitectureIsAClearErrorListingTheRegisteredOnes(@TempDir Path model) throws Exception {
        Files.writeString(model.resolve("config.json"), "{\"architectures\":[\"NoSuchForCausalLM\"]}");
        Result r = run("resolve", model.toString());
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("No architecture named 'NoSuchForCausalLM' is registered"), r.err());
        assertTrue(r.err().contains("Registered architectures: "), r.err());
        assertTrue(!r.err().contains("\tat "), "no stack trace for the user: " + r.err());

        Result overridden = run("resolve", model.toString(), "--hf-overrides", "{\"architectures\":[\"OtherForCausalLM\"]}");
        assertEquals(1, overridden.code());
        assertTrue(overridden.err().contains("No architecture named 'OtherForCausalLM'"), overridden.err());
    }

    /** A tiny Gemma 4 (both head sizes, PLE, KV sharing) with random weights, served by the model-gemma4 bundle. */
    @Test
    void gemma4GeneratesInTheContainerAndRefusesABackendThatIsNotThere(@TempDir Path model) throws Exception {
        Files.writeString(model.resolve("config.json"), "{\"architectures\":[\"Gemma4ForConditionalGeneration\"],"
                + "\"model_type\":\"gemma4\",\"vision_config\":{\"hidden_size\":16,\"intermediate_size\":32,"
                + "\"num_hidden_layers\":1,\"num_attention_heads\":2,\"head_dim\":8,\"position_embedding_size\":16},"
                + "\"audio_config\":{\"hidden_size\":16},\"text_config\":{"
                + "\"vocab_size\":512,\"vocab_size_per_layer_input\":512,\"hidden_size\":32,"
                + "\"intermediate_size\":64,\"num_hidden_layers\":4,\"num_attention_heads\":2,"
                + "\"num_key_value_heads\":1,\"head_dim\":16,\"global_head_dim\":32,\"sliding_window\":4,"
                + "\"hidden_size_per_layer_input\":8,\"num_kv_shared_layers\":2,\"use_double_wide_mlp\":true,"
                + "\"final_logit_softcapping\":30.0,\"layer_types\":[\"sliding_attention\",\"full_attention\","
                + "\"sliding_attention\",\"full_attention\"],\"max_position_embeddings\":256}}");
        Result resolved = run("resolve", model.toString());
        assertEquals(0, resolved.code(), resolved.err());
        assertTrue(resolved.out().contains("ai.tessera.model-gemma4"), resolved.out());

        Result r = run("generate", "--model", model.toString(), "--load-format", "dummy", "--prompt-token-ids",
                "2,10,20,30,40,50,60", "--max-tokens", "6", "--temperature", "0", "--ignore-eos");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("7 prompt tokens, 6 generated"), r.err());
        assertTrue(r.err().contains("does not load the audio tower"), "the missing tower is said: " + r.err());

        Result refused = run("generate", "--model", model.toString(), "--load-format", "dummy",
                "--prompt-token-ids", "2,10", "--attention-backend", "nope");
        assertEquals(1, refused.code(), refused.out() + refused.err());
        assertTrue(refused.err().contains("--attention-backend nope is not registered. Registered attention"
                + " backends: [paged, sdpa]"), refused.err());
    }

    @Test
    void badUsageExitsWithTwo() throws Exception {
        Result r = run("plugins", "--no-such-flag");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--no-such-flag"), r.err());
    }

    @Test
    void serveKeepsRunningAndAnswersHealth() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        Process server = tessera("serve", "--port", Integer.toString(port)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            HttpClient http = HttpClient.newHttpClient();
            HttpRequest health = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                    .timeout(Duration.ofSeconds(2)).build();
            HttpResponse<String> response = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            // Jetty listens a moment before the whiteboard has mounted /health (404 until then).
            while ((response == null || response.statusCode() == 404) && System.nanoTime() < deadline
                    && server.isAlive()) {
                try {
                    response = http.send(health, HttpResponse.BodyHandlers.ofString());
                } catch (IOException notYet) {
                    response = null;
                }
                Thread.sleep(200);
            }
            assertTrue(response != null, "no /health answer; server alive: " + server.isAlive());
            assertEquals(200, response.statusCode());
            JsonNode body = new ObjectMapper().readTree(response.body());
            assertEquals("ok", body.get("status").asText());
            assertTrue(body.get("plugins").asInt() >= 4, response.body());
            assertTrue(server.isAlive(), "serve must keep running");
        } finally {
            server.destroy();
            assertTrue(server.waitFor(60, TimeUnit.SECONDS), "serve did not stop on SIGTERM");
        }
    }
}
