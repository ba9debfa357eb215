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
 * {@code tessera serve} on a Gemma4ForConditionalGeneration checkpoint with audio and vision towers (the tiny
 * config of the audio parity fixtures, random weights): chats with a WAV clip as {@code input_audio} and as an
 * {@code audio_url} data URL, and with a clip and an image, are answered; each clip takes {@code <|audio>} + N
 * {@code <|audio|>} + {@code <audio|>} in the prompt with N as transformers counts it (13 for the 0.5 s clip, 30 for
 * the 1.2 s one); {@code --limit-mm-per-prompt} caps the clips, and bytes that are not audio are refused with 400.
 * The tokenizer is a word-level one over the 262144 ids with Gemma 4's media ids and {@code <eos>} (1).
 */
class Gemma4AudioServeTest {
    private static final Path FIXTURES = Artifacts.ROOT.resolve("model-gemma4/src/test/resources/fixtures/gemma4");

    @TempDir
    static Path work;
    private static ServeProcess server;
    private static RawHttp http;

    @BeforeAll
    static void start() throws Exception {
        Path deploy = TesseraProcess.deployFolder(work);
        Path model = Files.createDirectories(work.resolve("gemma4a-tiny"));
        Path demo = Artifacts.ROOT.resolve("demo-model/tessera-demo");
        Files.copy(FIXTURES.resolve("gemma4_audio.config.json"), model.resolve("config.json"));
        Files.copy(demo.resolve("chat_template.jinja"), model.resolve("chat_template.jinja"));
        WordLevelTokenizer.write(model, 262144, Map.of(258880, "<|image|>", 255999, "<|image>", 258882, "<image|>",
                258881, "<|audio|>", 256000, "<|audio>", 258883, "<audio|>", 1, "<eos>"), "<eos>");
        server = ServeProcess.start(deploy, work.resolve("serve.log"), "gemma4a-key", model.toString(),
                "--load-format", "dummy", "--dtype", "float32", "--max-model-len", "1024",
                "--limit-mm-per-prompt", "{\"image\":1,\"audio\":2}", "--mm-processor-kwargs",
                "{\"max_soft_tokens\":70}");
        server.awaitReady(Duration.ofSeconds(180));
        http = new RawHttp(server);
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (server != null) {
            server.close();
        }
    }

    private static String base64(String file) throws Exception {
        return Base64.getEncoder().encodeToString(Files.readAllBytes(FIXTURES.resolve(file)));
    }

    /** A user message with the given parts ("input_audio:FILE", "audio_url:FILE", "image_url:FILE"), then text. */
    private static String request(List<String> parts) throws Exception {
        ObjectNode body = RawHttp.JSON.createObjectNode();
        body.put("model", "gemma4a-tiny").put("temperature", 0).put("max_tokens", 8);
        ArrayNode content = body.putArray("messages").addObject().put("role", "user").putArray("content");
        for (String part : parts) {
            String kind = part.substring(0, part.indexOf(':'));
            String file = part.substring(part.indexOf(':') + 1);
            switch (kind) {
                case "input_audio" -> content.addObject().put("type", "input_audio").putObject("input_audio")
                        .put("data", base64(file)).put("format", "wav");
                case "audio_url" -> content.addObject().put("type", "audio_url").putObject("audio_url")
                        .put("url", "data:audio/wav;base64," + base64(file));
                case "image_url" -> content.addObject().put("type", "image_url").putObject("image_url")
                        .put("url", "data:image/png;base64," + base64(file));
                default -> throw new IllegalArgumentException(kind);
            }
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
    void clipsTakeTheirSoftTokensAndAreAnswered() throws Exception {
        int text = promptTokens(http.post("/v1/chat/completions", request(List.of())));
        // gemma4_audio_a.wav (8000 samples): 13 soft tokens; gemma4_audio_b.wav (19357 samples): 30; each clip also
        // brings <|audio> and <audio|> for its one placeholder. gemma4_a.png at max_soft_tokens 70: 63.
        assertEquals(text + 13 + 2, promptTokens(http.post("/v1/chat/completions",
                request(List.of("input_audio:gemma4_audio_a.wav")))));
        assertEquals(text + 30 + 2, promptTokens(http.post("/v1/chat/completions",
                request(List.of("audio_url:gemma4_audio_b.wav")))));
        assertEquals(text + 13 + 30 + 4, promptTokens(http.post("/v1/chat/completions",
                request(List.of("input_audio:gemma4_audio_a.wav", "audio_url:gemma4_audio_b.wav")))));
        assertEquals(text + 13 + 63 + 4, promptTokens(http.post("/v1/chat/completions",
                request(List.of("input_audio:gemma4_audio_a.wav", "image_url:gemma4_a.png")))));
    }

    @Test
    void tooManyClipsAndBrokenAudioAreRefusedAndTheServerGoesOn() throws Exception {
        RawHttp.Reply tooMany = http.post("/v1/chat/completions", request(List.of("input_audio:gemma4_audio_a.wav",
                "input_audio:gemma4_audio_a.wav", "input_audio:gemma4_audio_b.wav")));
        assertEquals(400, tooMany.status(), tooMany.body());
        assertTrue(tooMany.body().contains("At most 2 audio"), tooMany.body());
        ObjectNode broken = RawHttp.JSON.createObjectNode();
        broken.put("model", "gemma4a-tiny").put("max_tokens", 4);
        broken.putArray("messages").addObject().put("role", "user").putArray("content").addObject()
                .put("type", "input_audio").putObject("input_audio").put("data", "UklGRg==").put("format", "wav");
        RawHttp.Reply refused = http.post("/v1/chat/completions", broken.toString());
        assertEquals(400, refused.status(), refused.body());
        assertEquals(200, http.post("/v1/chat/completions", request(List.of("input_audio:gemma4_audio_b.wav")))
                .status());
    }
}
