package ai.tessera.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tessera in a stock Apache Karaf, as docs/karaf.md installs it: the distribution from Maven Central, the install
 * script, {@code feature:repo-add} and {@code feature:install tessera} through Karaf's shell, and a model served from
 * {@code etc/ai.tessera.serve.cfg}. The answer must be the one Tessera's own launcher gives.
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

            String installed = karaf.shell(Duration.ofSeconds(180), "feature:repo-add " + features,
                    "feature:install tessera", "feature:list -i");
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

            // Deleting the configuration stops the server and closes its port.
            karaf.deleteConfig("ai.tessera.serve");
            awaitClosed(karaf, base.resolve("/health"), Duration.ofSeconds(60));
        }
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
