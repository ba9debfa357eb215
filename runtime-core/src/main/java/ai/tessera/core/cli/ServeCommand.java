package ai.tessera.core.cli;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Logger;
import java.util.stream.Stream;

import ai.tessera.core.registry.PluginRegistry;
import ai.tessera.core.server.ModelSlot;
import ai.tessera.core.server.ServedModel;
import ai.tessera.core.server.ServedModels;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import picocli.CommandLine;

/**
 * {@code tessera serve [MODEL_DIR]}: loads a model and serves it behind the OpenAI-compatible API until stopped,
 * with vLLM's flag names. Flags are checked before anything loads; without MODEL_DIR the demo model is served.
 */
@CommandLine.Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serves Hugging Face model folders behind an OpenAI-compatible API until stopped (Ctrl-C).",
            "With MODEL_DIR, that model; without it, the models configured in etc/ (ai.tessera.model-NAME.cfg), "
                + "else the demo model. Model configurations added, edited or deleted in etc/ while serving load, "
                + "reload or unload their model."})
final class ServeCommand implements Callable<Integer> {
    private static final Logger LOG = Logger.getLogger(ServeCommand.class.getName());
    private static final String HTTP_PID = "org.apache.felix.http";
    /** How long serve waits for FileInstall and Config Admin to hand it the model configurations of etc/. */
    private static final Duration CONFIGURATIONS_WAIT = Duration.ofSeconds(30);

    private final ServedModels served;
    private final ModelConfigurations configurations;
    private final PluginRegistry registry;
    private final ConfigurationAdmin configAdmin;
    private final Path etc;
    private final CountDownLatch stopped;
    private final Running running;

    /** Whether a serve runs now, and a latch released when it has ended (its models drained and closed). */
    static final class Running {
        private volatile CountDownLatch ended;

        boolean active() {
            return ended != null;
        }

        void start() {
            ended = new CountDownLatch(1);
        }

        void end() {
            CountDownLatch latch = ended;
            ended = null;
            if (latch != null) {
                latch.countDown();
            }
        }

        boolean awaitEnd(java.time.Duration timeout) throws InterruptedException {
            CountDownLatch latch = ended;
            return latch == null || latch.await(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        }
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec commandSpec;

    @CommandLine.Parameters(paramLabel = "MODEL_DIR", arity = "0..1",
            description = "A Hugging Face model folder (config.json, safetensors, tokenizer). Default: the models "
                    + "configured in etc/, else the demo model.")
    Path modelDir;

    @CommandLine.Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String host;

    @CommandLine.Option(names = "--port", defaultValue = "8000", description = "Port to listen on (default: ${DEFAULT-VALUE}).")
    int port;

    @CommandLine.Option(names = "--api-key", paramLabel = "KEY", defaultValue = "${env:TESSERA_API_KEY}",
            description = "Require 'Authorization: Bearer KEY' (default: $TESSERA_API_KEY, else no key).")
    String apiKey;

    @CommandLine.Option(names = "--disable-log-requests", description = "Do not log each request.")
    boolean disableLogRequests;

    @CommandLine.Mixin(name = "model")
    ModelSpec model = new ModelSpec();

    ServeCommand(PluginRegistry registry, ServedModels served, ModelConfigurations configurations,
                 ConfigurationAdmin configAdmin, Path etc, CountDownLatch stopped, Running running) {
        this.registry = registry;
        this.served = served;
        this.configurations = configurations;
        this.configAdmin = configAdmin;
        this.etc = etc;
        this.stopped = stopped;
        this.running = running;
    }

    @Override
    public Integer call() throws Exception {
        // Every flag is checked before anything loads.
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("--port must be between 1 and 65535, got " + port);
        }
        List<Path> configured = modelDir == null ? configurationFiles() : List.of();
        boolean fromEtc = !configured.isEmpty();
        if (fromEtc) {
            List<String> flags = modelFlagsGiven();
            if (!flags.isEmpty()) {
                throw new IllegalArgumentException("per-model flags (" + String.join(", ", flags) + ") need "
                        + "MODEL_DIR; the models configured in " + etc + " take their settings from their files");
            }
        } else {
            model.modelDir = modelDir != null ? modelDir : demoModel();
            model.validate();
        }
        checkPortFree();
        served.setApiKey(apiKey == null || apiKey.isBlank() ? null : apiKey);
        served.setLogRequests(!disableLogRequests);

        if (fromEtc) {
            awaitConfigurations(configured);
        }
        // the models of etc/ load in the background from now on, and follow their files while serve runs
        served.admitRequests();
        configurations.startServing();
        running.start();
        String cliModel = null;
        try {
            int maxNumSeqs = 0;
            if (!fromEtc) {
                ModelSlot slot = served.open(model.servedName(), model.modelDir.toAbsolutePath().toString(),
                        "the serve command", model.settings(), new ModelLoader(registry, model),
                        model.load.model.pluginWait(), false);
                cliModel = slot.name();
                if (slot.awaitSettled() != ModelSlot.State.READY) {
                    throw new IllegalArgumentException(slot.detail());
                }
                maxNumSeqs = model.engine.maxNumSeqs;
            }
            maxNumSeqs += configurations.maxNumSeqs().stream().mapToInt(Integer::intValue).sum();
            startHttp(maxNumSeqs);
            awaitListening();
            LOG.info("serving " + describe() + " on http://" + host + ":" + port + "/v1" + (apiKey != null
                    && !apiKey.isBlank() ? " (API key required)" : "") + "; model configurations in " + etc
                    + " are watched. Ctrl-C stops.");
            stopped.await();
        } finally {
            try {
                // requests in flight finish here (each model's drain timeout) while HTTP still answers
                if (cliModel != null) {
                    served.close(cliModel, "serve stopped");
                }
                configurations.stopServing();
            } finally {
                running.end();
            }
        }
        return 0;
    }

    /** "name (state, ...)" of every model, for the start-up line. */
    private String describe() {
        List<String> parts = new ArrayList<>();
        for (ModelSlot slot : served.all()) {
            String part = slot.name();
            Optional<ModelSlot.Version> v = slot.current();
            if (v.isPresent()) {
                ServedModel m = v.get().model();
                part += " (" + m.engine().stats().numBlocks() + " KV blocks, max " + m.maxModelLen() + " tokens)";
            } else {
                part += " (" + slot.state().wireName() + ": " + slot.detail() + ")";
            }
            parts.add(part);
        }
        return parts.isEmpty() ? "no model yet" : String.join(", ", parts);
    }

    /** The model configuration files in etc/: {@code ai.tessera.model-NAME.cfg} (or {@code .config}). */
    private List<Path> configurationFiles() throws IOException {
        if (etc == null || !Files.isDirectory(etc)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(etc)) {
            return files.filter(p -> {
                String n = p.getFileName().toString();
                return n.startsWith(ModelConfigurations.FACTORY_PID + "-") && (n.endsWith(".cfg") || n.endsWith(".config"));
            }).sorted().toList();
        }
    }

    /** Waits until Config Admin has handed every configuration file of etc/ to the model factory. */
    private void awaitConfigurations(List<Path> files) throws InterruptedException {
        long deadline = System.nanoTime() + CONFIGURATIONS_WAIT.toNanos();
        List<String> missing = files.stream().map(p -> p.getFileName().toString()).toList();
        while (true) {
            missing = missing.stream().filter(f -> !configurations.seen(f)).toList();
            if (missing.isEmpty() || System.nanoTime() > deadline) {
                break;
            }
            Thread.sleep(50);
        }
        if (!missing.isEmpty()) {
            LOG.warning("model configurations not picked up within " + CONFIGURATIONS_WAIT.toSeconds() + " s: " + missing);
        }
        LOG.info("serving the models configured in " + etc + ": " + files.stream().map(p -> p.getFileName().toString())
                .toList() + "; they load in the background");
    }

    /** The per-model flags given on the command line, e.g. [--max-model-len]. */
    private List<String> modelFlagsGiven() {
        CommandLine.Model.CommandSpec mixin = commandSpec.mixins().get("model");
        List<String> given = new ArrayList<>();
        for (CommandLine.Model.OptionSpec o : commandSpec.commandLine().getParseResult().matchedOptions()) {
            if (mixin.options().stream().anyMatch(m -> m.longestName().equals(o.longestName()))) {
                given.add(o.longestName());
            }
        }
        return given;
    }

    /** The demo model the build made, for a first run with no model at hand. */
    private static Path demoModel() {
        Path home = Path.of(System.getProperty("tessera.home", "."));
        Path demo = home.resolve("demo-model/tessera-demo");
        if (!Files.isRegularFile(demo.resolve("config.json"))) {
            throw new IllegalArgumentException("no MODEL_DIR given and the demo model is not built in " + demo
                    + "; build it with ./mvnw -q install -DskipTests, or name a model folder");
        }
        LOG.info("no MODEL_DIR given: serving the demo model in " + demo + " (random weights: its answers are gibberish)");
        return demo;
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

    /**
     * Felix HTTP (Jetty) is configured through Config Admin, so the whiteboard servlets go live on our port. Each
     * request in flight holds a Jetty thread until its last token, so the pool must hold a full engine batch and
     * as many waiting requests, with threads to spare for {@code /metrics} and {@code /health}; Jetty's default of
     * 200 would cap the batch below the default {@code --max-num-seqs} of 256.
     */
    private void startHttp(int maxNumSeqs) throws IOException {
        Configuration http = configAdmin.getConfiguration(HTTP_PID, "?");
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("org.apache.felix.http.enable", true);
        props.put("org.osgi.service.http.port", port);
        props.put("org.apache.felix.http.host", host);
        props.put("org.apache.felix.http.name", "tessera");
        props.put("org.apache.felix.http.jetty.threadpool.max", Math.max(200, 2 * maxNumSeqs + 32));
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
