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
                + "\"audio_config\":{\"hidden_size\":16,\"num_attention_heads\":2,\"num_hidden_layers\":1,"
                + "\"output_proj_dims\":16},\"text_config\":{"
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

        Result refused = run("generate", "--model", model.toString(), "--load-format", "dummy",
                "--prompt-token-ids", "2,10", "--attention-backend", "nope");
        assertEquals(1, refused.code(), refused.out() + refused.err());
        assertTrue(refused.err().contains("--attention-backend nope is not registered. Registered attention"
                + " backends: [paged, sdpa]"), refused.err());
    }

    /**
     * {@code tessera bench --rows} on the CPU with tiny lengths: every row prints its figure and its line of the
     * summary; the transformers side (no torch here, or no python3) fails alone and its cells say why.
     */
    @Test
    void benchRowsMeasureEachRowAndSurviveAFailedBaseline() throws Exception {
        Path demo = Artifacts.ROOT.resolve("demo-model/tessera-demo");
        Result r = run("bench", "--model", demo.toString(), "--load-format", "dummy", "--rows", "decode,serve,prefill",
                "--input-len", "12", "--output-len", "5", "--max-concurrency", "1,3", "--num-prompts", "4",
                "--prefill-len", "40", "--max-num-seqs", "4", "--compare-hf", "--hf-timeout", "60", "--quick");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("| measure | Tessera | transformers generate | transformers generate_batch |"
                + " Tessera ÷ better |"), r.out());
        assertTrue(r.out().matches("(?s).*\\| decode tokens/s, batch 1 \\(12 in, 5 out\\) \\| [0-9.]+ \\([0-9.]+ of the"
                + " roofline [0-9]+ tokens/s = [0-9]+ GB/s ÷ [0-9.]+ GB\\) \\| n/a: .*"), r.out());
        // every request of a level produced all its tokens: 4 requests x 5 tokens
        assertTrue(r.out().matches("(?s).*\\| output tokens/s, 1 concurrent \\(4 requests, 12 in, 5 out\\) \\| [0-9.]+"
                + " \\(20 tokens in .*"), r.out());
        assertTrue(r.out().matches("(?s).*\\| output tokens/s, 3 concurrent \\(4 requests, 12 in, 5 out\\) \\| [0-9.]+"
                + " \\(20 tokens in .*"), r.out());
        assertTrue(r.out().matches("(?s).*\\| prefill tokens/s, one prompt of 40 tokens \\| [0-9.]+ \\([0-9.]+ of the"
                + " bf16 matmul peak.*"), r.out());
        assertTrue(r.out().contains("memory bandwidth (copy of"), r.out());
        assertTrue(r.out().contains("bf16 matmul peak (512^3)"), r.out());
        assertTrue(!r.out().contains("failed:"), r.out());

        Result refused = run("bench", "--model", demo.toString(), "--load-format", "dummy", "--rows", "decode,fast");
        assertEquals(1, refused.code(), refused.out() + refused.err());
        assertTrue(refused.err().contains("--rows takes decode,serve,prefill,vision or all, got 'fast'"), refused.err());
    }

    /**
     * The batch-size table with {@code --compare-hf} where transformers cannot run (no torch here): the failure is
     * reported with the script's own last output, and Tessera is still measured.
     */
    @Test
    void benchWithAFailingBaselineStillMeasuresTessera() throws Exception {
        Path demo = Artifacts.ROOT.resolve("demo-model/tessera-demo");
        Result r = run("bench", "--model", demo.toString(), "--load-format", "dummy", "--batch-sizes", "1",
                "--input-len", "8", "--output-len", "3", "--compare-hf");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("the transformers baseline failed") && r.err().contains("Its last output:")
                && r.err().contains("continuing without the transformers comparison"), r.err());
        assertTrue(r.out().matches("(?s).*\\n\\s+1\\s+[0-9.]+\\s+[0-9.]+\\s+[0-9.]+\\s+[0-9.]+\\n.*"), r.out());
    }

    /** The vision row on a tiny Qwen2.5-VL: images/s of the processor and encoder for each image count. */
    @Test
    void benchVisionRowOnATinyQwen25Vl(@TempDir Path model) throws Exception {
        Files.copy(Artifacts.ROOT.resolve("model-qwen25vl/src/test/resources/fixtures/qwen25vl-model/qwen25vl_tiny.config.json"),
                model.resolve("config.json"));
        WordLevelTokenizer.write(model, 152064, java.util.Map.of(151643, "<|endoftext|>", 151652, "<|vision_start|>",
                151653, "<|vision_end|>", 151655, "<|image_pad|>", 151656, "<|video_pad|>"), "<|endoftext|>");
        Result r = run("bench", "--model", model.toString(), "--load-format", "dummy", "--dtype", "float32",
                "--rows", "vision", "--encoder-batch-sizes", "1,2", "--image-size", "56x84", "--input-len", "8",
                "--output-len", "2");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().matches("(?s).*\\| vision encoder images/s, 1 image\\(s\\) 56x84 \\| [0-9.]+ \\| - \\| - \\| n/a \\|.*"),
                r.out());
        assertTrue(r.out().matches("(?s).*\\| vision encoder images/s, 2 image\\(s\\) 56x84 \\| [0-9.]+ \\| .*"), r.out());
    }

    /** Without --rows, the batch-size table of earlier versions, with its flags. */
    @Test
    void benchWithoutRowsKeepsTheBatchTable() throws Exception {
        Result r = run("bench", "--model", Artifacts.ROOT.resolve("demo-model/tessera-demo").toString(),
                "--load-format", "dummy", "--batch-sizes", "1,2", "--input-len", "8", "--output-len", "3");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("input 8 tokens, output 3 tokens"), r.out());
        assertTrue(r.out().matches("(?s).*\\n\\s+2\\s+[0-9.]+\\s+[0-9.]+\\s+[0-9.]+\\s+[0-9.]+\\n.*"), r.out());
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
