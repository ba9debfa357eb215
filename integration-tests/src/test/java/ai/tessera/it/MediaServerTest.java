package ai.tessera.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import javax.imageio.ImageIO;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chat requests with images, end to end through {@code tessera serve}: the third-party example vision model
 * ({@code examples/example-vision}, registered with its processor from the deploy folder), media from data URLs,
 * {@code file:} URLs under {@code --allowed-local-media-path} and http URLs, PNG, GIF, JPEG and WebP decoded in the
 * container, and every way a media part can be wrong answered with a 400 that says why.
 */
class MediaServerTest {
    private static final int[][] QUADRANTS = {{200, 30, 30}, {30, 200, 30}, {30, 30, 200}, {220, 220, 40}};
    private static final int[][] OTHER = {{10, 10, 10}, {250, 250, 250}, {120, 0, 250}, {0, 120, 60}};

    @TempDir
    static Path work;
    private static ServeProcess server;
    private static RawHttp http;
    private static HttpServer media;
    private static Path allowed;

    @BeforeAll
    static void start() throws Exception {
        Path deploy = TesseraProcess.deployFolder(work);
        Artifacts.copyInto(Artifacts.jar("examples/example-vision"), deploy, "example-vision.jar");
        Path model = Files.createDirectories(work.resolve("toy-vision"));
        Path demo = Artifacts.ROOT.resolve("demo-model/tessera-demo");
        for (String file : List.of("tokenizer.json", "tokenizer_config.json", "chat_template.jinja")) {
            Files.copy(demo.resolve(file), model.resolve(file));
        }
        Files.writeString(model.resolve("config.json"), "{\"architectures\":[\"TesseraExampleVisionLM\"],"
                + "\"vocab_size\":200064,\"hidden_size\":32,\"image_token_id\":200010,\"image_token\":\"<|image|>\","
                + "\"max_position_embeddings\":512,\"eos_token_id\":199999,\"torch_dtype\":\"float32\"}");
        allowed = Files.createDirectories(work.resolve("allowed"));
        Files.write(allowed.resolve("quadrants.png"), png(QUADRANTS));
        Files.write(work.resolve("outside.png"), png(QUADRANTS));

        media = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        media.createContext("/quadrants.png", exchange -> {
            byte[] body = png(QUADRANTS);
            exchange.getResponseHeaders().add("Content-Type", "image/png");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        media.createContext("/slow.png", exchange -> {
            try {
                Thread.sleep(3000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.sendResponseHeaders(500, -1);
            exchange.close();
        });
        media.createContext("/missing.png", exchange -> {
            exchange.sendResponseHeaders(404, -1);
            exchange.close();
        });
        media.start();

        server = ServeProcess.start(deploy, work.resolve("serve.log"), "media-key", model.toString(),
                "--load-format", "dummy", "--max-model-len", "256", "--limit-mm-per-prompt", "{\"image\":2}",
                "--allowed-local-media-path", allowed.toString(), "--media-fetch-timeout", "1",
                "--media-max-bytes", "100000");
        server.awaitReady(Duration.ofSeconds(120));
        http = new RawHttp(server);
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (media != null) {
            media.stop(0);
        }
        if (server != null) {
            server.close();
        }
    }

    private static byte[] png(int[][] colors) throws IOException {
        return encode(image(colors, BufferedImage.TYPE_INT_RGB), "png");
    }

    private static BufferedImage image(int[][] colors, int type) {
        BufferedImage image = new BufferedImage(24, 16, type);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 24; x++) {
                int[] c = colors[(y * 2 / 16) * 2 + x * 2 / 24];
                image.setRGB(x, y, (c[0] << 16) | (c[1] << 8) | c[2]);
            }
        }
        return image;
    }

    private static byte[] encode(BufferedImage image, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(image, format, out), "ImageIO writes " + format);
        return out.toByteArray();
    }

    private static String dataUrl(String mime, byte[] bytes) {
        return "data:" + mime + ";base64," + Base64.getEncoder().encodeToString(bytes);
    }

    /** A greedy chat request with these content parts (each an image URL, or a ready part node). */
    private static String request(boolean stream, Object... parts) {
        ObjectNode body = RawHttp.JSON.createObjectNode();
        body.put("model", "toy-vision").put("temperature", 0).put("max_tokens", 8).put("stream", stream);
        ArrayNode content = body.putArray("messages").addObject().put("role", "user").putArray("content");
        for (Object part : parts) {
            if (part instanceof JsonNode node) {
                content.add(node);
            } else {
                content.addObject().put("type", "image_url").putObject("image_url").put("url", (String) part);
            }
        }
        content.addObject().put("type", "text").put("text", "What is in the picture?");
        return body.toString();
    }

    private static JsonNode ok(String body) throws Exception {
        RawHttp.Reply reply = http.post("/v1/chat/completions", body);
        assertEquals(200, reply.status(), reply.body());
        return reply.json();
    }

    private static String text(String body) throws Exception {
        return ok(body).get("choices").get(0).get("message").get("content").asText();
    }

    private static void badRequest(String body, String expected) throws Exception {
        RawHttp.Reply reply = http.post("/v1/chat/completions", body);
        assertEquals(400, reply.status(), reply.body());
        JsonNode error = reply.json().get("error");
        assertEquals("invalid_request_error", error.get("type").asText(), reply.body());
        assertTrue(error.get("message").asText().contains(expected), "expected '" + expected + "' in " + reply.body());
    }

    @Test
    void theImageDecidesTheAnswerAndTakesItsTokens() throws Exception {
        String png = dataUrl("image/png", png(QUADRANTS));
        JsonNode one = ok(request(false, png));
        JsonNode again = ok(request(false, png));
        JsonNode other = ok(request(false, dataUrl("image/png", png(OTHER))));
        JsonNode two = ok(request(false, png, png));
        String answer = one.get("choices").get(0).get("message").get("content").asText();
        assertEquals(answer, again.get("choices").get(0).get("message").get("content").asText());
        assertNotEquals(answer, other.get("choices").get(0).get("message").get("content").asText(),
                "another image gives another greedy answer");
        int promptOne = one.get("usage").get("prompt_tokens").asInt();
        // a second image adds its placeholder expanded to 4 tokens and the newline that separates placeholders
        assertEquals(promptOne + 5, two.get("usage").get("prompt_tokens").asInt());
    }

    @Test
    void webpGifAndPngOfTheSamePixelsGiveTheSameAnswer() throws Exception {
        String fromPng = text(request(false, dataUrl("image/png", png(QUADRANTS))));
        byte[] webp;
        try (InputStream in = MediaServerTest.class.getResourceAsStream("/media/quadrants.webp")) {
            webp = in.readAllBytes();
        }
        assertEquals(fromPng, text(request(false, dataUrl("image/webp", webp))), "lossless WebP");
        assertEquals(fromPng, text(request(false, dataUrl("image/gif",
                encode(image(QUADRANTS, BufferedImage.TYPE_BYTE_INDEXED), "gif")))), "GIF (palette)");
        ok(request(false, dataUrl("image/jpeg", encode(image(QUADRANTS, BufferedImage.TYPE_INT_RGB), "jpeg"))));
    }

    @Test
    void fileAndHttpUrlsFetchTheSameImage() throws Exception {
        String fromData = text(request(false, dataUrl("image/png", png(QUADRANTS))));
        assertEquals(fromData, text(request(false, allowed.resolve("quadrants.png").toUri().toString())));
        String base = "http://127.0.0.1:" + media.getAddress().getPort();
        assertEquals(fromData, text(request(false, base + "/quadrants.png")));
        badRequest(request(false, work.resolve("outside.png").toUri().toString()), "outside --allowed-local-media-path");
        badRequest(request(false, allowed.resolve("../allowed/../outside.png").toUri().toString()), "outside");
        badRequest(request(false, base + "/missing.png"), "HTTP 404");
        badRequest(request(false, base + "/slow.png"), "timed out");
        badRequest(request(false, "ftp://example.com/x.png"), "not supported");
    }

    @Test
    void streamingWithAnImageGivesTheSameText() throws Exception {
        String png = dataUrl("image/png", png(OTHER));
        String whole = text(request(false, png));
        RawHttp.Reply reply = http.post("/v1/chat/completions", request(true, png));
        assertEquals(200, reply.status(), reply.body());
        StringBuilder streamed = new StringBuilder();
        for (String line : reply.body().split("\n")) {
            if (line.startsWith("data: {")) {
                JsonNode delta = RawHttp.JSON.readTree(line.substring(6)).get("choices").get(0).get("delta");
                if (delta.hasNonNull("content")) {
                    streamed.append(delta.get("content").asText());
                }
            }
        }
        assertEquals(whole, streamed.toString());
    }

    @Test
    void badMediaIsA400AndTheServerGoesOn() throws Exception {
        String png = dataUrl("image/png", png(QUADRANTS));
        badRequest(request(false, png, png, png), "At most 2 image(s)");
        ObjectNode audio = RawHttp.JSON.createObjectNode().put("type", "input_audio");
        audio.putObject("input_audio").put("data", "UklGRg==").put("format", "wav");
        badRequest(request(false, audio), "does not accept audio");
        badRequest(request(false, dataUrl("image/png", "not an image at all".getBytes(StandardCharsets.UTF_8))),
                "cannot decode the image");
        badRequest(request(false, dataUrl("image/png", new byte[150_000])), "--media-max-bytes");
        badRequest(request(false, "data:image/png;base64,@@@"), "not valid base64");
        ObjectNode noUrl = RawHttp.JSON.createObjectNode().put("type", "image_url");
        noUrl.putObject("image_url");
        badRequest(request(false, noUrl), "'image_url' must be an object with a 'url'");
        List<String> answers = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            answers.add(text(request(false, png)));
        }
        assertEquals(answers.get(0), answers.get(1));
        assertTrue(server.isAlive());
    }
}
