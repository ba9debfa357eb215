package ai.tessera.it;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Plain HTTP against a {@link ServeProcess}, for what the official client cannot send (malformed JSON, wrong
 * methods, no key) and for {@code /metrics}.
 */
final class RawHttp {
    static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final int port;
    private final String apiKey;

    RawHttp(ServeProcess server) {
        this(server.port, server.apiKey);
    }

    /** A server on 127.0.0.1:port that wants {@code apiKey} (null: none). */
    RawHttp(int port, String apiKey) {
        this.port = port;
        this.apiKey = apiKey;
    }

    /** A status and body. */
    record Reply(int status, String body) {
        JsonNode json() throws IOException {
            return JSON.readTree(body);
        }
    }

    Reply get(String path) throws IOException, InterruptedException {
        return send(request(path, bearer()).GET().build());
    }

    private String bearer() {
        return apiKey == null ? null : "Bearer " + apiKey;
    }

    /** POSTs {@code body} as JSON with {@code authorization} (null: no header). */
    Reply post(String path, String body, String authorization) throws IOException, InterruptedException {
        return post(path, body, "application/json", authorization);
    }

    /** POSTs {@code body} declared as {@code contentType}, with the server's key. */
    Reply postAs(String path, String body, String contentType) throws IOException, InterruptedException {
        return post(path, body, contentType, bearer());
    }

    private Reply post(String path, String body, String contentType, String authorization)
            throws IOException, InterruptedException {
        return send(request(path, authorization).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    Reply post(String path, String body) throws IOException, InterruptedException {
        return post(path, body, bearer());
    }

    Reply send(String method, String path, String authorization) throws IOException, InterruptedException {
        return send(request(path, authorization).method(method, HttpRequest.BodyPublishers.noBody()).build());
    }

    private HttpRequest.Builder request(String path, String authorization) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(60));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return b;
    }

    private Reply send(HttpRequest request) throws IOException, InterruptedException {
        HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body());
    }

    /** POSTs a streaming request and reads its server-sent events to the end: status and every line. */
    Reply postStream(String path, String body) throws IOException, InterruptedException {
        HttpRequest request = request(path, bearer()).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<java.util.stream.Stream<String>> r = client.send(request, HttpResponse.BodyHandlers.ofLines());
        try (java.util.stream.Stream<String> lines = r.body()) {
            return new Reply(r.statusCode(), String.join("\n", lines.toList()));
        }
    }
}
