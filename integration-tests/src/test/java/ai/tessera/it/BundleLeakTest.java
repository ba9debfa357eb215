package ai.tessera.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.ref.WeakReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.framework.wiring.FrameworkWiring;

/**
 * No leaks across swaps: a model bundle installed, served from (a model loads from it and answers a request) and
 * uninstalled over and over in one serving container. Every bundle class loader must be collected (checked with weak
 * references), and the heap after GC, the process RSS and the native memory JavaCPP tracks must stay flat.
 *
 * <p>{@code -Dtessera.leak.cycles=N} sets the number of measured cycles (default 100).
 */
@Timeout(900)
class BundleLeakTest {
    private static final int WARMUP = 5;
    private static final int CYCLES = Integer.getInteger("tessera.leak.cycles", 100);
    /**
     * Bounds on the growth: a fixed part (allocator and JIT warm-up) and a part per cycle. Felix itself keeps about
     * 9 KiB per uninstalled bundle (a zero use count of Config Admin, which Declarative Services fetched for the
     * bundle, stays in its service registry keyed by the bundle object; the class loader is not part of it), so the
     * heap may grow by that much per cycle; a leaked class loader would also fail the weak-reference check.
     */
    private static final long HEAP_GROWTH_FIXED = 2L << 20;
    private static final long HEAP_GROWTH_PER_CYCLE = 16L << 10;
    private static final long RSS_GROWTH_FIXED = 64L << 20;
    private static final long RSS_GROWTH_PER_CYCLE = 64L << 10;

    /**
     * Heap used after GC, resident set size, metaspace, JavaCPP's tracked native bytes, live threads and classes
     * unloaded so far, at one moment.
     */
    record Memory(long heap, long rss, long metaspace, long javacpp, int threads, long classesUnloaded,
                  long openFiles) {
        static Memory measure() throws InterruptedException, IOException {
            for (int i = 0; i < 3; i++) {
                System.gc();
                Thread.sleep(100);
            }
            long metaspace = ManagementFactory.getMemoryPoolMXBeans().stream()
                    .filter(p -> p.getName().equals("Metaspace")).mapToLong(p -> p.getUsage().getUsed()).sum();
            return new Memory(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed(), residentSetSize(),
                    metaspace, Pointer.totalBytes(), Thread.activeCount(),
                    ManagementFactory.getClassLoadingMXBean().getUnloadedClassCount(), countOpenFiles());
        }

        /** Open file descriptors (Linux): a bundle jar left open after its uninstall would show here. */
        private static long countOpenFiles() throws IOException {
            try (java.util.stream.Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
                return fds.count();
            }
        }

        /** VmRSS of /proc/self/status (Linux), in bytes. */
        private static long residentSetSize() throws IOException {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
            throw new IllegalStateException("no VmRSS in /proc/self/status");
        }

        String mib(long bytes) {
            return String.format("%.1f MiB", bytes / (double) (1 << 20));
        }

        @Override
        public String toString() {
            return "heap after GC " + mib(heap) + ", RSS " + mib(rss) + ", metaspace " + mib(metaspace)
                    + ", JavaCPP native " + mib(javacpp) + ", " + threads + " threads, " + openFiles + " open files, "
                    + classesUnloaded + " classes unloaded";
        }
    }

    @Test
    void installServeUninstallCyclesLeaveNoClassLoaderAndFlatMemory(@TempDir Path dir) throws Exception {
        Path bigram = ModelConfigurationsTest.bigramModel(dir.resolve("bigram"));
        byte[] jar = Files.readAllBytes(Artifacts.jar("examples/example-architecture"));
        try (ServingContainer serving = ServingContainer.start(List.of("runtime-core"), Map.of(
                "ai.tessera.model-b.cfg", ModelConfigurationsTest.bigramConfig(bigram, "swap_wait_seconds = 10\n")))) {
            BundleContext context = serving.tessera.container.context();
            FrameworkWiring wiring = context.getBundle(0).adapt(FrameworkWiring.class);
            List<WeakReference<ClassLoader>> loaders = new ArrayList<>();
            List<String> rssSeries = new ArrayList<>();
            Memory before = null;
            long start = System.nanoTime();
            for (int cycle = 0; cycle < WARMUP + CYCLES; cycle++) {
                if (cycle == WARMUP) {
                    before = Memory.measure();
                    start = System.nanoTime();
                }
                if (cycle > WARMUP && (cycle - WARMUP) % 25 == 0) {
                    // a leak grows with the cycles; allocator and JIT warm-up level off
                    Memory now = Memory.measure();
                    rssSeries.add((cycle - WARMUP) + ": " + now.mib(now.rss()) + " RSS, " + now.mib(now.heap()) + " heap");
                }
                Bundle bundle = context.installBundle("it:leak-" + cycle, new ByteArrayInputStream(jar));
                bundle.start();
                serving.awaitModel("b", ServingContainer::ready, Duration.ofSeconds(30));
                RawHttp.Reply reply = serving.complete("b", List.of(1, 2, 3), 4);
                assertEquals(200, reply.status(), "cycle " + cycle + ": " + reply.body());
                if (cycle >= WARMUP) {
                    loaders.add(new WeakReference<>(bundle.adapt(BundleWiring.class).getClassLoader()));
                }
                // the model drains and unloads before uninstall returns
                bundle.uninstall();
                refresh(wiring, bundle);
                String status = serving.models().get("b").get("status").asText();
                assertEquals("loading", status, "cycle " + cycle + ": the model must wait for its architecture again");
            }
            long cycleMillis = (System.nanoTime() - start) / 1_000_000 / CYCLES;
            int collected = awaitCollected(loaders);
            Memory after = Memory.measure();
            System.out.println("bundle leak test: " + CYCLES + " install/serve/uninstall cycles (after " + WARMUP
                    + " warm-up cycles, " + cycleMillis + " ms each): class loaders collected " + collected + "/"
                    + CYCLES + "; before: " + before + "; after: " + after + "; along the way " + rssSeries);
            assertEquals(CYCLES, collected, "bundle class loaders still reachable after uninstall and refresh");
            assertTrue(after.heap() - before.heap() < HEAP_GROWTH_FIXED + CYCLES * HEAP_GROWTH_PER_CYCLE,
                    "heap after GC grew from " + before + " to " + after);
            assertTrue(after.rss() - before.rss() < RSS_GROWTH_FIXED + CYCLES * RSS_GROWTH_PER_CYCLE,
                    "RSS grew from " + before + " to " + after);
            assertTrue(after.javacpp() <= before.javacpp() + (1 << 20), "native memory grew from " + before + " to "
                    + after);
            assertTrue(after.threads() <= before.threads() + 2, "threads left behind: " + before + " to " + after);
            assertTrue(after.openFiles() <= before.openFiles() + 8, "files left open: " + before + " to " + after);
        }
    }

    private static void refresh(FrameworkWiring wiring, Bundle bundle) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        wiring.refreshBundles(List.of(bundle), event -> {
            if (event.getType() == FrameworkEvent.PACKAGES_REFRESHED) {
                done.countDown();
            }
        });
        assertTrue(done.await(30, TimeUnit.SECONDS), "the refresh did not finish");
    }

    /** Collects until every loader is gone or a minute has passed; returns how many were collected. */
    private static int awaitCollected(List<WeakReference<ClassLoader>> loaders) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            System.gc();
            int collected = (int) loaders.stream().filter(r -> r.get() == null).count();
            if (collected == loaders.size() || System.nanoTime() > deadline) {
                return collected;
            }
            Thread.sleep(200);
        }
    }
}
