package ai.tessera.karaf;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * What a command prints, sent line by line to the container's log (Karaf: {@code data/log/karaf.log}), since a
 * command run from configuration has no terminal. The last lines are kept for the message of a failure.
 */
final class LogLines extends OutputStream {
    private static final int KEPT = 20;
    private final Logger log;
    private final Supplier<Level> level;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private final List<String> last = new ArrayList<>();

    private LogLines(Logger log, Supplier<Level> level) {
        this.log = log;
        this.level = level;
    }

    static LogLines to(Logger log, Supplier<Level> level) {
        return new LogLines(log, level);
    }

    PrintStream printStream() {
        return new PrintStream(this, true, StandardCharsets.UTF_8);
    }

    @Override
    public synchronized void write(int b) {
        if (b == '\n') {
            flushLine();
        } else {
            line.write(b);
        }
    }

    @Override
    public synchronized void flush() {
        // A line is logged when it ends; a partial line waits for its end (or close).
    }

    @Override
    public synchronized void close() {
        if (line.size() > 0) {
            flushLine();
        }
    }

    /** The last lines written, oldest first. */
    synchronized List<String> lastLines() {
        return List.copyOf(last);
    }

    private void flushLine() {
        String text = line.toString(StandardCharsets.UTF_8).stripTrailing();
        line.reset();
        if (text.isEmpty()) {
            return;
        }
        if (last.size() == KEPT) {
            last.remove(0);
        }
        last.add(text);
        log.log(level.get(), text);
    }
}
