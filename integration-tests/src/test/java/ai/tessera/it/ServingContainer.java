package ai.tessera.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A real container in this JVM running {@code tessera serve} (without MODEL_DIR: the models of its etc/ folder) on
 * a free port, for tests that change bundles and model configurations under a serving container.
 */
final class ServingContainer implements AutoCloseable {
    final TestContainer tessera;
    final RawHttp http;
    final int port;
    private final Thread serve;
    private final ByteArrayOutputStream output = new ByteArrayOutputStream();
    private final AtomicInteger exitCode = new AtomicInteger(Integer.MIN_VALUE);

    private ServingContainer(TestContainer tessera, int port) {
        this.tessera = tessera;
        this.port = port;
        this.http = new RawHttp(port, null);
        PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8);
        this.serve = new Thread(() -> exitCode.set(tessera.commands.execute(
                List.of("serve", "--port", Integer.toString(port)), out, out)), "it-serve");
        serve.setDaemon(true);
    }

    /**
     * Starts a container with the modules' bundles and the model configurations {@code etc} (file name → text),
     * then {@code serve}, and waits until the API answers.
     */
    static ServingContainer start(List<String> modules, Map<String, String> etc) throws Exception {
        TestContainer tessera = TestContainer.start(modules, etc);
        ServingContainer serving = new ServingContainer(tessera, freePort());
        serving.serve.start();
        serving.awaitListening();
        return serving;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private void awaitListening() throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (!serve.isAlive()) {
                throw new AssertionError("serve ended with " + exitCode.get() + ":\n" + output());
            }
            try {
                if (http.get("/v1/models").status() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // the port opens once serve has handed the configurations to the model factory
                Thread.sleep(100);
            }
        }
        throw new TimeoutException("serve did not answer within 60 s:\n" + output());
    }

    String output() {
        return output.toString(StandardCharsets.UTF_8);
    }

    /** Writes etc/NAME atomically, as an operator's editor or deployment tool would. */
    void writeConfig(String fileName, String text) throws IOException {
        Path tmp = tessera.configFolder.resolve(fileName + ".tmp");
        Files.writeString(tmp, text);
        Files.move(tmp, tessera.configFolder.resolve(fileName), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
    }

    void deleteConfig(String fileName) throws IOException {
        Files.delete(tessera.configFolder.resolve(fileName));
    }

    /** The {@code /v1/models} entries by id. */
    Map<String, JsonNode> models() throws IOException, InterruptedException {
        RawHttp.Reply reply = http.get("/v1/models");
        if (reply.status() != 200) {
            throw new AssertionError("/v1/models answered " + reply.status() + ": " + reply.body());
        }
        Map<String, JsonNode> byId = new java.util.TreeMap<>();
        for (JsonNode m : reply.json().get("data")) {
            byId.put(m.get("id").asText(), m);
        }
        return byId;
    }

    /** Waits (polling /v1/models) until the model's entry satisfies {@code condition}; null: the model is not listed. */
    JsonNode awaitModel(String id, Predicate<JsonNode> condition, Duration limit) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            last = models().get(id);
            if (condition.test(last)) {
                return last;
            }
            Thread.sleep(20);
        }
        throw new TimeoutException("model " + id + " did not reach the expected state within " + limit + "; last: "
                + last + "\nserve output:\n" + output());
    }

    static boolean ready(JsonNode model) {
        return model != null && model.path("status").asText().equals("ready");
    }

    /** {@code /v1/completions} of token ids, greedy. */
    RawHttp.Reply complete(String model, List<Integer> promptIds, int maxTokens) throws IOException, InterruptedException {
        return http.post("/v1/completions", "{\"model\":\"" + model + "\",\"prompt\":" + promptIds
                + ",\"max_tokens\":" + maxTokens + ",\"temperature\":0}");
    }

    @Override
    public void close() throws Exception {
        try {
            tessera.close();
        } finally {
            // stopping the container releases serve
            serve.join(60_000);
        }
    }
}
