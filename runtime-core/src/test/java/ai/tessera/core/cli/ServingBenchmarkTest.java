package ai.tessera.core.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.SubmissionPublisher;
import java.util.concurrent.atomic.AtomicInteger;

import ai.tessera.core.engine.FinishReason;
import ai.tessera.core.engine.GenerationOutput;
import ai.tessera.core.engine.GenerationRequest;
import ai.tessera.core.engine.ThroughputBenchmark;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The serve row's load: never more than the concurrency in flight, every token counted, failures reported. */
class ServingBenchmarkTest {
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger mostInFlight = new AtomicInteger();

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    /** A fake engine: each request streams {@code tokens} outputs from another thread, a few ms apart. */
    private Flow.Publisher<GenerationOutput> fakeEngine(GenerationRequest request, int tokens, boolean fail) {
        SubmissionPublisher<GenerationOutput> publisher = new SubmissionPublisher<>(pool, 64);
        mostInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
        pool.submit(() -> {
            try {
                for (int t = 1; t <= tokens; t++) {
                    Thread.sleep(2);
                    publisher.submit(new GenerationOutput(request.requestId(), new int[] {t}, "", List.of(),
                            t == tokens ? FinishReason.LENGTH : null, null, 4, 0, t));
                }
                inFlight.decrementAndGet();
                if (fail) {
                    publisher.closeExceptionally(new IllegalStateException("out of device memory"));
                } else {
                    publisher.close();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        });
        return publisher;
    }

    private static List<GenerationRequest> requests(int n, int tokens) {
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            requests.add(GenerationRequest.of(new int[] {1, 2, 3, 4}, ThroughputBenchmark.sampling(tokens)));
        }
        return requests;
    }

    @Test
    void keepsAtMostTheConcurrencyInFlightAndCountsEveryToken() throws Exception {
        ServingBenchmark.Result r = ServingBenchmark.run(request -> fakeEngine(request, 5, false), requests(10, 5), 3);
        assertEquals(3, mostInFlight.get(), "a finished request lets the next one in, never more than 3 at once");
        assertEquals(50, r.outputTokens());
        assertEquals(10, r.requests());
        assertEquals(3, r.maxConcurrency());
        assertTrue(r.seconds() > 0 && r.meanTtftSeconds() > 0 && r.meanTtftSeconds() < r.seconds(), r.toString());
        assertEquals(r.outputTokens() / r.seconds(), r.outputTokensPerSecond(), 1e-9);
    }

    @Test
    void aFailedRequestFailsTheRunAfterTheOthersInFlightFinish() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> ServingBenchmark.run(request -> fakeEngine(request, 3, true), requests(4, 3), 2));
        assertEquals("a benchmark request failed: out of device memory", e.getMessage());
        assertEquals(0, inFlight.get(), "no request is left running when the row reports its failure");
        assertThrows(IllegalArgumentException.class,
                () -> ServingBenchmark.run(request -> fakeEngine(request, 1, false), requests(1, 1), 0));
    }
}
