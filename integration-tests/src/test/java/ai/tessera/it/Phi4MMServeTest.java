package ai.tessera.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
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
 * {@code tessera serve} on a Phi4MMForCausalLM checkpoint (the tiny config of the parity fixtures in the original
 * layout, random weights, Phi-4-multimodal's chat template, a word-level tokenizer with the family's special tokens
 * and vLLM's placeholders {@code <|image_N|>} / {@code <|audio_N|>} as added tokens): two images of different crop
 * counts in one chat, audio, image + audio, per-modality limits, and {@code --hf-overrides} on the LongRoPE context
 * ({@code max_position_embeddings}, from which the served length follows).
 */
class Phi4MMServeTest {
    private static final Path FIXTURES = Artifacts.ROOT.resolve("model-phi4mm/src/test/resources/fixtures/phi4mm");

    @TempDir
    static Path work;
    private static ServeProcess server;
    private static RawHttp http;

    @BeforeAll
    static void start() throws Exception {
        Path deploy = TesseraProcess.deployFolder(work);
        Path model = Files.createDirectories(work.resolve("phi4mm-tiny"));
        Files.copy(FIXTURES.resolve("phi4mm_tiny_config.json"), model.resolve("config.json"));
        Files.copy(FIXTURES.resolve("preprocessor_config.json"), model.resolve("preprocessor_config.json"));
        Files.copy(Artifacts.ROOT.resolve("tools/reference/templates/phi4mm.jinja"), model.resolve("chat_template.jinja"));
        Map<Integer, String> specials = new HashMap<>(Map.of(199999, "<|endoftext|>", 200010, "<|image|>",
                200011, "<|audio|>", 200019, "<|assistant|>", 200020, "<|end|>", 200021, "<|user|>",
                200022, "<|system|>"));
        for (int i = 1; i <= 5; i++) {
            specials.put(200029 + i, "<|image_" + i + "|>");
            specials.put(200039 + i, "<|audio_" + i + "|>");
        }
        WordLevelTokenizer.write(model, 200064, specials, "<|endoftext|>");
        server = ServeProcess.start(deploy, work.resolve("serve.log"), "phi4mm-key", model.toString(),
                "--load-format", "dummy", "--dtype", "float32",
                "--limit-mm-per-prompt", "{\"image\":4,\"audio\":2}",
                "--hf-overrides", "{\"max_position_embeddings\":4096}");
        server.awaitReady(Duration.ofSeconds(180));
        http = new RawHttp(server);
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (server != null) {
            server.close();
        }
    }

    private static ObjectNode chat(List<String> images, List<String> audios) throws Exception {
        ObjectNode body = RawHttp.JSON.createObjectNode();
        body.put("model", "phi4mm-tiny").put("temperature", 0).put("max_tokens", 8);
        ArrayNode content = body.putArray("messages").addObject().put("role", "user").putArray("content");
        for (String image : images) {
            content.addObject().put("type", "image_url").putObject("image_url").put("url", "data:image/png;base64,"
                    + Base64.getEncoder().encodeToString(Files.readAllBytes(FIXTURES.resolve("images").resolve(image))));
        }
        for (String audio : audios) {
            content.addObject().put("type", "input_audio").putObject("input_audio").put("format", "wav")
                    .put("data", Base64.getEncoder().encodeToString(Files.readAllBytes(FIXTURES.resolve("audio")
                            .resolve(audio))));
        }
        content.addObject().put("type", "text").put("text", "Describe what you see and hear.");
        return body;
    }

    private static JsonNode ok(ObjectNode body) throws Exception {
        RawHttp.Reply reply = http.post("/v1/chat/completions", body.toString());
        assertEquals(200, reply.status(), reply.body());
        return reply.json();
    }

    @Test
    void twoImagesOfDifferentCropCountsInOneChat() throws Exception {
        // 80x60: one crop, 477 tokens; 60x900: three crops, 513 tokens (transformers' counts, see the fixtures)
        JsonNode reply = ok(chat(List.of("small_80x60.png", "tall_60x900.png"), List.of()));
        assertTrue(reply.get("usage").get("prompt_tokens").asInt() > 477 + 513, reply.toString());
        assertFalse(reply.get("choices").get(0).get("message").get("content").asText().isEmpty(), reply.toString());
        JsonNode one = ok(chat(List.of("small_80x60.png"), List.of()));
        assertEquals(513, reply.get("usage").get("prompt_tokens").asInt() - one.get("usage").get("prompt_tokens").asInt(),
                "the second image's placeholder becomes its 513 tokens");
    }

    @Test
    void audioAloneAndWithAnImage() throws Exception {
        JsonNode audio = ok(chat(List.of(), List.of("chirp_2s.wav")));
        // 2 s at 16 kHz: 198 feature frames, 25 audio tokens
        assertTrue(audio.get("usage").get("prompt_tokens").asInt() > 25, audio.toString());
        JsonNode both = ok(chat(List.of("small_80x60.png"), List.of("chirp_2s.wav")));
        assertTrue(both.get("usage").get("prompt_tokens").asInt() > 477 + 25, both.toString());
    }

    @Test
    void limitsPerModalityAreEnforced() throws Exception {
        String img = "small_80x60.png";
        RawHttp.Reply five = http.post("/v1/chat/completions", chat(List.of(img, img, img, img, img), List.of())
                .toString());
        assertEquals(400, five.status(), five.body());
        assertTrue(five.body().contains("At most 4 image(s)"), five.body());
        String wav = "chirp_2s.wav";
        RawHttp.Reply three = http.post("/v1/chat/completions", chat(List.of(), List.of(wav, wav, wav)).toString());
        assertEquals(400, three.status(), three.body());
        assertTrue(three.body().contains("At most 2 audio(s)"), three.body());
        ok(chat(List.of(img, img, img, img), List.of(wav, wav)));
    }

    @Test
    void hfOverridesSetTheLongRopeContext() throws Exception {
        RawHttp.Reply models = http.get("/v1/models");
        assertEquals(200, models.status(), models.body());
        assertEquals(4096, models.json().get("data").get(0).get("max_model_len").asInt(), models.body());
    }
}
