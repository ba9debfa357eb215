package ai.tessera.core.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;

import ai.tessera.api.LoadedModel;
import ai.tessera.api.ModelArchitecture;
import ai.tessera.api.ModelLoadException;
import ai.tessera.api.Platform;
import ai.tessera.core.config.DTypes;
import ai.tessera.core.config.GenerationDefaults;
import ai.tessera.core.config.JsonModelConfig;
import ai.tessera.core.engine.SamplingParams;
import ai.tessera.core.registry.PluginRegistry;
import ai.tessera.core.registry.Registration;
import ai.tessera.core.resolve.LoadedContext;
import ai.tessera.core.resolve.Resolver;
import ai.tessera.core.weights.CountingWeights;
import ai.tessera.core.weights.WeightSources;
import org.bytedeco.pytorch.global.torch.ScalarType;
import picocli.CommandLine;

/**
 * A model loaded for a CLI command: its architecture resolved by name from config.json, the platform
 * ({@code --device}), the dtype ({@code --dtype}) and the weights ({@code --load-format}).
 */
final class ModelSession implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ModelSession.class.getName());
    /** Seed of {@code --load-format dummy} weights, fixed so that runs are comparable. */
    private static final long DUMMY_WEIGHTS_SEED = 0;

    private final JsonModelConfig config;
    private final Registration architecture;
    private final Platform platform;
    private final LoadedModel model;
    private final GenerationDefaults defaults;
    /** The architecture's multimodal processor bound to this model, or null when none is registered. */
    private final ai.tessera.api.MediaProcessor media;
    private final List<String> modalities;
    /** The registration of the media processor, or null. */
    private final Registration processor;
    /** What the loaded weights weigh ({@code tessera bench}'s rooflines). */
    private final WeightCensus weightCensus;

    private ModelSession(JsonModelConfig config, Registration architecture, Platform platform, LoadedModel model,
                         GenerationDefaults defaults, ai.tessera.api.MediaProcessor media, List<String> modalities,
                         Registration processor, WeightCensus weightCensus) {
        this.config = config;
        this.architecture = architecture;
        this.platform = platform;
        this.model = model;
        this.defaults = defaults;
        this.media = media;
        this.modalities = List.copyOf(modalities);
        this.processor = processor;
        this.weightCensus = weightCensus;
    }

    /** The flags that say how a model folder is loaded and where it runs (shared by generate, bench and serve). */
    static final class LoadOptions {
        @CommandLine.Option(names = "--load-format", paramLabel = "FORMAT", defaultValue = "auto",
                description = "auto or safetensors (the folder's weights), or dummy (random weights in the right shapes).")
        String loadFormat;

        @CommandLine.Option(names = "--dtype", paramLabel = "DTYPE", defaultValue = "auto",
                description = "auto (the config's), float32, bfloat16 or float16.")
        String dtype;

        @CommandLine.Option(names = "--device", paramLabel = "PLATFORM", defaultValue = "auto",
                description = "cpu, cuda, rocm, or auto (the best available).")
        String device;

        @CommandLine.Option(names = "--attention-backend", paramLabel = "NAME",
                description = "The attention backend of every layer (e.g. sdpa; `tessera plugins` lists them) instead"
                        + " of the platform's preference; a backend that cannot run some layer of the model is an"
                        + " error before the weights load.")
        String attentionBackend;

        @CommandLine.Mixin
        ModelOptions model = new ModelOptions();
    }

    /** {@code --model DIR} and how to load it. */
    static final class Options {
        @CommandLine.Option(names = "--model", paramLabel = "DIR", required = true,
                description = "A Hugging Face model folder (config.json, safetensors, tokenizer).")
        Path modelDir;

        @CommandLine.Mixin
        LoadOptions load = new LoadOptions();
    }

    /** @param engine the engine flags: {@code compile_mm_encoder} of {@code --compilation-config} reaches the model */
    static ModelSession load(PluginRegistry registry, Options options, EngineOptions engine)
            throws ModelLoadException, InterruptedException {
        return load(registry, options.modelDir, options.load, options.load.model.pluginWait(),
                engine.compileMultimodalEncoders());
    }

    /**
     * Loads a model folder, waiting up to {@code pluginWait} for its architecture to be registered.
     *
     * @param compileEncoders whether the multimodal encoders may run runtime-compiled kernels
     */
    static ModelSession load(PluginRegistry registry, Path modelDir, LoadOptions options, Duration pluginWait,
                             boolean compileEncoders) throws ModelLoadException, InterruptedException {
        JsonModelConfig config = options.model.config(modelDir);
        Resolver resolver = new Resolver(registry);
        Registration registration = options.model.architecture(registry, config, pluginWait);
        ModelArchitecture architecture = resolver.architectureService(registration);
        Platform platform = resolver.platform(options.device);
        ScalarType dtype = DTypes.forPlatform(DTypes.resolve(options.dtype, config), platform);
        LOG.info("loading " + modelDir + " as " + registration.name() + " from " + registration.bundleName()
                + " " + registration.bundleVersion() + " in " + DTypes.name(dtype) + " on " + platform.device().str()
                .getString());
        LoadedModel model;
        WeightCensus census;
        try (CountingWeights weights = new CountingWeights(WeightSources.open(modelDir, options.loadFormat, dtype,
                platform.device(), DUMMY_WEIGHTS_SEED))) {
            model = architecture.load(new LoadedContext(config, weights, platform, dtype,
                    Optional.of(modelDir), resolver, attentionBackend(options), compileEncoders));
            census = WeightCensus.of(weights.loaded());
        }
        ai.tessera.api.MediaProcessor media = null;
        List<String> modalities = List.of();
        Optional<Registration> processor = registry.find(ai.tessera.boot.PluginInfo.Kind.MULTIMODAL_PROCESSOR, registration.name());
        if (processor.isPresent()) {
            try {
                ai.tessera.api.MultimodalProcessor service = registry.service(processor.get(),
                        ai.tessera.api.MultimodalProcessor.class);
                media = service.forModel(config, Optional.of(modelDir));
                modalities = service.modalities();
            } catch (ModelLoadException | RuntimeException e) {
                model.close();
                throw e;
            }
        }
        return new ModelSession(config, registration, platform, model, GenerationDefaults.load(modelDir), media,
                modalities, processor.orElse(null), census);
    }

    /** The model's media processor, when its architecture has one. */
    Optional<ai.tessera.api.MediaProcessor> media() {
        return Optional.ofNullable(media);
    }

    /** What the model takes besides text. */
    List<String> modalities() {
        return modalities;
    }

    /** The registration of the model's multimodal processor, when its architecture has one. */
    Optional<Registration> processor() {
        return Optional.ofNullable(processor);
    }

    /** {@code --attention-backend}, or {@code null} for the platform's preference. */
    private static String attentionBackend(LoadOptions options) {
        String name = options.attentionBackend;
        if (name != null && name.isBlank()) {
            throw new IllegalArgumentException("--attention-backend needs a backend name, got an empty one");
        }
        return name;
    }

    /** Bytes and parameters of the weights the architecture loaded, by role. */
    WeightCensus weightCensus() {
        return weightCensus;
    }

    LoadedModel model() {
        return model;
    }

    /** The registration the model's architecture was loaded from. */
    Registration architecture() {
        return architecture;
    }

    Platform platform() {
        return platform;
    }

    GenerationDefaults defaults() {
        return defaults;
    }

    /** Sampling defaults as vLLM applies them: generation_config.json's values, else OpenAI's. */
    SamplingParams samplingDefaults() {
        return SamplingParams.builder()
                .temperature(defaults.temperature().orElse(1.0))
                .topP(defaults.topP().orElse(1.0))
                .topK(defaults.topK().orElse(0))
                .minP(defaults.minP().orElse(0.0))
                .repetitionPenalty(defaults.repetitionPenalty().orElse(1.0))
                .build();
    }

    /** End-of-sequence ids: generation_config.json's, else config.json's {@code eos_token_id}. */
    List<Integer> eosTokenIds() {
        if (!defaults.eosTokenIds().isEmpty()) {
            return defaults.eosTokenIds();
        }
        for (String key : List.of("eos_token_id", "text_config.eos_token_id")) {
            int eos = config.getInt(key, -1);
            if (eos >= 0) {
                return List.of(eos);
            }
            List<Double> list = config.getDoubles(key);
            if (!list.isEmpty()) {
                return list.stream().map(Double::intValue).toList();
            }
        }
        return List.of();
    }

    /** {@code vocab_size} of the config (or its text_config). */
    int vocabSize() {
        int n = config.getInt("vocab_size", config.getInt("text_config.vocab_size", -1));
        if (n <= 0) {
            throw new IllegalArgumentException("config.json has no vocab_size");
        }
        return n;
    }

    /**
     * The model's context length, the default {@code --max-model-len}: {@code max_position_embeddings} of the config
     * (or its text config), -1 when it has none.
     */
    int maxPositionEmbeddingsIfKnown() {
        return config.getInt("max_position_embeddings", config.getInt("text_config.max_position_embeddings", -1));
    }

    @Override
    public void close() {
        model.close();
    }
}
