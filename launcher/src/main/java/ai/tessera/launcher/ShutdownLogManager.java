package ai.tessera.launcher;

import java.util.logging.LogManager;

/**
 * The JDK's LogManager, except that its own shutdown hook no longer closes every handler: that hook runs beside
 * Tessera's, so the lines that say how a shutdown went (requests refused, drained, models closed) were lost. The
 * {@code tessera} script selects it with {@code -Djava.util.logging.manager}; the console handler flushes each
 * record, so nothing waits in a buffer.
 */
public final class ShutdownLogManager extends LogManager {
    @Override
    public void reset() {
        if (Thread.currentThread().getClass().getName().startsWith(LogManager.class.getName() + "$")) {
            return; // LogManager.Cleaner, the JDK's shutdown hook
        }
        super.reset();
    }
}
