package ai.tessera.core.weights;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A redrawn progress bar on the terminal (me.tongfei:progressbar, embedded in this bundle). The width is given
 * and the consumer chosen here, so the library never asks JLine for the terminal, which the bundle does not carry.
 */
final class ConsoleLoadProgress implements LoadProgress {
    private static final int DEFAULT_WIDTH = 100;
    private static final long MIB = 1024 * 1024;

    private final ProgressBar bar;
    private long pendingBytes;
    private boolean closed;

    ConsoleLoadProgress(String task, long totalBytes) {
        int width = terminalWidth();
        this.bar = new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(Math.max(1, (totalBytes + MIB - 1) / MIB))
                .setUnit(" MiB", 1)
                .setStyle(ProgressBarStyle.ASCII)
                .setMaxRenderedLength(width)
                .setConsumer(new ConsoleProgressBarConsumer(System.err, width))
                .setUpdateIntervalMillis(250)
                .showSpeed()
                .build();
    }

    @Override
    public synchronized void advance(long bytes) {
        pendingBytes += bytes;
        if (pendingBytes >= MIB) {
            bar.stepBy(pendingBytes / MIB);
            pendingBytes %= MIB;
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (pendingBytes > 0) {
            bar.stepBy(1);
            pendingBytes = 0;
        }
        bar.close();
    }

    /** {@code COLUMNS} when the shell exports it, else a width most terminals have. */
    private static int terminalWidth() {
        String columns = System.getenv("COLUMNS");
        if (columns != null && columns.matches("\\d{2,4}")) {
            return Math.max(40, Integer.parseInt(columns) - 1);
        }
        return DEFAULT_WIDTH;
    }
}
