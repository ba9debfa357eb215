package ai.tessera.karaf;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.logging.Level;
import java.util.logging.Logger;

import javax.imageio.ImageIO;

import ai.tessera.boot.CommandService;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code tessera serve} started by configuration, for containers where no Tessera launcher runs the command line
 * (Apache Karaf): while the configuration {@value #PID} exists (e.g. {@code etc/ai.tessera.serve.cfg}) the server
 * runs on its own thread, serving its {@code model} if it names one and the models of the {@code ai.tessera.model-NAME}
 * configurations; changing the configuration restarts the server with the new settings, deleting it stops the
 * server. See {@link ServeArguments} for how keys become flags.
 */
@Component(configurationPid = ConfiguredServe.PID, configurationPolicy = ConfigurationPolicy.REQUIRE)
public class ConfiguredServe {
    static final String PID = "ai.tessera.serve";
    /** The factory PID of runtime-core's model configurations (docs/operations.md). */
    static final String MODEL_FACTORY_PID = "ai.tessera.model";
    private static final Logger LOG = Logger.getLogger(ConfiguredServe.class.getName());
    private static final Duration STOP_LIMIT = Duration.ofSeconds(60);
    /** The class loader of the boot API: the one holding the native libraries, from KARAF_HOME/lib. */
    private static final ClassLoader FRAMEWORK_CLASS_PATH = CommandService.class.getClassLoader();

    private final ServeArguments arguments;
    private final Thread thread;
    private final ConfigurationAdmin configAdmin;
    private final FelixHttp http;
    private volatile boolean stopping;

    @Activate
    public ConfiguredServe(@Reference CommandService commands, @Reference ConfigurationAdmin configAdmin,
                           Map<String, Object> config) {
        this.arguments = ServeArguments.of(config);
        this.configAdmin = configAdmin;
        this.http = new FelixHttp(configAdmin);
        this.thread = new Thread(() -> serve(commands), "tessera-serve");
        // As under Tessera's launcher, the serve and the threads it starts see the framework class path as their
        // context class loader (in Karaf that is not the JVM's class path but the loader of KARAF_HOME/lib).
        thread.setContextClassLoader(FRAMEWORK_CLASS_PATH);
        thread.start();
    }

    /**
     * ImageIO finds its plugins (TwelveMonkeys' WebP reader, on the framework class path) through the context class
     * loader of the thread that first uses it, once for the whole JVM; under Karaf that loader does not see
     * KARAF_HOME/lib, so the plugins are registered here, with the framework class path as context.
     */
    private static void registerImagePlugins() {
        Thread current = Thread.currentThread();
        ClassLoader previous = current.getContextClassLoader();
        current.setContextClassLoader(FRAMEWORK_CLASS_PATH);
        try {
            ImageIO.scanForPlugins();
        } catch (ServiceConfigurationError e) {
            LOG.log(Level.WARNING, "ImageIO plugins were not registered, so WebP images will be refused: "
                    + e.getMessage(), e);
        } finally {
            current.setContextClassLoader(previous);
        }
    }

    /**
     * Without a model of its own, serve serves the models configured as {@value #MODEL_FACTORY_PID}-NAME (and, with
     * none, would fall back to a demo model that Karaf does not have): it starts once there is one.
     */
    private void awaitModelConfiguration() throws IOException, InterruptedException {
        String filter = "(service.factoryPid=" + MODEL_FACTORY_PID + ")";
        boolean logged = false;
        try {
            while (configAdmin.listConfigurations(filter) == null) {
                if (!logged) {
                    LOG.info(PID + " names no model: waiting for a model configuration (etc/" + MODEL_FACTORY_PID
                            + "-NAME.cfg) to serve");
                    logged = true;
                }
                Thread.sleep(500);
            }
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException("filter " + filter, e);
        }
    }

    private void serve(CommandService commands) {
        LogLines out = LogLines.to(LOG, () -> Level.INFO);
        // serve's complaint about being interrupted is how it stops here, not a warning
        LogLines err = LogLines.to(LOG, () -> stopping ? Level.FINE : Level.WARNING);
        try (PrintStream outStream = out.printStream(); PrintStream errStream = err.printStream()) {
            registerImagePlugins();
            if (arguments.model().isEmpty()) {
                awaitModelConfiguration();
            }
            http.turnOffAndAwaitPort(arguments.host(), arguments.port(), Duration.ofSeconds(15));
            LOG.info("tessera " + String.join(" ", arguments.command()));
            int code = commands.execute(arguments.command(), outStream, errStream);
            if (!stopping) {
                LOG.severe("tessera serve of " + arguments.what() + " ended with exit code " + code + ": "
                        + String.join(" | ", err.lastLines()) + " (fix " + PID + " and save it again)");
            }
        } catch (IOException e) {
            LOG.log(Level.SEVERE, "cannot reconfigure the HTTP server through Config Admin", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            // this thread is the serve's only witness: what ends it goes to the log, not to a console nobody reads
            LOG.log(Level.SEVERE, "tessera serve of " + arguments.what() + " failed: " + e, e);
        }
    }

    /** Stops the server: serve waits for its stop signal interruptibly, and frees the model when interrupted. */
    @Deactivate
    void deactivate() throws InterruptedException {
        stopping = true;
        thread.interrupt();
        thread.join(STOP_LIMIT.toMillis());
        if (thread.isAlive()) {
            LOG.warning("tessera serve of " + arguments.what() + " did not stop within " + STOP_LIMIT.toSeconds() + " s");
        } else {
            LOG.info("stopped serving " + arguments.what());
        }
        try {
            http.turnOff();
        } catch (IOException | IllegalStateException e) {
            // Config Admin may already be stopping with the container; the next serve turns the server off itself.
            LOG.log(Level.FINE, "HTTP server left as it is", e);
        }
    }
}
