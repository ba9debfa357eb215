package ai.tessera.core.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicReference;

import ai.tessera.core.engine.Engine;
import ai.tessera.core.engine.EngineConfig;
import ai.tessera.core.engine.GenerationOutput;
import ai.tessera.core.engine.GenerationRequest;
import ai.tessera.core.engine.SamplingParams;
import ai.tessera.core.engine.TextDecoder;
import ai.tessera.core.registry.PluginRegistry;
import picocli.CommandLine;

/**
 * {@code tessera generate}: loads a model, runs one prompt through the engine and streams the text to stdout as
 * it is generated; a summary (tokens, finish reason, speed) goes to stderr.
 */
@CommandLine.Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generates a continuation of one prompt and streams it to stdout.")
final class GenerateCommand implements Callable<Integer> {
    private final PluginRegistry registry;

    @CommandLine.Mixin
    ModelSession.Options modelOptions = new ModelSession.Options();

    @CommandLine.Mixin
    EngineOptions engineOptions = new EngineOptions();

    @CommandLine.Option(names = "--prompt", paramLabel = "TEXT", description = "The prompt text.")
    String prompt;

    @CommandLine.Option(names = "--prompt-token-ids", paramLabel = "IDS", split = ",",
            description = "The prompt as token ids (e.g. 1,2,3); without a tokenizer the output is printed as ids too.")
    int[] promptTokenIds;

    @CommandLine.Option(names = "--chat", description = "Render the prompt as one user message with the model's chat template.")
    boolean chat;

    @CommandLine.Option(names = "--max-tokens", paramLabel = "N", defaultValue = "256",
            description = "Most tokens to generate (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @CommandLine.Option(names = "--temperature", paramLabel = "T",
            description = "0 for greedy; default: generation_config.json's, else 1.0.")
    Double temperature;

    @CommandLine.Option(names = "--top-p", paramLabel = "P", description = "Nucleus sampling mass; default: the model's, else 1.")
    Double topP;

    @CommandLine.Option(names = "--top-k", paramLabel = "K", description = "Sample among the K most likely tokens; default: the model's, else all.")
    Integer topK;

    @CommandLine.Option(names = "--min-p", paramLabel = "P", description = "Drop tokens below P times the top probability.")
    Double minP;

    @CommandLine.Option(names = "--repetition-penalty", paramLabel = "R", description = "> 1 discourages repeating prompt or output tokens.")
    Double repetitionPenalty;

    @CommandLine.Option(names = "--seed", paramLabel = "S", description = "Seed of the draws, for reproducible output.")
    Long seed;

    @CommandLine.Option(names = "--stop", paramLabel = "TEXT", description = "A string that ends generation (repeatable).")
    List<String> stop = new ArrayList<>();

    @CommandLine.Option(names = "--ignore-eos", description = "Keep generating past end-of-sequence tokens.")
    boolean ignoreEos;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    GenerateCommand(PluginRegistry registry) {
        this.registry = registry;
    }

    @Override
    public Integer call() throws Exception {
        if ((prompt == null) == (promptTokenIds == null)) {
            // bad usage (exit code 2), not an error of the model or its files
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "give exactly one of --prompt and --prompt-token-ids");
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (TokenizerCodec codec = TokenizerCodec.forModel(modelOptions.modelDir)) {
            // the prompt is checked before the model loads, which can take minutes
            int[] ids = promptTokenIds != null ? promptTokenIds : codec.encodePrompt(prompt, chat);
            generate(codec, ids, out, err);
        }
        return 0;
    }

    private void generate(TokenizerCodec codec, int[] ids, PrintWriter out, PrintWriter err) throws Exception {
        try (ModelSession session = ModelSession.load(registry, modelOptions, engineOptions)) {
            TextDecoder decoder = codec.decoder();
            SamplingParams params = sampling(session);
            EngineConfig config = engineOptions.engineConfig(session, 2048, params, decoder, seed != null ? seed : 0,
                    codec.eosTokenIds());
            try (Engine engine = Engine.start(session.model(), config)) {
                long start = System.nanoTime();
                StreamPrinter printer = new StreamPrinter(out, !codec.hasTokenizer());
                engine.generate(GenerationRequest.of(ids, params)).subscribe(printer);
                GenerationOutput last = printer.await();
                double seconds = (System.nanoTime() - start) / 1e9;
                out.println();
                out.flush();
                err.printf("%d prompt tokens, %d generated in %.2f s (%.1f tokens/s), finish reason %s%n", ids.length,
                        last.outputTokens(), seconds, last.outputTokens() / seconds, last.finishReason().wireName());
                err.flush();
            }
        }
    }

    /** Flags first, then generation_config.json, then the OpenAI defaults. */
    private SamplingParams sampling(ModelSession session) {
        SamplingParams d = session.samplingDefaults();
        return d.toBuilder()
                .temperature(temperature != null ? temperature : d.temperature())
                .topP(topP != null ? topP : d.topP())
                .topK(topK != null ? topK : d.topK())
                .minP(minP != null ? minP : d.minP())
                .repetitionPenalty(repetitionPenalty != null ? repetitionPenalty : d.repetitionPenalty())
                .seed(seed)
                .maxTokens(maxTokens)
                .stop(stop)
                .ignoreEos(ignoreEos)
                .build();
    }

    /** Prints each delta as it arrives (text, or token ids without a tokenizer) and keeps the last one. */
    private static final class StreamPrinter implements Flow.Subscriber<GenerationOutput> {
        private final PrintWriter out;
        private final boolean ids;
        private final CountDownLatch done = new CountDownLatch(1);
        private final AtomicReference<GenerationOutput> last = new AtomicReference<>();
        private final AtomicReference<Throwable> error = new AtomicReference<>();

        StreamPrinter(PrintWriter out, boolean ids) {
            this.out = out;
            this.ids = ids;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(GenerationOutput item) {
            if (ids) {
                for (int id : item.tokenIds()) {
                    out.print(id);
                    out.print(' ');
                }
            } else {
                out.print(item.text());
            }
            out.flush();
            last.set(item);
        }

        @Override
        public void onError(Throwable t) {
            error.set(t);
            done.countDown();
        }

        @Override
        public void onComplete() {
            done.countDown();
        }

        GenerationOutput await() throws InterruptedException {
            done.await();
            if (error.get() != null) {
                throw new IllegalStateException(error.get().getMessage(), error.get());
            }
            return last.get();
        }
    }
}
