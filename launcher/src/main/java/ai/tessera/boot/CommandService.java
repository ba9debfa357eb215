package ai.tessera.boot;

import java.io.PrintStream;
import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A command line run inside the container. runtime-core registers one; the launcher, which lives on the
 * framework class path and cannot see bundle classes, finds it through this interface (exported by the
 * framework as a system package) and hands it the user's arguments.
 */
@ProviderType
public interface CommandService {
    /**
     * Runs one command ({@code plugins}, {@code serve}, ...) to completion.
     *
     * @return the process exit code: 0 on success, 1 on a failure the user can fix, 2 on bad usage
     */
    int execute(List<String> args, PrintStream out, PrintStream err);

    /**
     * Asks the command running now to end as it would on its own, before the container stops (the launcher calls
     * it on SIGTERM or Ctrl-C): {@code serve} stops taking requests (503) and lets those in flight finish, each
     * model for at most its drain timeout. Returns once the command has ended, at once when none runs, or after
     * {@code timeout}.
     */
    default void shutdown(java.time.Duration timeout) throws InterruptedException {
    }
}
