package ai.tessera.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tessera serve} on a Qwen2.5-VL checkpoint (the tiny config of the parity fixtures, random weights, Qwen's
 * chat template, a word-level tokenizer with Qwen's special tokens at their ids): images and a video file (decoded
 * by FFmpeg inside the container) in one chat, several images per message, per-modality limits.
 */
class Qwen25VlServeTest {
    private static final Path PROCESSOR_INPUTS = Artifacts.ROOT.resolve(
            "model-qwen25vl/src/test/resources/fixtures/qwen25vl-processor/inputs");

    @TempDir
    static Path work;
    private static ServeProcess server;
    private static RawHttp http;
    private static Path media;

    @BeforeAll
    static void start() throws Exception {
        Path deploy = TesseraProcess.deployFolder(work);
        Path model = Files.createDirectories(work.resolve("qwen25vl-tiny"));
        Files.copy(Artifacts.ROOT.resolve("model-qwen25vl/src/test/resources/fixtures/qwen25vl-model/qwen25vl_tiny.config.json"),
                model.resolve("config.json"));
        Files.copy(Artifacts.ROOT.resolve("tools/reference/templates/qwen2_5_vl.jinja"), model.resolve("chat_template.jinja"));
        WordLevelTokenizer.write(model, 152064, Map.of(151643, "<|endoftext|>", 151644, "<|im_start|>",
                151645, "<|im_end|>", 151652, "<|vision_start|>", 151653, "<|vision_end|>", 151655, "<|image_pad|>",
                151656, "<|video_pad|>"), "<|im_end|>");
        media = Files.createDirectories(work.resolve("media"));
        Files.copy(PROCESSOR_INPUTS.resolve("seq.mkv"), media.resolve("clip.mkv"));
        server = ServeProcess.start(deploy, work.resolve("serve.log"), "qwen-key", model.toString(),
                "--load-format", "dummy", "--dtype", "float32", "--max-model-len", "2048",
                "--limit-mm-per-prompt", "{\"image\":3,\"video\":1}", "--allowed-local-media-path", media.toString(),
                "--mm-processor-kwargs", "{\"min_pixels\":3136,\"max_pixels\":50176}");
        server.awaitReady(Duration.ofSeconds(180));
        http = new RawHttp(server);
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (server != null) {
            server.close();
        }
    }

    /** Server-wide --mm-processor-kwargs the processor refuses are a flag error, not a 400 on every media request. */
    @Test
    void serverWideProcessorKwargsAreCheckedWhenTheModelLoads() throws Exception {
        TesseraProcess.Result r = TesseraProcess.run(work.resolve("bundles"), Duration.ofSeconds(120), "serve",
                work.resolve("qwen25vl-tiny").toString(), "--load-format", "dummy", "--max-model-len", "256",
                "--mm-processor-kwargs", "{\"bogus\":1}");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("tessera serve: --mm-processor-kwargs {bogus=1} is refused by the model's processor:"
                + " mm_processor_kwargs: Qwen2.5-VL does not take 'bogus'"), r.err());
    }

    private static String image(String file) throws Exception {
        return "data:image/" + file.substring(file.lastIndexOf('.') + 1) + ";base64,"
                + Base64.getEncoder().encodeToString(Files.readAllBytes(PROCESSOR_INPUTS.resolve(file)));
    }

    private static ObjectNode chat(String... parts) {
        ObjectNode body = RawHttp.JSON.createObjectNode();
        body.put("model", "qwen25vl-tiny").put("temperature", 0).put("max_tokens", 8);
        ArrayNode content = body.putArray("messages").addObject().put("role", "user").putArray("content");
        for (String part : parts) {
            String type = part.endsWith(".mkv") ? "video_url" : "image_url";
            content.addObject().put("type", type).putObject(type).put("url", part);
        }
        content.addObject().put("type", "text").put("text", "Describe what you see.");
        return body;
    }

    private static JsonNode ok(ObjectNode body) throws Exception {
        RawHttp.Reply reply = http.post("/v1/chat/completions", body.toString());
        assertEquals(200, reply.status(), reply.body());
        return reply.json();
    }

    @Test
    void imagesAndAVideoFileInOneChat() throws Exception {
        String video = media.resolve("clip.mkv").toUri().toString();
        JsonNode imagesOnly = ok(chat(image("smoke.webp"), image("smoke.gif")));
        JsonNode mixed = ok(chat(image("smoke.webp"), image("smoke.gif"), video));
        int before = imagesOnly.get("usage").get("prompt_tokens").asInt();
        int after = mixed.get("usage").get("prompt_tokens").asInt();
        assertTrue(after > before + 2, "the video adds its tokens: " + before + " -> " + after);
        assertFalse(mixed.get("choices").get(0).get("message").get("content").asText().isEmpty());
    }

    @Test
    void requestKwargsOverrideTheServerDefaults() throws Exception {
        java.awt.image.BufferedImage picture = new java.awt.image.BufferedImage(300, 200,
                java.awt.image.BufferedImage.TYPE_INT_RGB);
        java.io.ByteArrayOutputStream png = new java.io.ByteArrayOutputStream();
        javax.imageio.ImageIO.write(picture, "png", png);
        String url = "data:image/png;base64," + Base64.getEncoder().encodeToString(png.toByteArray());
        ObjectNode small = chat(url);
        ObjectNode smaller = chat(url);
        smaller.putObject("mm_processor_kwargs").put("max_pixels", 3136).put("min_pixels", 3136);
        int a = ok(small).get("usage").get("prompt_tokens").asInt();
        int b = ok(smaller).get("usage").get("prompt_tokens").asInt();
        assertNotEquals(a, b, "max_pixels in the request changes the image's token count");
    }

    @Test
    void limitsPerModalityAreEnforced() throws Exception {
        String video = media.resolve("clip.mkv").toUri().toString();
        RawHttp.Reply twoVideos = http.post("/v1/chat/completions", chat(video, video).toString());
        assertEquals(400, twoVideos.status(), twoVideos.body());
        assertTrue(twoVideos.body().contains("At most 1 video(s)"), twoVideos.body());
        String gif = image("smoke.gif");
        RawHttp.Reply fourImages = http.post("/v1/chat/completions", chat(gif, gif, gif, gif).toString());
        assertEquals(400, fourImages.status(), fourImages.body());
        assertTrue(fourImages.body().contains("At most 3 image(s)"), fourImages.body());
        ok(chat(gif));
    }
}
