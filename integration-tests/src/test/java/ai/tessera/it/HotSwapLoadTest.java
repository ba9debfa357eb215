package ai.tessera.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hot swap under load, on loopback: two models served by one container, 32 concurrent streams on model A while the
 * bundle of model B's architecture is replaced five times in the deploy folder. A must not fail a single request;
 * every request on B is served or answered with a clear 503; B serves the new version afterwards.
 */
@Timeout(300)
class HotSwapLoadTest {
    private static final int STREAMS = 32;
    private static final int B_CLIENTS = 4;
    private static final int UPDATES = 5;
    private static final String A_STREAM = "{\"model\":\"a\",\"prompt\":\"Tell me a story about Tessera\","
            + "\"max_tokens\":8,\"temperature\":0,\"stream\":true}";

    /** What the clients saw. */
    private static final class Tally {
        final AtomicInteger aServed = new AtomicInteger();
        final AtomicInteger aInFlight = new AtomicInteger();
        final AtomicInteger bServed = new AtomicInteger();
        final AtomicInteger bUnavailable = new AtomicInteger();
        final ConcurrentLinkedQueue<String> aFailures = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<String> bUnclear = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<String> b503Messages = new ConcurrentLinkedQueue<>();
    }

    @Test
    void replacingModelBsBundleFiveTimesUnder32StreamsOnModelAFailsNoRequestOfA(@TempDir Path dir) throws Exception {
        Path bigram = ModelConfigurationsTest.bigramModel(dir.resolve("bigram"));
        Path example = Artifacts.jar("examples/example-architecture");
        try (ServingContainer serving = ServingContainer.start(List.of("runtime-core", "model-phi4"), Map.of(
                "ai.tessera.model-a.cfg", ModelConfigurationsTest.demoConfig(""),
                "ai.tessera.model-b.cfg", ModelConfigurationsTest.bigramConfig(bigram,
                        "swap_wait_seconds = 30\ndrain_timeout_seconds = 30\n")))) {
            Artifacts.copyInto(example, serving.tessera.deployFolder, "example-architecture.jar");
            serving.awaitModel("a", ServingContainer::ready, Duration.ofSeconds(60));
            serving.awaitModel("b", ServingContainer::ready, Duration.ofSeconds(60));

            Tally tally = new Tally();
            AtomicBoolean running = new AtomicBoolean(true);
            ExecutorService clients = Executors.newFixedThreadPool(STREAMS + B_CLIENTS);
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < STREAMS; i++) {
                futures.add(clients.submit(() -> streamOnA(serving, running, tally)));
            }
            for (int i = 0; i < B_CLIENTS; i++) {
                futures.add(clients.submit(() -> completeOnB(serving, running, tally)));
            }
            TestContainer.await("every stream on A answered once", () -> tally.aServed.get() >= STREAMS);

            List<Long> swapMillis = new ArrayList<>();
            List<Integer> aInFlightAtUpdates = new ArrayList<>();
            int aBefore = tally.aServed.get();
            for (int update = 1; update <= UPDATES; update++) {
                String version = "2.0." + update;
                int aServedBefore = tally.aServed.get();
                aInFlightAtUpdates.add(tally.aInFlight.get());
                long start = System.nanoTime();
                Artifacts.withVersion(example, version, serving.tessera.deployFolder.resolve("example-architecture.jar"));
                serving.awaitModel("b", m -> ServingContainer.ready(m)
                        && m.at("/architecture/version").asText().equals(version), Duration.ofSeconds(60));
                swapMillis.add((System.nanoTime() - start) / 1_000_000);
                int served = tally.bServed.get();
                TestContainer.await("B serves requests on " + version, () -> tally.bServed.get() >= served + B_CLIENTS);
                // the streams on A that overlapped this update have ended before the next one begins
                TestContainer.await("A's streams go on", () -> tally.aServed.get() >= aServedBefore + STREAMS);
            }
            int aDuringUpdates = tally.aServed.get() - aBefore;
            running.set(false);
            clients.shutdown();
            assertTrue(clients.awaitTermination(120, TimeUnit.SECONDS), "the clients did not finish");
            for (Future<?> f : futures) {
                f.get();
            }

            JsonNode b = serving.models().get("b");
            System.out.println("hot-swap load test: " + STREAMS + " streams on A, " + UPDATES + " updates of B's bundle; A "
                    + tally.aServed.get() + " streams served (" + aDuringUpdates + " during the updates, "
                    + aInFlightAtUpdates + " in flight as each update began), " + tally.aFailures.size() + " failed; B " + tally.bServed.get() + " served, "
                    + tally.bUnavailable.get() + " answered 503, " + tally.bUnclear.size() + " unclear; swaps (jar "
                    + "written to B ready on the new version) " + swapMillis + " ms; B now " + b.get("architecture"));
            assertEquals(List.of(), List.copyOf(tally.aFailures), "no request on A may fail");
            assertEquals(List.of(), List.copyOf(tally.bUnclear), "B answers every request or says why it cannot");
            tally.b503Messages.forEach(m -> assertTrue(m.contains("The model 'b'") || m.contains("its model was unloaded"),
                    m));
            assertTrue(aInFlightAtUpdates.stream().allMatch(n -> n >= STREAMS / 2),
                    "A's streams must be running when B's bundle is replaced: " + aInFlightAtUpdates);
            assertEquals("2.0." + UPDATES, b.at("/architecture/version").asText(), b.toString());
            RawHttp.Reply after = serving.complete("b", List.of(1, 2, 3), 4);
            assertEquals(200, after.status(), after.body());
            assertEquals(4, after.json().at("/usage/completion_tokens").asInt(), after.body());
            assertEquals("ready", serving.models().get("a").get("status").asText());
        }
    }

    /** Streams completions from A until stopped; a stream counts as served when it ends with [DONE] and no error. */
    private static void streamOnA(ServingContainer serving, AtomicBoolean running, Tally tally) {
        while (running.get()) {
            tally.aInFlight.incrementAndGet();
            try {
                RawHttp.Reply r = serving.http.postStream("/v1/completions", A_STREAM);
                String body = r.body().strip();
                if (r.status() == 200 && body.endsWith("data: [DONE]") && !body.contains("\"error\"")
                        && body.contains("\"finish_reason\":\"length\"")) {
                    tally.aServed.incrementAndGet();
                } else {
                    tally.aFailures.add(r.status() + ": " + body);
                }
            } catch (Exception e) {
                tally.aFailures.add(e.toString());
            } finally {
                tally.aInFlight.decrementAndGet();
            }
        }
    }

    /** Completes on B until stopped, sorting the answers into served, clear 503s and anything else. */
    private static void completeOnB(ServingContainer serving, AtomicBoolean running, Tally tally) {
        while (running.get()) {
            try {
                RawHttp.Reply r = serving.complete("b", List.of(1, 2, 3), 8);
                if (r.status() == 200 && r.json().at("/usage/completion_tokens").asInt() == 8) {
                    tally.bServed.incrementAndGet();
                } else if (r.status() == 503 && r.json().at("/error/type").asText().equals("service_unavailable")) {
                    tally.bUnavailable.incrementAndGet();
                    tally.b503Messages.add(r.json().at("/error/message").asText());
                } else {
                    tally.bUnclear.add(r.status() + ": " + r.body());
                }
            } catch (Exception e) {
                tally.bUnclear.add(e.toString());
            }
        }
    }
}
