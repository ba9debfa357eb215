package ai.tessera.core.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import ai.tessera.core.server.MediaFetcher;
import ai.tessera.core.server.ModelSlot;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine;

/**
 * One served model and how to serve it: the model folder and {@code serve}'s per-model flags (vLLM's names). The
 * same object comes from the command line ({@code tessera serve MODEL_DIR --flags}) and from a model configuration
 * ({@code etc/ai.tessera.model-NAME.cfg}, whose keys are the flags without {@code --}), so both are checked alike.
 */
final class ModelSpec {
    /** Configuration keys whose relative paths are resolved against the Tessera home. */
    private static final Set<String> PATH_KEYS = Set.of("chat-template", "allowed-local-media-path");

    /** The model folder: serve's MODEL_DIR, or a configuration's {@code model}. */
    Path modelDir;

    /** The name a configuration gives by its file name ({@code ai.tessera.model-NAME.cfg}), if any. */
    String configuredName;

    @CommandLine.Option(names = "--served-model-name", paramLabel = "NAME",
            description = "The model name in the API (default: the folder's name).")
    String servedModelName;

    @CommandLine.Mixin
    ModelSession.LoadOptions load = new ModelSession.LoadOptions();

    @CommandLine.Mixin
    EngineOptions engine = new EngineOptions();

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

    @CommandLine.Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Seed of requests without one (default: ${DEFAULT-VALUE}).")
    long seed;

    @CommandLine.Option(names = "--swap-wait-seconds", paramLabel = "S", defaultValue = "30",
            description = "While the model loads or swaps, how long a request waits before a 503 (default: ${DEFAULT-VALUE}).")
    long swapWaitSeconds;

    @CommandLine.Option(names = "--drain-timeout-seconds", paramLabel = "S", defaultValue = "60",
            description = "On a swap, how long requests in flight may run on before they are aborted (default: ${DEFAULT-VALUE}).")
    long drainTimeoutSeconds;

    /** The name the API serves the model under: the flag or key, else the configuration's name, else the folder's. */
    String servedName() {
        if (servedModelName != null && !servedModelName.isBlank()) {
            return servedModelName;
        }
        if (configuredName != null && !configuredName.isBlank()) {
            return configuredName;
        }
        return modelDir.toAbsolutePath().normalize().getFileName().toString();
    }

    ModelSlot.Settings settings() {
        return new ModelSlot.Settings(Duration.ofSeconds(swapWaitSeconds), Duration.ofSeconds(drainTimeoutSeconds));
    }

    /** Every check that needs no plugin and no loading; a bad value is an IllegalArgumentException naming it. */
    void validate() {
        if (modelDir == null) {
            throw new IllegalArgumentException("no model folder given");
        }
        load.model.pluginWait();
        if (swapWaitSeconds < 0) {
            throw new IllegalArgumentException("--swap-wait-seconds must be zero or more, got " + swapWaitSeconds);
        }
        if (drainTimeoutSeconds < 0) {
            throw new IllegalArgumentException("--drain-timeout-seconds must be zero or more, got " + drainTimeoutSeconds);
        }
        mmLimits();
        engine.cudaGraphSizes();
        engine.compileMultimodalEncoders();
        if (enableAutoToolChoice && toolCallParser == null) {
            throw new IllegalArgumentException("--enable-auto-tool-choice needs --tool-call-parser");
        }
        if (allowedLocalMediaPath != null && !Files.isDirectory(allowedLocalMediaPath)) {
            throw new IllegalArgumentException("--allowed-local-media-path " + allowedLocalMediaPath + " is not a folder");
        }
        processorKwargs();
        if (mediaMaxBytes <= 0 || mediaFetchTimeout <= 0) {
            throw new IllegalArgumentException("--media-max-bytes and --media-fetch-timeout must be positive, got "
                    + mediaMaxBytes + " and " + mediaFetchTimeout);
        }
        if (chatTemplate != null && !Files.isRegularFile(chatTemplate)) {
            throw new IllegalArgumentException("--chat-template " + chatTemplate + " is not a file");
        }
        if (chatTemplate != null) {
            try {
                // its syntax is checked here, before the model loads, not by the first chat request
                ai.tessera.core.chat.ChatTemplate.of(ai.tessera.core.chat.ChatTemplateSource.locate(modelDir,
                        java.util.Optional.of(chatTemplate)), java.util.Map.of());
            } catch (ai.tessera.api.ModelLoadException e) {
                throw new IllegalArgumentException("--chat-template: " + e.getMessage(), e);
            }
        }
    }

    /** {@code --mm-processor-kwargs} as a map (empty when not given). */
    Map<String, Object> processorKwargs() {
        if (mmProcessorKwargs == null) {
            return Map.of();
        }
        JsonNode node = json("--mm-processor-kwargs", mmProcessorKwargs);
        @SuppressWarnings("unchecked")
        Map<String, Object> map = new ObjectMapper().convertValue(node, LinkedHashMap.class);
        return map;
    }

    /** What fetches the media URLs of this model's requests. */
    MediaFetcher mediaFetcher() {
        return new MediaFetcher(allowedLocalMediaPath, mediaMaxBytes, Duration.ofSeconds(mediaFetchTimeout));
    }

    Map<String, Integer> mmLimits() {
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

    /** Parses a model configuration with the same options as the command line. */
    @CommandLine.Command(name = "ai.tessera.model")
    static final class FromConfiguration {
        @CommandLine.Mixin
        ModelSpec spec = new ModelSpec();
    }

    /**
     * A model configuration's properties as a spec. Keys are serve's flags without {@code --}, with {@code _} or
     * {@code -} ({@code max_model_len = 8192}); {@code model} is the folder; a flag without a value takes
     * {@code true} or {@code false}. Keys with a dot ({@code service.pid}, {@code felix.fileinstall.filename}) belong
     * to Config Admin and FileInstall and are skipped. Relative paths are resolved against {@code home}.
     *
     * @param name the name the configuration gives (from its file name), or null
     * @throws IllegalArgumentException naming the bad key and, for unknown keys, the known ones
     */
    static ModelSpec fromConfiguration(Map<String, ?> properties, Path home, String name) {
        FromConfiguration target = new FromConfiguration();
        CommandLine cli = new CommandLine(target);
        Map<String, CommandLine.Model.OptionSpec> options = new LinkedHashMap<>();
        for (CommandLine.Model.OptionSpec o : cli.getCommandSpec().options()) {
            options.put(o.longestName().substring(2), o);
        }
        List<String> args = new ArrayList<>();
        Path modelDir = null;
        for (Map.Entry<String, ?> e : properties.entrySet()) {
            String key = e.getKey();
            if (key.contains(".")) {
                continue;
            }
            String value = String.valueOf(e.getValue()).strip();
            String flag = key.replace('_', '-');
            if (flag.equals("model")) {
                modelDir = home.resolve(value);
                continue;
            }
            if (flag.equals("enable-prefix-caching")) {
                // the positive form reads better in a file than the flag's negation
                flag = "no-enable-prefix-caching";
                value = value.equals("true") ? "false" : value.equals("false") ? "true" : value;
            }
            CommandLine.Model.OptionSpec option = options.get(flag);
            if (option == null) {
                Set<String> known = new TreeSet<>();
                options.keySet().forEach(k -> known.add(k.replace('-', '_')));
                known.add("model");
                throw new IllegalArgumentException("unknown key '" + key + "'; known keys: " + String.join(", ", known));
            }
            if (option.arity().max() == 0) {
                if (!value.equals("true") && !value.equals("false")) {
                    throw new IllegalArgumentException("key '" + key + "' must be true or false, got '" + value + "'");
                }
                if (value.equals("true")) {
                    args.add("--" + flag);
                }
                continue;
            }
            if (PATH_KEYS.contains(flag)) {
                value = home.resolve(value).toString();
            }
            args.add("--" + flag + "=" + value);
        }
        if (modelDir == null) {
            throw new IllegalArgumentException("the key 'model' (the model folder) is missing");
        }
        try {
            cli.parseArgs(args.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            throw new IllegalArgumentException(e.getMessage() + " (keys are serve's flags without '--', e.g. "
                    + "max_model_len = 8192)");
        }
        ModelSpec spec = target.spec;
        spec.modelDir = modelDir;
        spec.configuredName = name;
        spec.validate();
        return spec;
    }
}
