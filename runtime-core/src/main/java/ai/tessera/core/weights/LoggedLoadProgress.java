package ai.tessera.core.weights;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/** Logs a line each time loading crosses another 10 % of the bytes, and one when it ends. */
final class LoggedLoadProgress implements LoadProgress {
    static final Logger LOG = Logger.getLogger(LoggedLoadProgress.class.getName());
    private static final int STEPS = 10;

    private final String task;
    private final long totalBytes;
    private final long startNanos = System.nanoTime();
    private final AtomicLong done = new AtomicLong();
    private int stepsLogged;
    private boolean closed;

    LoggedLoadProgress(String task, long totalBytes) {
        this.task = task;
        this.totalBytes = totalBytes;
    }

    @Override
    public void advance(long bytes) {
        long now = done.addAndGet(bytes);
        int step = totalBytes <= 0 ? STEPS : (int) Math.min(STEPS, now * STEPS / totalBytes);
        synchronized (this) {
            if (step > stepsLogged && !closed) {
                stepsLogged = step;
                LOG.info(String.format(Locale.ROOT, "%s: %d%% (%s of %s) after %.1f s", task, step * 100 / STEPS,
                        ByteSizes.format(now), ByteSizes.format(totalBytes), seconds()));
            }
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            LOG.info(String.format(Locale.ROOT, "%s: done, %s in %.1f s", task, ByteSizes.format(done.get()), seconds()));
        }
    }

    private double seconds() {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
