package ai.tessera.karaf;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.junit.jupiter.api.Test;

class LogLinesTest {

    @Test
    void eachLineIsOneLogRecordAndTheLastAreKept() {
        Logger logger = Logger.getLogger("LogLinesTest");
        logger.setUseParentHandlers(false);
        List<String> records = new ArrayList<>();
        logger.addHandler(new Handler() {
            @Override
            public void publish(LogRecord r) {
                records.add(r.getLevel() + " " + r.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        });
        LogLines lines = LogLines.to(logger, () -> Level.WARNING);
        try (PrintStream out = lines.printStream()) {
            out.println("tessera serve: --port must be between 1 and 65535, got 0");
            out.print("\n");
            for (int i = 0; i < 25; i++) {
                out.println("line " + i);
            }
            out.print("unfinished");
        }
        assertEquals("WARNING tessera serve: --port must be between 1 and 65535, got 0", records.get(0));
        assertEquals(27, records.size(), "blank lines are dropped, the unfinished one is logged at close");
        assertEquals(20, lines.lastLines().size());
        assertEquals("unfinished", lines.lastLines().get(19));
        assertEquals("line 6", lines.lastLines().get(0));
    }
}
