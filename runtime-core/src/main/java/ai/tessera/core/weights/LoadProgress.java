package ai.tessera.core.weights;

/** Receives how far weight loading has come, in bytes of the checkpoint. */
public interface LoadProgress extends AutoCloseable {
    /** {@code bytes} more were loaded. */
    void advance(long bytes);

    /** Loading is over (complete or not); ends any display. */
    @Override
    void close();

    /** Starts a progress display for a task of {@code totalBytes}. */
    @FunctionalInterface
    interface Factory {
        LoadProgress start(String task, long totalBytes);
    }

    /** Reports nothing. */
    static Factory silent() {
        return (task, total) -> new LoadProgress() {
            @Override
            public void advance(long bytes) {
                // nothing to show
            }

            @Override
            public void close() {
                // nothing to end
            }
        };
    }

    /**
     * A progress bar on a terminal; log lines every 10 % otherwise (log files and pipes would fill up with
     * redrawn bars).
     */
    static Factory automatic() {
        return System.console() != null ? ConsoleLoadProgress::new : LoggedLoadProgress::new;
    }
}
