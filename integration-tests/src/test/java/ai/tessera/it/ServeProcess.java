package ai.tessera.it;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** {@code tessera serve} as a user starts it: a process on a free port, ready once {@code /v1/models} answers. */
final class ServeProcess implements AutoCloseable {
    final int port;
    final String apiKey;
    private final Process process;
    private final Path log;

    private ServeProcess(int port, String apiKey, Process process, Path log) {
        this.port = port;
        this.apiKey = apiKey;
        this.process = process;
        this.log = log;
    }

    /** Starts {@code tessera serve --port P --api-key KEY args...}; its output goes to {@code log}. */
    static ServeProcess start(Path deploy, Path log, String apiKey, String... args) throws IOException {
        int port = freePort();
        List<String> command = new ArrayList<>(List.of("serve", "--port", Integer.toString(port), "--api-key", apiKey));
        command.addAll(List.of(args));
        Process process = TesseraProcess.command(deploy, command).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        process.getOutputStream().close();
        return new ServeProcess(port, apiKey, process, log);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    /** Waits until the model is served (the API answers 200), failing early with the log if the process died. */
    void awaitReady(Duration limit) throws IOException, InterruptedException {
        RawHttp http = new RawHttp(this);
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("tessera serve exited with " + process.exitValue() + ":\n" + logText());
            }
            int status;
            try {
                status = http.get("/v1/models").status();
            } catch (IOException notListeningYet) {
                // Jetty starts after the model has loaded; until then the port is closed.
                status = -1;
            }
            if (status == 200) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("tessera serve was not ready within " + limit + ":\n" + logText());
    }

    /** SIGTERM, as an operator or Kubernetes stops the server; does not wait. */
    void terminate() {
        process.destroy();
    }

    /** Waits for the process to exit; its exit code, or -1 when it is still running after {@code limit}. */
    int awaitExit(Duration limit) throws InterruptedException {
        return process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    String logText() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
