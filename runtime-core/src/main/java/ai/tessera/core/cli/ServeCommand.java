package ai.tessera.core.cli;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Logger;

import ai.tessera.boot.RegistryView;
import ai.tessera.core.config.JsonModelConfig;
import ai.tessera.core.registry.PluginRegistry;
import ai.tessera.core.registry.Registration;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import picocli.CommandLine;

/**
 * {@code tessera serve [MODEL_DIR]}: keeps the container running with its HTTP endpoint up. The model is
 * resolved by architecture name; the engine and the OpenAI API that run it come with their own issues.
 */
@CommandLine.Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Runs the container and its HTTP endpoint until stopped (Ctrl-C).")
final class ServeCommand implements Callable<Integer> {
    private static final Logger LOG = Logger.getLogger(ServeCommand.class.getName());
    private static final String HTTP_PID = "org.apache.felix.http";

    private final PluginRegistry registry;
    private final RegistryView view;
    private final ConfigurationAdmin configAdmin;
    private final CountDownLatch stopped;

    @CommandLine.Parameters(paramLabel = "MODEL_DIR", arity = "0..1",
            description = "A Hugging Face model folder (with config.json).")
    Path modelDir;

    @CommandLine.Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String host;

    @CommandLine.Option(names = "--port", defaultValue = "8000", description = "Port to listen on (default: ${DEFAULT-VALUE}).")
    int port;

    @CommandLine.Mixin
    ModelOptions model = new ModelOptions();

    ServeCommand(PluginRegistry registry, RegistryView view, ConfigurationAdmin configAdmin, CountDownLatch stopped) {
        this.registry = registry;
        this.view = view;
        this.configAdmin = configAdmin;
        this.stopped = stopped;
    }

    @Override
    public Integer call() throws Exception {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("--port must be between 1 and 65535, got " + port);
        }
        if (modelDir != null) {
            JsonModelConfig config = model.config(modelDir);
            Registration r = model.architecture(registry, config);
            LOG.info("model " + modelDir + ": architecture " + r.name() + " from " + r.bundleName() + " "
                    + r.bundleVersion());
        }
        checkPortFree();
        startHttp();
        awaitListening();
        LOG.info("Tessera " + view.plugins().size() + " plugins registered; serving on http://" + host + ":" + port
                + " (GET /health). Ctrl-C stops.");
        stopped.await();
        return 0;
    }

    private void checkPortFree() {
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(InetAddress.getByName(host), port));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot listen on " + host + ":" + port + " (" + e.getMessage()
                    + "); pick another --port or --host");
        }
    }

    /** Felix HTTP (Jetty) is configured through Config Admin, so the whiteboard servlets go live on our port. */
    private void startHttp() throws IOException {
        Configuration http = configAdmin.getConfiguration(HTTP_PID, "?");
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("org.apache.felix.http.enable", true);
        props.put("org.osgi.service.http.port", port);
        props.put("org.apache.felix.http.host", host);
        props.put("org.apache.felix.http.name", "tessera");
        http.update(props);
    }

    private void awaitListening() throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(host, port), 200);
                return;
            } catch (IOException notYet) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("the HTTP server did not start on " + host + ":" + port + " within 30 s");
    }
}
