package ai.tessera.gemma4;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The modules a load has built so far, freed together if the load fails before it hands them over:
 * <pre>{@code
 * try (LoadGuard guard = new LoadGuard()) {
 *     Linear a = guard.add(Linear.load(...));
 *     ...
 *     return guard.done(new Module(a, ...));
 * }
 * }</pre>
 */
final class LoadGuard implements AutoCloseable {
    private final Deque<AutoCloseable> modules = new ArrayDeque<>();
    private boolean done;

    <T extends AutoCloseable> T add(T module) {
        modules.push(module);
        return module;
    }

    /** The load succeeded: {@code result} owns the modules now. */
    <T> T done(T result) {
        done = true;
        return result;
    }

    /** Frees the modules, newest first, unless the load is done; a failure to free joins the load's failure. */
    @Override
    public void close() {
        if (done) {
            return;
        }
        IllegalStateException failure = null;
        while (!modules.isEmpty()) {
            try {
                modules.pop().close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = new IllegalStateException("freeing a partly loaded module failed", e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
