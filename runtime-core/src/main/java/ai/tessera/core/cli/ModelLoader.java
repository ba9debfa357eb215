package ai.tessera.core.cli;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.logging.Logger;

import ai.tessera.api.ReasoningParser;
import ai.tessera.api.ToolParser;
import ai.tessera.boot.PluginInfo.Kind;
import ai.tessera.core.engine.Engine;
import ai.tessera.core.registry.PluginRegistry;
import ai.tessera.core.registry.Registration;
import ai.tessera.core.server.MediaSupport;
import ai.tessera.core.server.ModelSlot;
import ai.tessera.core.server.NamedPlugin;
import ai.tessera.core.server.ServedModel;
import org.osgi.framework.Bundle;
import org.osgi.framework.FrameworkUtil;

/**
 * Loads one version of a served model from its {@link ModelSpec}: parsers, architecture, weights, tokenizer and
 * engine, and names the bundles whose code the version runs, so that stopping one of them swaps the model.
 */
final class ModelLoader implements ModelSlot.Loader {
    private static final Logger LOG = Logger.getLogger(ModelLoader.class.getName());

    private final PluginRegistry registry;
    private final ModelSpec spec;

    ModelLoader(PluginRegistry registry, ModelSpec spec) {
        this.registry = registry;
        this.spec = spec;
    }

    @Override
    public ModelSlot.Version load(Duration pluginWait, Consumer<String> status) throws Exception {
        NamedPlugin<ReasoningParser> reasoning = plugin(Kind.REASONING_PARSER, spec.reasoningParser,
                ReasoningParser.class, pluginWait, status);
        NamedPlugin<ToolParser> tools = plugin(Kind.TOOL_PARSER, spec.toolCallParser, ToolParser.class, pluginWait,
                status);
        String architecture = spec.load.model.config(spec.modelDir).architecture();
        status.accept(registry.find(Kind.ARCHITECTURE, architecture).isEmpty()
                ? "waiting for architecture " + architecture + " to be registered" : "loading " + architecture);
        ModelSession session = ModelSession.load(registry, spec.modelDir, spec.load, pluginWait,
                spec.engine.compileMultimodalEncoders());
        TokenizerCodec codec = null;
        try {
            session.media().ifPresent(processor -> checkServerKwargs(processor, spec.processorKwargs()));
            codec = TokenizerCodec.forModel(spec.modelDir, Optional.ofNullable(spec.chatTemplate));
            warnAboutPlaceholders(session, codec);
            Engine engine = Engine.start(session.model(), spec.engine.engineConfig(session, 2048,
                    session.samplingDefaults(), codec.decoder(), spec.seed, codec.eosTokenIds()));
            MediaSupport media = session.media().map(p -> new MediaSupport(p, spec.mediaFetcher(),
                    spec.processorKwargs())).orElse(null);
            ServedModel served = new ServedModel(spec.servedName(), spec.modelDir.toAbsolutePath().toString(),
                    System.currentTimeMillis() / 1000, engine, codec, engine.config().scheduler().maxModelLen(),
                    vocabSize(session), session.modalities(), spec.mmLimits(), reasoning, tools,
                    spec.enableAutoToolChoice, media);
            TokenizerCodec openCodec = codec;
            return new ModelSlot.Version(served, session.architecture(), bundlesOf(session), () -> {
                // the engine first: it owns the KV cache and runs the model until it stops
                engine.close();
                openCodec.close();
                session.close();
            });
        } catch (Exception | Error e) {
            if (codec != null) {
                codec.close();
            }
            session.close();
            throw e;
        }
    }

    /**
     * A tokenizer that lacks a media placeholder token (a tokenizer of another model of the family) splits the
     * placeholder into ordinary pieces, and every request with that media is refused as holding 0 placeholders:
     * say so once, at load, naming the token.
     */
    private static void warnAboutPlaceholders(ModelSession session, TokenizerCodec codec) {
        session.media().ifPresent(processor -> {
            for (String modality : session.modalities()) {
                String placeholder;
                try {
                    placeholder = processor.placeholderText(modality, 0);
                } catch (IllegalArgumentException notThisCheckpoint) {
                    // the family takes it, this checkpoint not (a Gemma 4 without audio_config)
                    LOG.fine(notThisCheckpoint.getMessage());
                    continue;
                }
                List<String> missing = codec.unknownTags(placeholder);
                if (!missing.isEmpty()) {
                    LOG.warning("the tokenizer of " + session.architecture().name() + " has no token " + String.join(", ",
                            missing) + " of its " + modality + " placeholder: " + modality + " requests will be"
                            + " refused (the prompt then holds no placeholder); use the model's own tokenizer");
                }
            }
        });
    }

    /**
     * {@code --mm-processor-kwargs} apply to every media request: a key or value the model's processor refuses is a
     * flag error now, not a 400 that blames each request. The processor sees them with an empty prompt and no media
     * (a processor that checks its kwargs only with media passes them here).
     */
    private static void checkServerKwargs(ai.tessera.api.MediaProcessor processor, java.util.Map<String, Object> kwargs) {
        if (kwargs.isEmpty()) {
            return;
        }
        try (ai.tessera.api.MultimodalPrompt checked = processor.process(new int[0], java.util.List.of(), kwargs)) {
            LOG.fine("--mm-processor-kwargs " + kwargs + " accepted (" + checked.items().size() + " items)");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--mm-processor-kwargs " + kwargs + " is refused by the model's"
                    + " processor: " + e.getMessage(), e);
        }
    }

    /**
     * The bundles of the architecture, its multimodal processor and the platform: the code this version runs besides
     * runtime-core's.
     */
    private static Set<Long> bundlesOf(ModelSession session) {
        Set<Long> ids = new LinkedHashSet<>();
        Bundle architecture = session.architecture().bundle();
        if (architecture != null) {
            ids.add(architecture.getBundleId());
        }
        session.processor().map(Registration::bundle).ifPresent(b -> ids.add(b.getBundleId()));
        Bundle platform = FrameworkUtil.getBundle(session.platform().getClass());
        if (platform != null) {
            ids.add(platform.getBundleId());
        }
        return ids;
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
     * A parser by name: it must be registered at load (or within the plugin wait), and is then looked up per
     * request, so that removing or updating its bundle while serving turns it off and on again.
     */
    private <T> NamedPlugin<T> plugin(Kind kind, String name, Class<T> type, Duration wait, Consumer<String> status)
            throws InterruptedException {
        if (name == null) {
            return NamedPlugin.none(type);
        }
        if (registry.find(kind, name).isEmpty()) {
            status.accept("waiting for " + kind.label() + " " + name + " to be registered");
        }
        registry.await(kind, name, wait).orElseThrow(() -> registry.notRegistered(kind, name));
        return NamedPlugin.of(registry, kind, name, type);
    }
}
