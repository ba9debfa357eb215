package ai.tessera.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tessera serve} on a Gemma4ForConditionalGeneration checkpoint with a vision tower (the tiny config of the
 * parity fixtures, random weights): chats with one and two images are answered; each image takes
 * {@code <|image>} + N {@code <|image|>} + {@code <image|>} in the prompt, N from {@code max_soft_tokens} (the
 * server's {@code --mm-processor-kwargs} 140, a request's {@code mm_processor_kwargs} 70), and audio is refused.
 * A {@code video_url} (a 10-frame Matroska clip at 2.5 fps, decoded with FFmpeg) takes per frame its timestamp,
 * {@code <|image>}, 60 {@code <|video|>} and {@code <image|>}; more videos than {@code --limit-mm-per-prompt}
 * allows are refused. The tokenizer is a word-level one over the 262144 ids with Gemma 4's ids for
 * {@code <|image|>} (258880), {@code <|video|>} (258884), {@code <|image>} (255999), {@code <image|>} (258882) and
 * {@code <eos>} (1); it splits a timestamp {@code 00:01} into three unknown words.
 */
class Gemma4VisionServeTest {
    private static final Path FIXTURES = Artifacts.ROOT.resolve("model-gemma4/src/test/resources/fixtures/gemma4");
    /** Qwen2.5-VL's reference clip: 10 frames of 84x56 at 2.5 fps, FFV1 in Matroska. */
    private static final Path CLIP = Artifacts.ROOT.resolve(
            "model-qwen25vl/src/test/resources/fixtures/qwen25vl-processor/inputs/seq.mkv");

    @TempDir
    static Path work;
    private static ServeProcess server;
    private static RawHttp http;

    @BeforeAll
    static void start() throws Exception {
        Path deploy = TesseraProcess.deployFolder(work);
        Path model = Files.createDirectories(work.resolve("gemma4v-tiny"));
        Path demo = Artifacts.ROOT.resolve("demo-model/tessera-demo");
        Files.copy(FIXTURES.resolve("gemma4_vision.config.json"), model.resolve("config.json"));
        Files.copy(demo.resolve("chat_template.jinja"), model.resolve("chat_template.jinja"));
        WordLevelTokenizer.write(model, 262144, Map.of(258880, "<|image|>", 258884, "<|video|>", 255999, "<|image>",
                258882, "<image|>", 1, "<eos>"), "<eos>");
        server = ServeProcess.start(deploy, work.resolve("serve.log"), "gemma4v-key", model.toString(),
                "--load-format", "dummy", "--dtype", "float32", "--max-model-len", "1024",
                "--limit-mm-per-prompt", "{\"image\":2,\"video\":1}", "--mm-processor-kwargs", "{\"max_soft_tokens\":140}");
        server.awaitReady(Duration.ofSeconds(180));
        http = new RawHttp(server);
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (server != null) {
            server.close();
        }
    }

    private static String request(List<String> images, Integer maxSoftTokens) throws Exception {
        return request(images, 0, maxSoftTokens);
    }

    private static String request(List<String> images, int videos, Integer maxSoftTokens) throws Exception {
        ObjectNode body = RawHttp.JSON.createObjectNode();
        body.put("model", "gemma4v-tiny").put("temperature", 0).put("max_tokens", 8);
        if (maxSoftTokens != null) {
            body.putObject("mm_processor_kwargs").put("max_soft_tokens", maxSoftTokens);
        }
        ArrayNode content = body.putArray("messages").addObject().put("role", "user").putArray("content");
        for (String image : images) {
            String url = "data:image/png;base64," + Base64.getEncoder().encodeToString(
                    Files.readAllBytes(FIXTURES.resolve(image)));
            content.addObject().put("type", "image_url").putObject("image_url").put("url", url);
        }
        for (int v = 0; v < videos; v++) {
            String url = "data:video/x-matroska;base64," + Base64.getEncoder().encodeToString(Files.readAllBytes(CLIP));
            content.addObject().put("type", "video_url").putObject("video_url").put("url", url);
        }
        content.addObject().put("type", "text").put("text", "w5 w6 w7");
        return body.toString();
    }

    private static int promptTokens(RawHttp.Reply reply) throws Exception {
        assertEquals(200, reply.status(), reply.body());
        JsonNode json = reply.json();
        assertFalse(json.get("choices").get(0).get("message").get("content").asText().isEmpty(), reply.body());
        return json.get("usage").get("prompt_tokens").asInt();
    }

    @Test
    void imagesTakeTheirSoftTokensAndAreAnswered() throws Exception {
        int text = promptTokens(http.post("/v1/chat/completions", request(List.of(), null)));
        // gemma4_a.png (56x40): 140 soft tokens at the server's max_soft_tokens 140, 63 at a request's 70;
        // gemma4_b.png (100x60): 60 at 70. Each image also brings <|image> and <image|> for its one placeholder.
        assertEquals(text + 140 + 2, promptTokens(http.post("/v1/chat/completions",
                request(List.of("gemma4_a.png"), null))));
        assertEquals(text + 63 + 2, promptTokens(http.post("/v1/chat/completions",
                request(List.of("gemma4_a.png"), 70))));
        assertEquals(text + 63 + 60 + 4, promptTokens(http.post("/v1/chat/completions",
                request(List.of("gemma4_a.png", "gemma4_b.png"), 70))));
    }

    @Test
    void aVideoTakesItsFramesWithTimestampsAndIsAnswered() throws Exception {
        int text = promptTokens(http.post("/v1/chat/completions", request(List.of(), null)));
        // each of the 10 frames: "00:00" as three words, <|image>, 60 <|video|> (84x56 at 70 soft tokens), <image|>;
        // the request's max_soft_tokens is for images only
        assertEquals(text + 10 * (3 + 1 + 60 + 1), promptTokens(http.post("/v1/chat/completions",
                request(List.of(), 1, 140))));
        assertEquals(text + 10 * 65 + 63 + 2, promptTokens(http.post("/v1/chat/completions",
                request(List.of("gemma4_a.png"), 1, 70))));
        RawHttp.Reply twoVideos = http.post("/v1/chat/completions", request(List.of(), 2, null));
        assertEquals(400, twoVideos.status(), twoVideos.body());
        assertTrue(twoVideos.body().contains("At most 1 video(s)"), twoVideos.body());
    }

    @Test
    void unsupportedInputIsRefusedAndTheServerGoesOn() throws Exception {
        RawHttp.Reply badKwarg = http.post("/v1/chat/completions", request(List.of("gemma4_a.png"), 100));
        assertEquals(400, badKwarg.status(), badKwarg.body());
        assertTrue(badKwarg.body().contains("70, 140, 280, 560, 1120"), badKwarg.body());
        ObjectNode audio = RawHttp.JSON.createObjectNode();
        audio.put("model", "gemma4v-tiny").put("max_tokens", 4);
        audio.putArray("messages").addObject().put("role", "user").putArray("content").addObject()
                .put("type", "input_audio").putObject("input_audio").put("data", "UklGRg==").put("format", "wav");
        RawHttp.Reply refused = http.post("/v1/chat/completions", audio.toString());
        assertEquals(400, refused.status(), refused.body());
        assertEquals(200, http.post("/v1/chat/completions", request(List.of("gemma4_b.png"), 70)).status());
    }
}
