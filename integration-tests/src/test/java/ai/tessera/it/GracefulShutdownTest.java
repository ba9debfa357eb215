package ai.tessera.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** SIGTERM while a request streams: the request finishes, new ones are refused, then the process exits. */
@Timeout(180)
class GracefulShutdownTest {
    @TempDir
    Path work;

    @Test
    void aStreamInFlightFinishesAfterSigterm() throws Exception {
        Path deploy = TesseraProcess.deployFolder(work);
        ServeProcess server = ServeProcess.start(deploy, work.resolve("serve.log"), "key", "--max-model-len", "512");
        try {
            server.awaitReady(Duration.ofSeconds(120));
            HttpRequest request = HttpRequest.newBuilder(server.uri("/v1/completions"))
                    .header("Authorization", "Bearer key").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"Hello\",\"max_tokens\":300,"
                            + "\"ignore_eos\":true,\"temperature\":0,\"stream\":true,"
                            + "\"stream_options\":{\"include_usage\":true}}")).build();
            HttpResponse<Stream<String>> response = HttpClient.newHttpClient().send(request,
                    HttpResponse.BodyHandlers.ofLines());
            assertEquals(200, response.statusCode());
            Iterator<String> lines = response.body().filter(l -> l.startsWith("data: ")).iterator();
            String first = lines.next();
            assertTrue(first.contains("\"text\""), first);

            server.terminate();
            String last = first;
            String usage = null;
            while (lines.hasNext()) {
                last = lines.next();
                if (last.contains("\"usage\":{")) {
                    usage = last;
                }
            }
            assertEquals("data: [DONE]", last, "the stream ends as usual");
            JsonNode counted = new ObjectMapper().readTree(usage.substring("data: ".length())).get("usage");
            assertEquals(300, counted.get("completion_tokens").asInt(), usage);
            int code = server.awaitExit(Duration.ofSeconds(90));
            assertNotEquals(-1, code, "the server exits after the drain:\n" + server.logText());
            String log = server.logText();
            assertTrue(log.contains("shutting down: new requests are refused, those in flight may finish"), log);
            assertTrue(List.of(log.split("\n")).stream().noneMatch(l -> l.contains("aborted")), log);
        } finally {
            server.close();
        }
    }
}
