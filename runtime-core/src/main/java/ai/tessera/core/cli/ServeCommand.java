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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Logger;

import ai.tessera.api.ReasoningParser;
import ai.tessera.api.ToolParser;
import ai.tessera.boot.PluginInfo.Kind;
import ai.tessera.core.engine.Engine;
import ai.tessera.core.registry.PluginRegistry;
import ai.tessera.core.registry.Registration;
import ai.tessera.core.server.MediaFetcher;
import ai.tessera.core.server.MediaSupport;
import ai.tessera.core.server.NamedPlugin;
import ai.tessera.core.server.ServedModel;
import ai.tessera.core.server.ServedModels;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import picocli.CommandLine;

/**
 * {@code tessera serve [MODEL_DIR]}: loads a model and serves it behind the OpenAI-compatible API until stopped,
 * with vLLM's flag names. Flags are checked before anything loads; without MODEL_DIR the demo model is served.
 */
@CommandLine.Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Serves a Hugging Face model folder behind an OpenAI-compatible API until stopped (Ctrl-C).")
final class ServeCommand implements Callable<Integer> {
    private static final Logger LOG = Logger.getLogger(ServeCommand.class.getName());
    private static final String HTTP_PID = "org.apache.felix.http";
    private static final Set<String> COMPILATION_KEYS = Set.of("cudagraph_capture_sizes", "compile_mm_encoder", "level",
            "mode", "use_cudagraph", "full_cuda_graph");

    private final PluginRegistry registry;
    private final ServedModels served;
    private final ConfigurationAdmin configAdmin;
    private final CountDownLatch stopped;

    @CommandLine.Parameters(paramLabel = "MODEL_DIR", arity = "0..1",
            description = "A Hugging Face model folder (config.json, safetensors, tokenizer). Default: the demo model.")
    Path modelDir;

    @CommandLine.Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String host;

    @CommandLine.Option(names = "--port", defaultValue = "8000", description = "Port to listen on (default: ${DEFAULT-VALUE}).")
    int port;

    @CommandLine.Option(names = "--served-model-name", paramLabel = "NAME",
            description = "The model name in the API (default: the folder's name).")
    String servedModelName;

    @CommandLine.Mixin
    ModelSession.LoadOptions load = new ModelSession.LoadOptions();

    @CommandLine.Mixin
    EngineOptions engine = new EngineOptions();

    @CommandLine.Option(names = "--api-key", paramLabel = "KEY", defaultValue = "${env:TESSERA_API_KEY}",
            description = "Require 'Authorization: Bearer KEY' (default: $TESSERA_API_KEY, else no key).")
    String apiKey;

    @CommandLine.Option(names = "--limit-mm-per-prompt", paramLabel = "JSON",
            description = "Most media items per prompt by modality, e.g. '{\"image\":4,\"audio\":2}'.")
    String limitMmPerPrompt;

    @CommandLine.Option(names = "--chat-template", paramLabel = "FILE", description = "A Jinja chat template to use instead of the model's.")
    Path chatTemplate;

    @CommandLine.Option(names = "--reasoning-parser", paramLabel = "NAME",
            description = "Return reasoning separately as reasoning_content (e.g. deepseek_r1, qwen3, gemma4).")
    String reasoningParser;

    @CommandLine.Option(names = "--tool-call-parser", paramLabel = "NAME", description = "How tool calls are parsed from output (e.g. gemma4).")
    String toolCallParser;

    @CommandLine.Option(names = "--enable-auto-tool-choice", description = "Let the model call tools with tool_choice \"auto\".")
    boolean enableAutoToolChoice;

    @CommandLine.Option(names = "--allowed-local-media-path", paramLabel = "DIR",
            description = "A folder from which requests may read media by file:// URL.")
    Path allowedLocalMediaPath;

    @CommandLine.Option(names = "--mm-processor-kwargs", paramLabel = "JSON",
            description = "Defaults for the multimodal processor, e.g. '{\"max_pixels\":1003520}'; a request's "
                    + "mm_processor_kwargs override them.")
    String mmProcessorKwargs;

    @CommandLine.Option(names = "--media-max-bytes", paramLabel = "BYTES", defaultValue = "32MiB",
            converter = ByteSizeConverter.class, description = "Largest media item a request may send or link (default 32MiB).")
    long mediaMaxBytes;

    @CommandLine.Option(names = "--media-fetch-timeout", paramLabel = "SECONDS", defaultValue = "10",
            description = "How long fetching one http(s) media URL may take (default 10).")
    int mediaFetchTimeout;

    @CommandLine.Option(names = "--compilation-config", paramLabel = "JSON",
            description = "vLLM's compilation settings, e.g. '{\"cudagraph_capture_sizes\":[1,2,4,8]}'.")
    String compilationConfig;

    @CommandLine.Option(names = "--enforce-eager", description = "Never capture CUDA graphs.")
    boolean enforceEager;

    @CommandLine.Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Seed of requests without one (default: ${DEFAULT-VALUE}).")
    long seed;

    @CommandLine.Option(names = "--disable-log-requests", description = "Do not log each request.")
    boolean disableLogRequests;

    ServeCommand(PluginRegistry registry, ServedModels served, ConfigurationAdmin configAdmin, CountDownLatch stopped) {
        this.registry = registry;
        this.served = served;
        this.configAdmin = configAdmin;
        this.stopped = stopped;
    }

    @Override
    public Integer call() throws Exception {
        Path folder = modelDir != null ? modelDir : demoModel();
        // Every flag is checked before anything loads.
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("--port must be between 1 and 65535, got " + port);
        }
        if (load.model.waitForPlugins < 0) {
            throw new IllegalArgumentException("--wait-for-plugins must be zero or more seconds, got "
                    + load.model.waitForPlugins);
        }
        Map<String, Integer> limits = mmLimits();
        checkCompilationConfig();
        if (enableAutoToolChoice && toolCallParser == null) {
            throw new IllegalArgumentException("--enable-auto-tool-choice needs --tool-call-parser");
        }
        if (allowedLocalMediaPath != null && !Files.isDirectory(allowedLocalMediaPath)) {
            throw new IllegalArgumentException("--allowed-local-media-path " + allowedLocalMediaPath + " is not a folder");
        }
        Map<String, Object> processorKwargs = processorKwargs();
        if (mediaMaxBytes <= 0 || mediaFetchTimeout <= 0) {
            throw new IllegalArgumentException("--media-max-bytes and --media-fetch-timeout must be positive, got "
                    + mediaMaxBytes + " and " + mediaFetchTimeout);
        }
        MediaFetcher fetcher = new MediaFetcher(allowedLocalMediaPath, mediaMaxBytes, Duration.ofSeconds(mediaFetchTimeout));
        if (chatTemplate != null && !Files.isRegularFile(chatTemplate)) {
            throw new IllegalArgumentException("--chat-template " + chatTemplate + " is not a file");
        }
        NamedPlugin<ReasoningParser> reasoning = plugin(Kind.REASONING_PARSER, reasoningParser, ReasoningParser.class);
        NamedPlugin<ToolParser> tools = plugin(Kind.TOOL_PARSER, toolCallParser, ToolParser.class);
        checkPortFree();

        ModelSession session = ModelSession.load(registry, folder, load);
        TokenizerCodec codec = TokenizerCodec.forModel(folder, Optional.ofNullable(chatTemplate));
        Engine started = Engine.start(session.model(), engine.engineConfig(session, 2048, session.samplingDefaults(),
                codec.decoder(), seed, codec.eosTokenIds()));
        String name = servedModelName != null ? servedModelName : folder.toAbsolutePath().normalize().getFileName().toString();
        served.setApiKey(apiKey == null || apiKey.isBlank() ? null : apiKey);
        served.add(new ServedModel(name, folder.toAbsolutePath().toString(), System.currentTimeMillis() / 1000, started,
                codec, started.config().scheduler().maxModelLen(), vocabSize(session), session.modalities(), limits,
                reasoning, tools, enableAutoToolChoice, session.media().map(p -> new MediaSupport(p, fetcher,
                processorKwargs)).orElse(null)));
        try {
            startHttp();
            awaitListening();
            LOG.info("serving " + name + " (" + session.model().attentionLayers().size() + " attention layers, max "
                    + started.config().scheduler().maxModelLen() + " tokens, " + started.stats().numBlocks()
                    + " KV blocks) on http://" + host + ":" + port + "/v1" + (apiKey != null && !apiKey.isBlank()
                    ? " (API key required)" : "") + ". Ctrl-C stops.");
            stopped.await();
        } finally {
            served.remove(name);
            codec.close();
            session.close();
        }
        return 0;
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

    /** The config's vocabulary size; without one, prompt token ids are not range-checked. */
    private static int vocabSize(ModelSession session) {
        try {
            return session.vocabSize();
        } catch (IllegalArgumentException noVocabSize) {
            LOG.warning(noVocabSize.getMessage() + ": prompt token ids are not checked against the vocabulary");
            return Integer.MAX_VALUE;
        }
    }

    /**
     * A parser by name: it must be registered at start (or within {@code --wait-for-plugins}), and is then looked up
     * per request, so that removing or updating its bundle while serving turns it off and on again.
     */
    private <T> NamedPlugin<T> plugin(Kind kind, String name, Class<T> type) throws InterruptedException {
        if (name == null) {
            return NamedPlugin.none(type);
        }
        registry.await(kind, name, Duration.ofSeconds(load.model.waitForPlugins))
                .orElseThrow(() -> registry.notRegistered(kind, name));
        return NamedPlugin.of(registry, kind, name, type);
    }

    private Map<String, Object> processorKwargs() {
        if (mmProcessorKwargs == null) {
            return Map.of();
        }
        JsonNode node = json("--mm-processor-kwargs", mmProcessorKwargs);
        @SuppressWarnings("unchecked")
        Map<String, Object> map = new ObjectMapper().convertValue(node, LinkedHashMap.class);
        return map;
    }

    private Map<String, Integer> mmLimits() {
        Map<String, Integer> limits = new LinkedHashMap<>();
        if (limitMmPerPrompt == null) {
            return limits;
        }
        JsonNode node = json("--limit-mm-per-prompt", limitMmPerPrompt);
        List<String> known = List.of("image", "audio", "video");
        node.fields().forEachRemaining(e -> {
            if (!known.contains(e.getKey())) {
                throw new IllegalArgumentException("--limit-mm-per-prompt: unknown modality '" + e.getKey()
                        + "'; expected " + known);
            }
            if (!e.getValue().isIntegralNumber() || e.getValue().asInt() < 0) {
                throw new IllegalArgumentException("--limit-mm-per-prompt: " + e.getKey()
                        + " must be a non-negative integer, got " + e.getValue());
            }
            limits.put(e.getKey(), e.getValue().asInt());
        });
        return limits;
    }

    private void checkCompilationConfig() {
        if (compilationConfig == null) {
            return;
        }
        JsonNode node = json("--compilation-config", compilationConfig);
        List<String> unknown = new ArrayList<>();
        node.fieldNames().forEachRemaining(k -> {
            if (!COMPILATION_KEYS.contains(k)) {
                unknown.add(k);
            }
        });
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("--compilation-config: unknown keys " + unknown + "; known: "
                    + COMPILATION_KEYS);
        }
        JsonNode sizes = node.get("cudagraph_capture_sizes");
        if (sizes != null && !sizes.isArray()) {
            throw new IllegalArgumentException("--compilation-config: cudagraph_capture_sizes must be a list of "
                    + "batch sizes, got " + sizes);
        }
    }

    private static JsonNode json(String flag, String text) {
        JsonNode node;
        try {
            node = new ObjectMapper().readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(flag + " is not valid JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException(flag + " must be a JSON object, got " + text);
        }
        return node;
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
    private void startHttp() throws IOException {
        Configuration http = configAdmin.getConfiguration(HTTP_PID, "?");
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("org.apache.felix.http.enable", true);
        props.put("org.osgi.service.http.port", port);
        props.put("org.apache.felix.http.host", host);
        props.put("org.apache.felix.http.name", "tessera");
        props.put("org.apache.felix.http.jetty.threadpool.max", Math.max(200, 2 * engine.maxNumSeqs + 32));
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
