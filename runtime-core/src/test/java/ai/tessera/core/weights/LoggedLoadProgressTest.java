package ai.tessera.core.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LoggedLoadProgressTest {
    private final List<String> lines = new ArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            lines.add(record.getMessage());
        }

        @Override
        public void flush() {
            // kept in memory
        }

        @Override
        public void close() {
            // kept in memory
        }
    };

    @BeforeEach
    void attach() {
        LoggedLoadProgress.LOG.addHandler(capture);
        LoggedLoadProgress.LOG.setUseParentHandlers(false);
    }

    @AfterEach
    void detach() {
        LoggedLoadProgress.LOG.removeHandler(capture);
        LoggedLoadProgress.LOG.setUseParentHandlers(true);
    }

    @Test
    void logsOnceForEveryTenPercentAndOnceAtTheEnd() {
        try (LoggedLoadProgress progress = new LoggedLoadProgress("Loading weights", 1000)) {
            for (int i = 0; i < 200; i++) {
                progress.advance(5);
            }
        }
        assertEquals(11, lines.size(), lines.toString());
        assertTrue(lines.get(0).startsWith("Loading weights: 10% (100 B of 1000 B)"), lines.get(0));
        assertTrue(lines.get(9).startsWith("Loading weights: 100% (1000 B of 1000 B)"), lines.get(9));
        assertTrue(lines.get(10).startsWith("Loading weights: done, 1000 B in"), lines.get(10));
    }

    @Test
    void aLargeStepLogsOnlyTheStepReached() {
        try (LoggedLoadProgress progress = new LoggedLoadProgress("Loading weights", 3L << 30)) {
            progress.advance(2L << 30);
        }
        assertEquals(2, lines.size(), lines.toString());
        assertTrue(lines.get(0).startsWith("Loading weights: 60% (2.0 GiB of 3.0 GiB)"), lines.get(0));
    }
}
