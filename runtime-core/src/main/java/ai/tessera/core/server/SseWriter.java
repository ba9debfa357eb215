package ai.tessera.core.server;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

import jakarta.servlet.http.HttpServletResponse;

/** Server-sent events as the OpenAI API streams them: {@code data: {json}} blocks, then {@code data: [DONE]}. */
final class SseWriter {
    private final OutputStream out;

    SseWriter(HttpServletResponse response) throws IOException {
        response.setStatus(200);
        response.setContentType("text/event-stream");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-cache");
        this.out = response.getOutputStream();
    }

    /** Sends one event and flushes it; an IOException means the client went away. */
    void send(Object payload) throws IOException {
        out.write(("data: " + Json.write(payload) + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    void done() throws IOException {
        out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
