package ai.tessera.launcher;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Logger;
import java.util.stream.Stream;

import ai.tessera.boot.CommandService;

/**
 * The {@code tessera} command: starts the container, waits for the deploy folder to settle and runs the
 * command inside it (runtime-core's {@link CommandService}). The only place in Tessera that exits the process.
 *
 * <p>System properties: {@code tessera.home} (where {@code lib/}, {@code bundles/} and {@code etc/} are; default:
 * the working directory), {@code tessera.bundles} (another deploy folder), {@code tessera.etc} (another folder of
 * configurations), {@code tessera.settle.seconds}.
 */
public final class Main {
    private static final Logger LOG = Logger.getLogger(Main.class.getName());

    private Main() {
    }

    public static void main(String[] args) {
        LogSetup.configure(List.of(args));
        // ImageIO plugins (WebP) sit on this class path; register them while the context class loader sees it.
        javax.imageio.ImageIO.scanForPlugins();
        System.exit(run(List.of(args), System.out, System.err));
    }

    static int run(List<String> args, PrintStream out, PrintStream err) {
        Path home = Path.of(System.getProperty("tessera.home", ".")).toAbsolutePath().normalize();
        Path storage;
        try {
            storage = Files.createTempDirectory("tessera-felix-");
        } catch (IOException e) {
            err.println("tessera: cannot create a temporary folder for the framework cache: " + e.getMessage());
            return 1;
        }
        ContainerSettings settings = ContainerSettings.forHome(home, storage);
        String deploy = System.getProperty("tessera.bundles");
        if (deploy != null) {
            settings = settings.withDeployFolder(Path.of(deploy).toAbsolutePath());
        }
        String etc = System.getProperty("tessera.etc");
        if (etc != null) {
            settings = settings.withConfigFolder(Path.of(etc).toAbsolutePath());
        }
        Duration settle = Duration.ofSeconds(Long.getLong("tessera.settle.seconds", 120));
        Container container;
        try {
            container = Container.start(settings);
        } catch (RuntimeException e) {
            err.println("tessera: " + e.getMessage());
            deleteQuietly(storage);
            return 1;
        }
        AtomicReference<CommandService> running = new AtomicReference<>();
        Thread hook = new Thread(() -> {
            endGracefully(running.get());
            container.close();
        }, "tessera-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            CommandService commands = container.awaitService(CommandService.class, settle);
            running.set(commands);
            container.awaitSettled(settle);
            return commands.execute(args, out, err);
        } catch (TimeoutException e) {
            err.println("tessera: the container did not become ready: " + e.getMessage()
                    + "\nIs ai.tessera.runtime-core in " + container.settings().deployFolder() + "?");
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 130;
        } finally {
            container.close();
            deleteQuietly(storage);
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // The JVM is already shutting down and runs the hook itself.
                LOG.fine("shutdown in progress");
            }
        }
    }

    /**
     * SIGTERM or Ctrl-C: the command ends first (serve lets the requests in flight finish, at most
     * {@code tessera.shutdown.seconds}, default 90: a model's drain takes up to its {@code drain_timeout_seconds},
     * default 60), then the container stops under it.
     */
    private static void endGracefully(CommandService commands) {
        if (commands == null) {
            return;
        }
        try {
            commands.shutdown(Duration.ofSeconds(Long.getLong("tessera.shutdown.seconds", 90)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            // the container stops under the command anyway
            LOG.log(java.util.logging.Level.WARNING, "the command did not end gracefully", e);
        }
    }

    private static void deleteQuietly(Path folder) {
        try (Stream<Path> files = Files.walk(folder)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.fine("could not delete " + folder + ": " + e.getMessage());
        }
    }

}
