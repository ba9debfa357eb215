package ai.tessera.core.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import ai.tessera.api.ReasoningParser;
import ai.tessera.api.ToolParser;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The gate of one served model: requests wait for a load, a swap drains the requests in flight before the old
 * version closes and the new one loads, and the waiting requests run on the new version or get a 503.
 */
@Timeout(60)
class ModelSlotTest {
    private static final ModelSlot.Settings SETTINGS = new ModelSlot.Settings(Duration.ofSeconds(20), Duration.ofSeconds(20));
    private static final long BUNDLE = 42;

    /** What happened, in order: "load 1", "close 1", ... */
    private final List<String> events = new CopyOnWriteArrayList<>();
    private final AtomicInteger loads = new AtomicInteger();
    private ModelSlot slot;

    @AfterEach
    void close() {
        if (slot != null) {
            slot.close("test over");
        }
    }

    private ModelSlot.Version version(int n) {
        ServedModel model = new ServedModel("m", "/models/m", n, null, null, 16, 100, List.of(), Map.of(),
                NamedPlugin.none(ReasoningParser.class), NamedPlugin.none(ToolParser.class), false, null);
        return new ModelSlot.Version(model, null, Set.of(BUNDLE), () -> events.add("close " + n));
    }

    /** Loads version 1, 2, ... at once. */
    private ModelSlot.Loader counting() {
        return (wait, status) -> {
            int n = loads.incrementAndGet();
            events.add("load " + n);
            return version(n);
        };
    }

    private ModelSlot open(ModelSlot.Settings settings, ModelSlot.Loader loader) {
        slot = new ModelSlot("m", "/models/m", "test", settings, loader);
        slot.start(Duration.ZERO, true);
        return slot;
    }

    private static long versionOf(ModelSlot.Lease lease) {
        return lease.model().created();
    }

    @Test
    void aRequestWaitsForTheFirstLoad() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        open(SETTINGS, (wait, status) -> {
            status.accept("loading slowly");
            release.await();
            return version(1);
        });
        CompletableFuture<Long> request = CompletableFuture.supplyAsync(() -> {
            try (ModelSlot.Lease lease = slot.acquire()) {
                return versionOf(lease);
            }
        });
        Thread.sleep(200);
        assertFalse(request.isDone(), "the request must wait while the model loads");
        assertEquals("loading slowly", slot.detail());
        release.countDown();
        assertEquals(1L, request.get(10, TimeUnit.SECONDS));
        assertEquals(ModelSlot.State.READY, slot.state());
    }

    @Test
    void aRequestThatWaitsLongerThanTheSwapWaitGetsA503ThatSaysWhy() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        open(new ModelSlot.Settings(Duration.ofMillis(300), SETTINGS.drainTimeout()), (wait, status) -> {
            status.accept("waiting for architecture X to be registered");
            never.await();
            return version(1);
        });
        long start = System.nanoTime();
        OpenAiException e = assertThrows(OpenAiException.class, () -> slot.acquire());
        long waitedMs = (System.nanoTime() - start) / 1_000_000;
        assertEquals(503, e.status());
        assertTrue(e.getMessage().contains("'m' is not available: waiting for architecture X to be registered"),
                e.getMessage());
        assertTrue(e.getMessage().contains("swap_wait_seconds"), e.getMessage());
        assertTrue(waitedMs >= 250, "waited " + waitedMs + " ms");
    }

    @Test
    void aSwapLetsTheRequestsInFlightFinishThenServesTheNewVersionToThoseThatWaited() throws Exception {
        open(SETTINGS, counting());
        assertEquals(ModelSlot.State.READY, slot.awaitSettled());
        ModelSlot.Lease inFlight = slot.acquire();
        assertEquals(1L, versionOf(inFlight));

        slot.reconfigure(SETTINGS, counting(), "edited");
        CompletableFuture<Long> waiting = CompletableFuture.supplyAsync(() -> {
            try (ModelSlot.Lease lease = slot.acquire()) {
                return versionOf(lease);
            }
        });
        Thread.sleep(300);
        assertEquals(List.of("load 1"), events, "version 1 must stay open while a request runs on it");
        assertFalse(waiting.isDone(), "a new request waits during the swap");
        assertEquals(ModelSlot.State.LOADING, slot.state());
        assertTrue(slot.detail().contains("edited"), slot.detail());

        inFlight.close();
        assertEquals(2L, waiting.get(10, TimeUnit.SECONDS));
        assertEquals(List.of("load 1", "close 1", "load 2"), events, "the old version closes before the new one loads");
    }

    @Test
    void aRequestLongerThanTheDrainTimeoutHasItsVersionClosedUnderIt() throws Exception {
        ModelSlot.Settings quickDrain = new ModelSlot.Settings(SETTINGS.swapWait(), Duration.ofMillis(200));
        open(quickDrain, counting());
        slot.awaitSettled();
        ModelSlot.Lease stuck = slot.acquire();
        long start = System.nanoTime();
        slot.reconfigure(quickDrain, counting(), "edited");
        try (ModelSlot.Lease next = slot.acquire()) {
            assertEquals(2L, versionOf(next));
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertTrue(ms >= 150, "the swap must wait for the drain timeout first, took " + ms + " ms");
        assertEquals(List.of("load 1", "close 1", "load 2"), events);
        stuck.close();
        stuck.close();
    }

    @Test
    void aStoppingBundleDrainsTheModelThatUsesItBeforeReturningThenTheModelLoadsAgain() throws Exception {
        open(SETTINGS, counting());
        slot.awaitSettled();
        ModelSlot.Lease inFlight = slot.acquire();
        assertTrue(slot.uses(BUNDLE));
        assertFalse(slot.uses(BUNDLE + 1));

        slot.dependencyStopping(BUNDLE + 1, "architecture Other (other.bundle 1.0)");
        assertEquals(List.of("load 1"), events, "a bundle the model does not use changes nothing");

        CompletableFuture<Void> stopping = CompletableFuture.runAsync(
                () -> slot.dependencyStopping(BUNDLE, "architecture M (m.bundle 1.0)"));
        Thread.sleep(300);
        assertFalse(stopping.isDone(), "the bundle may stop only once its requests have finished");
        assertEquals(List.of("load 1"), events);
        inFlight.close();
        stopping.get(10, TimeUnit.SECONDS);
        assertEquals("close 1", events.get(1), "closed before the bundle stops");
        try (ModelSlot.Lease lease = slot.acquire()) {
            assertEquals(2L, versionOf(lease));
        }
        assertEquals(List.of("load 1", "close 1", "load 2"), events);
    }

    @Test
    void aFailedLoadAnswers503WithItsReasonAndARegisteredPluginRetriesIt() throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        open(SETTINGS, (wait, status) -> {
            if (attempts.incrementAndGet() == 1) {
                throw new IllegalArgumentException("No architecture named 'X' is registered.\nmore lines");
            }
            return version(7);
        });
        assertEquals(ModelSlot.State.FAILED, slot.awaitSettled());
        OpenAiException e = assertThrows(OpenAiException.class, () -> slot.acquire());
        assertEquals(503, e.status());
        assertEquals("The model 'm' could not be loaded: No architecture named 'X' is registered.", e.getMessage());

        slot.retryIfFailed("architecture X (x.bundle 1.0)");
        try (ModelSlot.Lease lease = slot.acquire()) {
            assertEquals(7L, versionOf(lease));
        }
    }

    @Test
    void aVersionLoadedFromABundleThatStoppedDuringTheLoadIsDiscardedAndLoadedAgain() throws Exception {
        CountDownLatch loading = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        open(SETTINGS, (wait, status) -> {
            int n = loads.incrementAndGet();
            events.add("load " + n);
            if (n == 1) {
                loading.countDown();
                proceed.await();
            }
            return version(n);
        });
        assertTrue(loading.await(10, TimeUnit.SECONDS));
        slot.dependencyStopping(BUNDLE, "architecture M (m.bundle 1.0)");
        proceed.countDown();
        try (ModelSlot.Lease lease = slot.acquire()) {
            assertEquals(2L, versionOf(lease));
        }
        assertEquals(List.of("load 1", "close 1", "load 2"), events);
    }

    @Test
    void anEditAppliesAtOnceEvenWhileTheOldConfigurationWaitsForAPluginThatNeverComes() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        open(SETTINGS, (wait, status) -> {
            status.accept("waiting for architecture Typo to be registered");
            never.await();
            return version(99);
        });
        Thread.sleep(100);
        assertEquals("waiting for architecture Typo to be registered", slot.detail());
        slot.reconfigure(SETTINGS, counting(), "the architecture name was fixed");
        try (ModelSlot.Lease lease = slot.acquire()) {
            assertEquals(1L, versionOf(lease));
        }
        assertEquals(List.of("load 1"), events);
    }

    @Test
    void aClosedModelAnswers404AndIsFreed() throws Exception {
        open(SETTINGS, counting());
        slot.awaitSettled();
        ModelSlot closing = slot;
        slot = null;
        closing.close("its configuration was deleted");
        OpenAiException e = assertThrows(OpenAiException.class, closing::acquire);
        assertEquals(404, e.status());
        assertTrue(e.getMessage().contains("its configuration was deleted"), e.getMessage());
        assertEquals(List.of("load 1", "close 1"), events);
        assertSame(ModelSlot.State.REMOVED, closing.state());
    }
}
