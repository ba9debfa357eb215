package ai.tessera.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tessera serve --reasoning-parser deepseek_r1} on a Phi4ForCausalLMV checkpoint (the tiny config of the
 * parity fixtures, random weights): multi-image chats of different aspect ratios are answered, plain and streamed,
 * with the output in {@code reasoning_content} (random weights never close {@code </think>}, and the deepseek_r1
 * parser then counts all of it as reasoning — its splitting is tested token by token in the parsers bundle).
 * The tokenizer is a word-level one written here over the model's 100352 ids, with Phi-4's ids for
 * {@code <|dummy_0|>} (100256, the image placeholder) and {@code <|endoftext|>} (100257).
 */
class Phi4VisionServeTest {
    private static final Path FIXTURES = Artifacts.ROOT.resolve("model-phi4/src/test/resources/fixtures/phi4v");

    @TempDir
    static Path work;
    private static ServeProcess server;
    private static RawHttp http;

    @BeforeAll
    static void start() throws Exception {
        Path deploy = TesseraProcess.deployFolder(work);
        Path model = Files.createDirectories(work.resolve("phi4v-tiny"));
        Path demo = Artifacts.ROOT.resolve("demo-model/tessera-demo");
        Files.copy(FIXTURES.resolve("phi4v_tiny.config.json"), model.resolve("config.json"));
        Files.copy(demo.resolve("chat_template.jinja"), model.resolve("chat_template.jinja"));
        WordLevelTokenizer.write(model, 100352, java.util.Map.of(100256, "<|dummy_0|>", 100257, "<|endoftext|>"),
                "<|endoftext|>");
        server = ServeProcess.start(deploy, work.resolve("serve.log"), "phi4v-key", model.toString(),
                "--load-format", "dummy", "--dtype", "float32", "--max-model-len", "1024",
                "--reasoning-parser", "deepseek_r1", "--limit-mm-per-prompt", "{\"image\":3}");
        server.awaitReady(Duration.ofSeconds(180));
        http = new RawHttp(server);
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (server != null) {
            server.close();
        }
    }

    private static String request(boolean stream, List<String> images) throws Exception {
        ObjectNode body = RawHttp.JSON.createObjectNode();
        body.put("model", "phi4v-tiny").put("temperature", 0).put("max_tokens", 12).put("stream", stream);
        ArrayNode content = body.putArray("messages").addObject().put("role", "user").putArray("content");
        for (String image : images) {
            String url = "data:image/png;base64," + Base64.getEncoder().encodeToString(
                    Files.readAllBytes(FIXTURES.resolve("images").resolve(image)));
            content.addObject().put("type", "image_url").putObject("image_url").put("url", url);
        }
        content.addObject().put("type", "text").put("text", "Compare these pictures.");
        return body.toString();
    }

    @Test
    void threeImagesOfDifferentAspectRatiosAreAnsweredWithReasoningApart() throws Exception {
        List<String> images = List.of("tall_40x120.png", "wide_96x64.png", "square_56x56.png");
        RawHttp.Reply reply = http.post("/v1/chat/completions", request(false, images));
        assertEquals(200, reply.status(), reply.body());
        JsonNode message = reply.json().get("choices").get(0).get("message");
        String reasoning = message.path("reasoning_content").asText("");
        assertFalse(reasoning.isEmpty(), reply.body());
        assertTrue(message.get("content").isNull() || message.get("content").asText().isEmpty(), reply.body());
        // every image takes at least min_num_patches (16) tokens
        assertTrue(reply.json().get("usage").get("prompt_tokens").asInt() > 3 * 16, reply.body());

        RawHttp.Reply streamed = http.post("/v1/chat/completions", request(true, images));
        assertEquals(200, streamed.status(), streamed.body());
        StringBuilder deltas = new StringBuilder();
        for (String line : streamed.body().split("\n")) {
            if (line.startsWith("data: {")) {
                JsonNode choices = RawHttp.JSON.readTree(line.substring(6)).get("choices");
                if (choices.size() > 0 && choices.get(0).get("delta").hasNonNull("reasoning_content")) {
                    deltas.append(choices.get(0).get("delta").get("reasoning_content").asText());
                }
            }
        }
        assertEquals(reasoning, deltas.toString());
    }

    @Test
    void aFourthImageIsRefusedAndTheServerGoesOn() throws Exception {
        List<String> four = List.of("tall_40x120.png", "wide_96x64.png", "square_56x56.png", "large_200x136.png");
        RawHttp.Reply reply = http.post("/v1/chat/completions", request(false, four));
        assertEquals(400, reply.status(), reply.body());
        assertTrue(reply.body().contains("At most 3 image(s)"), reply.body());
        assertEquals(200, http.post("/v1/chat/completions", request(false, List.of("large_200x136.png"))).status());
    }
}
