package ai.tessera.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeoutException;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The parsers bundle removed from and put back into the deploy folder of a serving container: reasoning
 * extraction turns off (logged) and on again, and the server keeps answering throughout.
 */
class ParsersHotDeployTest {
    private static final String CHAT = "{\"messages\":[{\"role\":\"user\",\"content\":\"Think, then answer.\"}],"
            + "\"temperature\":0,\"max_tokens\":8}";

    @Test
    void removingTheParsersBundleTurnsReasoningOffAndBackOn(@TempDir Path dir) throws Exception {
        Path deploy = TesseraProcess.deployFolder(dir);
        Path parsers = Artifacts.jar("parsers");
        Path deployed = deploy.resolve(parsers.getFileName());
        try (ServeProcess server = ServeProcess.start(deploy, dir.resolve("serve.log"), "key",
                "--reasoning-parser", "deepseek_r1", "--max-model-len", "256")) {
            server.awaitReady(Duration.ofSeconds(120));
            RawHttp http = new RawHttp(server);

            // deepseek_r1: without </think> the whole output is reasoning (the demo model never writes the tag).
            JsonNode with = message(http);
            String text = with.path("reasoning_content").asText();
            assertFalse(text.isEmpty(), with.toString());
            assertEquals("", with.path("content").asText(), with.toString());

            Files.delete(deployed);
            JsonNode without = awaitMessage(http, m -> !m.has("reasoning_content"), "reasoning turns off");
            assertEquals(text, without.path("content").asText(), "the same greedy text, now as content");
            assertTrue(server.logText().contains("reasoning-parser deepseek_r1 is no longer registered"),
                    "the change is logged");

            Artifacts.copyInto(parsers, deploy, parsers.getFileName().toString());
            JsonNode again = awaitMessage(http, m -> m.has("reasoning_content"), "reasoning turns on again");
            assertEquals(text, again.path("reasoning_content").asText());
            assertTrue(server.logText().contains("reasoning-parser deepseek_r1 is registered again"), "logged too");
        }
    }

    private static JsonNode message(RawHttp http) throws Exception {
        RawHttp.Reply reply = http.post("/v1/chat/completions", CHAT);
        assertEquals(200, reply.status(), reply.body());
        return reply.json().path("choices").get(0).path("message");
    }

    /** FileInstall and the registry work asynchronously: ask until the answer changes. */
    private static JsonNode awaitMessage(RawHttp http, java.util.function.Predicate<JsonNode> done, String what)
            throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode m = message(http);
            if (done.test(m)) {
                return m;
            }
            Thread.sleep(250);
        }
        throw new TimeoutException("timed out waiting until " + what);
    }
}
