package ai.tessera.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import javax.imageio.ImageIO;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tessera in a stock Apache Karaf, as docs/karaf.md installs it: the distribution from Maven Central, the install
 * script, {@code feature:repo-add} and {@code feature:install tessera} through Karaf's shell, and a model served from
 * {@code etc/ai.tessera.serve.cfg}. The answer must be the one Tessera's own launcher gives. A third-party bundle
 * (examples/example-vision) installs with {@code bundle:install}; its model, configured as
 * {@code etc/ai.tessera.model-toy-vision.cfg} and served by {@code ai.tessera.serve} without a model of its own,
 * reads a WebP image as it reads the same pixels in PNG.
 */
class KarafFeatureTest {
    private static final String PROMPT = "Say hello to Karaf";
    private static final String API_KEY = "karaf-it-key";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path work;

    @Test
    void featureInstallsInStockKarafAndServesTheDemoModel() throws Exception {
        Path distribution = Path.of(System.getProperty("karaf.distribution"));
        Path demo = Artifacts.ROOT.resolve("demo-model/tessera-demo");
        String features = "mvn:ai.tessera/karaf-features/" + System.getProperty("tessera.version") + "/xml/features";
        try (KarafContainer karaf = KarafContainer.prepare(distribution, work.resolve("karaf"))) {
            karaf.start();
            // Tessera's own launcher answers the same prompt while Karaf boots and installs.
            Path deploy = TesseraProcess.deployFolder(work);
            CompletableFuture<TesseraProcess.Result> generation = CompletableFuture.supplyAsync(() -> {
                try {
                    return TesseraProcess.run(deploy, Duration.ofSeconds(120), "generate", "--model", demo.toString(),
                            "--prompt", PROMPT, "--chat", "--temperature", "0", "--max-tokens", "12");
                } catch (IOException | InterruptedException e) {
                    throw new CompletionException(e);
                }
            });

            // a third-party bundle (a vision model with its processor) installs as any bundle does
            String installed = karaf.shell(Duration.ofSeconds(180), "feature:repo-add " + features,
                    "feature:install tessera", "bundle:install -s " + Artifacts.jar("examples/example-vision").toUri(),
                    "feature:list -i");
            assertTrue(installed.matches("(?s).*\\btessera\\s*\\|[^\\n]*\\|\\s*x\\s*\\|\\s*Started.*"),
                    "feature tessera installed and started:\n" + installed);
            int port = KarafContainer.freePort();
            karaf.writeConfig("ai.tessera.serve", "model = " + demo + "\nport = " + port + "\nmax-model-len = 512\n"
                    + "api-key = " + API_KEY + "\nserved-model-name = demo-in-karaf\n");
            URI base = URI.create("http://127.0.0.1:" + port);
            awaitStatus(karaf, base.resolve("/v1/models"), 200, Duration.ofSeconds(120));
            HttpResponse<String> reply = HTTP.send(HttpRequest.newBuilder(base.resolve("/v1/chat/completions"))
                    .header("Authorization", "Bearer " + API_KEY).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"demo-in-karaf\",\"messages\":[{\"role\":"
                            + "\"user\",\"content\":\"" + PROMPT + "\"}],\"temperature\":0,\"max_tokens\":12}"))
                    .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, reply.statusCode(), reply.body());
            JsonNode answer = RawHttp.JSON.readTree(reply.body());
            assertEquals("demo-in-karaf", answer.get("model").asText());
            assertEquals(12, answer.get("usage").get("completion_tokens").asInt(), reply.body());
            TesseraProcess.Result generated = generation.get(180, TimeUnit.SECONDS);
            assertEquals(0, generated.code(), generated.err());
            String expected = generated.out().substring(0, generated.out().length() - 1);
            assertEquals(expected, answer.get("choices").get(0).get("message").get("content").asText());
            // the configuration's api-key reached serve
            assertEquals(401, HTTP.send(HttpRequest.newBuilder(base.resolve("/v1/models")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());

            // A model configuration (runtime-core's factory configuration ai.tessera.model) serves the vision model,
            // and ai.tessera.serve without a model is its HTTP server. Images, WebP too (an ImageIO plugin in lib/).
            karaf.writeConfig("ai.tessera.model-toy-vision", "model = " + toyVisionModel(demo)
                    + "\nload_format = dummy\nmax_model_len = 256\n");
            karaf.writeConfig("ai.tessera.serve", "port = " + port + "\n");
            awaitModel(karaf, base, "toy-vision", Duration.ofSeconds(120));
            String fromPng = imageAnswer(base, "image/png", png());
            byte[] webp;
            try (InputStream in = KarafFeatureTest.class.getResourceAsStream("/media/quadrants.webp")) {
                webp = in.readAllBytes();
            }
            assertEquals(fromPng, imageAnswer(base, "image/webp", webp), "the same pixels as WebP");

            // Deleting the configuration stops the server and closes its port.
            karaf.deleteConfig("ai.tessera.serve");
            awaitClosed(karaf, base.resolve("/health"), Duration.ofSeconds(60));
        }
    }

    /** A product bundle added to the distribution's deploy folder must be added to the feature too. */
    @Test
    void featureHasEveryBundleOfTheDistribution() throws IOException {
        String features = Files.readString(Artifacts.ROOT.resolve("karaf/features/target/feature/features.xml"));
        for (String bundle : Artifacts.PRODUCT_BUNDLES) {
            assertTrue(features.contains("<bundle>mvn:ai.tessera/" + bundle + "/"), bundle + " is not in features.xml");
        }
    }

    /** The example vision model's folder: the demo model's tokenizer with the example's architecture (random weights). */
    private Path toyVisionModel(Path demo) throws IOException {
        Path model = Files.createDirectories(work.resolve("toy-vision"));
        for (String file : List.of("tokenizer.json", "tokenizer_config.json", "chat_template.jinja")) {
            Files.copy(demo.resolve(file), model.resolve(file));
        }
        Files.writeString(model.resolve("config.json"), "{\"architectures\":[\"TesseraExampleVisionLM\"],"
                + "\"vocab_size\":200064,\"hidden_size\":32,\"image_token_id\":200010,\"image_token\":\"<|image|>\","
                + "\"max_position_embeddings\":512,\"eos_token_id\":199999,\"torch_dtype\":\"float32\"}");
        return model;
    }

    /** The pixels of media/quadrants.webp (four coloured quadrants), as PNG. */
    private static byte[] png() throws IOException {
        int[][] quadrants = {{200, 30, 30}, {30, 200, 30}, {30, 30, 200}, {220, 220, 40}};
        BufferedImage image = new BufferedImage(24, 16, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 24; x++) {
                int[] c = quadrants[(y * 2 / 16) * 2 + x * 2 / 24];
                image.setRGB(x, y, (c[0] << 16) | (c[1] << 8) | c[2]);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(image, "png", out));
        return out.toByteArray();
    }

    /** The greedy answer of the served model to an image, which must be accepted. */
    private static String imageAnswer(URI base, String mime, byte[] image) throws Exception {
        String body = "{\"model\":\"toy-vision\",\"temperature\":0,\"max_tokens\":8,\"messages\":[{\"role\":\"user\","
                + "\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:" + mime + ";base64,"
                + Base64.getEncoder().encodeToString(image) + "\"}},{\"type\":\"text\",\"text\":\"What is in the picture?\"}]}]}";
        HttpResponse<String> reply = HTTP.send(HttpRequest.newBuilder(base.resolve("/v1/chat/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body))
                .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, reply.statusCode(), mime + ": " + reply.body());
        String text = RawHttp.JSON.readTree(reply.body()).get("choices").get(0).get("message").get("content").asText();
        assertFalse(text.isEmpty(), reply.body());
        return text;
    }

    /** Waits until {@code /v1/models} lists {@code model} as ready (the serve restarted with a new configuration). */
    private static void awaitModel(KarafContainer karaf, URI base, String model, Duration limit) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(base.resolve("/v1/models"))
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
                last = r.statusCode() + " " + r.body();
                if (r.statusCode() == 200) {
                    for (JsonNode entry : RawHttp.JSON.readTree(r.body()).get("data")) {
                        if (entry.get("id").asText().equals(model) && entry.path("status").asText().equals("ready")) {
                            return;
                        }
                    }
                }
            } catch (IOException restarting) {
                last = restarting.toString();
            }
            Thread.sleep(250);
        }
        throw new AssertionError(model + " not served within " + limit + "; last answer " + last + "\n" + karaf.logs());
    }

    private static void awaitStatus(KarafContainer karaf, URI uri, int status, Duration limit) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        int last = -1;
        while (System.nanoTime() < deadline) {
            if (!karaf.isAlive()) {
                throw new AssertionError("Karaf exited\n" + karaf.logs());
            }
            try {
                last = HTTP.send(HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + API_KEY)
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
                if (last == status) {
                    return;
                }
            } catch (IOException notListeningYet) {
                last = -1;
            }
            Thread.sleep(250);
        }
        throw new AssertionError(uri + " answered " + last + ", not " + status + ", within " + limit + "\n" + karaf.logs());
    }

    private static void awaitClosed(KarafContainer karaf, URI uri, Duration limit) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.discarding());
            } catch (IOException closed) {
                return;
            }
            Thread.sleep(250);
        }
        throw new AssertionError(uri + " still answers " + limit + " after the configuration was deleted\n" + karaf.logs());
    }
}
