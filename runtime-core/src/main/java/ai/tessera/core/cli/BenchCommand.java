package ai.tessera.core.cli;

import java.io.PrintWriter;
import java.util.ArrayList;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;

import ai.tessera.core.engine.Engine;
import ai.tessera.core.engine.EngineConfig;
import ai.tessera.core.engine.SamplingParams;
import ai.tessera.core.engine.TextDecoder;
import ai.tessera.core.engine.ThroughputBenchmark;
import ai.tessera.core.registry.PluginRegistry;
import picocli.CommandLine;

/**
 * {@code tessera bench}: prefill and decode throughput of the engine for several batch sizes, measured by
 * {@link ThroughputBenchmark} (random prompts, greedy, {@code ignore_eos}); with {@code --rows}, the rows of
 * issue 10's table instead ({@link RowBench}).
 */
@CommandLine.Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measures prefill and decode tokens/s of the engine for several batch sizes; with --rows, the"
                + " figures that matter: batch-1 decode vs the HBM roofline, output tokens/s of concurrent requests, an"
                + " 8k prefill vs the bf16 matmul peak, the vision encoder's images/s.")
final class BenchCommand implements Callable<Integer> {
    private final PluginRegistry registry;

    @CommandLine.Mixin
    ModelSession.Options modelOptions = new ModelSession.Options();

    @CommandLine.Mixin
    EngineOptions engineOptions = new EngineOptions();

    @CommandLine.Option(names = "--batch-sizes", paramLabel = "N,N,...", split = ",", defaultValue = "1,8,32",
            description = "Batch sizes to run (default: ${DEFAULT-VALUE}).")
    int[] batchSizes;

    @CommandLine.Option(names = "--input-len", paramLabel = "TOKENS",
            description = "Prompt tokens per request (default: 128; 512 with --rows).")
    Integer inputLen;

    @CommandLine.Option(names = "--output-len", paramLabel = "TOKENS",
            description = "Generated tokens per request (default: 64; 256 with --rows).")
    Integer outputLen;

    @CommandLine.Option(names = "--rows", paramLabel = "ROW,ROW,...", split = ",",
            description = "Measure these rows of the benchmark table instead of the batch sizes: decode (batch 1 vs"
                    + " the HBM roofline), serve (--max-concurrency levels), prefill (--prefill-len vs the bf16 matmul"
                    + " peak), vision (the encoder, --encoder-batch-sizes), or all.")
    String[] rows;

    @CommandLine.Option(names = "--max-concurrency", paramLabel = "N,N,...", split = ",", defaultValue = "1,8,64",
            description = "With --rows serve: requests in flight at once, one run per level (default: ${DEFAULT-VALUE}).")
    int[] maxConcurrency;

    @CommandLine.Option(names = "--num-prompts", paramLabel = "N",
            description = "With --rows serve: requests per concurrency level (default: as many as the level).")
    Integer numPrompts;

    @CommandLine.Option(names = "--prefill-len", paramLabel = "TOKENS", defaultValue = "8192",
            description = "With --rows prefill: tokens of the one prompt (default: ${DEFAULT-VALUE}).")
    int prefillLen;

    @CommandLine.Option(names = "--bandwidth-probe-bytes", paramLabel = "BYTES", converter = ByteSizeConverter.class,
            description = "With --rows decode: size of the device-to-device copy that measures memory bandwidth"
                    + " (default: 2GiB on a GPU, 64MiB on the CPU).")
    Long bandwidthProbeBytes;

    @CommandLine.Option(names = "--matmul-probe-size", paramLabel = "N",
            description = "With --rows prefill: N of the NxNxN bf16 matmul that measures the peak (default: 8192 on a"
                    + " GPU, 512 on the CPU).")
    Integer matmulProbeSize;

    @CommandLine.Option(names = "--quick", description = "With --rows: fewer repeats, for a short GPU call (one timed"
            + " prefill; transformers' generate_batch timed on its first call, warm-up included).")
    boolean quick;

    @CommandLine.Option(names = "--hf-timeout", paramLabel = "SECONDS", defaultValue = "1800",
            description = "With --rows --compare-hf: stop transformers after this long; the rows it finished are kept"
                    + " (default: ${DEFAULT-VALUE}).")
    long hfTimeout;

    @CommandLine.Option(names = "--compare-hf", description = "Also run transformers on the same config, batch sizes and "
            + "lengths (python3 with torch and transformers, e.g. on the GPU machine) and print both with their ratio;"
            + " with --rows, its generate and generate_batch on the same rows, and Tessera / the better of the two.")
    boolean compareHf;

    @CommandLine.Option(names = "--compare-eager", description = "Also measure decode without CUDA graphs, and without "
            + "graphs and paged decode attention (the plain path), on the same loaded model.")
    boolean compareEager;

    @CommandLine.Option(names = "--warmup", paramLabel = "RUNS", defaultValue = "1",
            description = "Untimed runs of the smallest batch first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @CommandLine.Option(names = "--images", paramLabel = "N", defaultValue = "0",
            description = "Synthetic images per request in the throughput runs, before the --input-len text tokens "
                    + "(models with a multimodal processor; default: ${DEFAULT-VALUE}).")
    int images;

    @CommandLine.Option(names = "--image-size", paramLabel = "WxH", defaultValue = "1024x1024",
            description = "Size of the synthetic images (default: ${DEFAULT-VALUE}).")
    String imageSize;

    @CommandLine.Option(names = "--encoder-batch-sizes", paramLabel = "N,N,...", split = ",",
            description = "Also measure the processor and vision encoder alone: images/s for these numbers of images"
                    + " (with --rows vision: default 1).")
    int[] encoderBatchSizes;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    BenchCommand(PluginRegistry registry) {
        this.registry = registry;
    }

    @Override
    public Integer call() throws Exception {
        if (rows != null) {
            return callRows();
        }
        int inputLen = this.inputLen != null ? this.inputLen : 128;
        int outputLen = this.outputLen != null ? this.outputLen : 64;
        if (inputLen < 1 || outputLen < 1 || batchSizes.length == 0) {
            throw new IllegalArgumentException("--input-len and --output-len must be positive and --batch-sizes non-empty,"
                    + " got " + inputLen + ", " + outputLen + " and " + batchSizes.length + " sizes");
        }
        int maxBatch = 0;
        for (int b : batchSizes) {
            if (b < 1) {
                throw new IllegalArgumentException("--batch-sizes must be positive, got " + b);
            }
            maxBatch = Math.max(maxBatch, b);
        }
        if (engineOptions.maxModelLen == null) {
            // an image takes at most a few thousand tokens in the families served (Qwen2.5-VL: 1369 at 1024x1024)
            engineOptions.maxModelLen = inputLen + outputLen + images * 8192;
            engineOptions.maxModelLenFromUser = false;
        }
        if (maxBatch > engineOptions.maxNumSeqs) {
            throw new IllegalArgumentException("--batch-sizes up to " + maxBatch + " need --max-num-seqs " + maxBatch
                    + " or more, got " + engineOptions.maxNumSeqs);
        }
        int[] size = MediaBench.size(imageSize);
        if (images < 0) {
            throw new IllegalArgumentException("--images must be zero or more, got " + images);
        }
        boolean media = images > 0 || (encoderBatchSizes != null && encoderBatchSizes.length > 0);
        PrintWriter out = spec.commandLine().getOut();
        List<ThroughputBenchmark.Run> runs = new ArrayList<>();
        TokenizerCodec codecToClose = null;
        JsonNode hf = null;
        JsonNode hfVision = null;
        if (compareHf) {
            // a failed baseline is reported and Tessera is still measured
            try {
                hf = HfBaseline.measure(modelOptions.modelDir, batchSizes, inputLen, outputLen);
                hfVision = encoderBatchSizes != null
                        ? HfBaseline.measureVision(modelOptions.modelDir, encoderBatchSizes, imageSize) : null;
            } catch (IllegalStateException failed) {
                spec.commandLine().getErr().println("tessera bench: " + failed.getMessage()
                        + "\ncontinuing without the transformers comparison");
            }
        }
        java.util.Map<Integer, Double> encoderImagesPerSecond = java.util.Map.of();
        List<List<ThroughputBenchmark.Run>> comparedRuns = new ArrayList<>();
        List<String> comparedPaths = new ArrayList<>();
        try (ModelSession session = ModelSession.load(registry, modelOptions, engineOptions)) {
            EngineConfig configured = engineOptions.engineConfig(session, Math.max(2048, maxBatch * inputLen),
                    SamplingParams.greedy(), TextDecoder.NONE, 0, List.of());
            Engine engine = Engine.start(session.model(), configured);
            try {
                Random random = new Random(0);
                int vocab = session.vocabSize();
                MediaBench mediaBench = null;
                TokenizerCodec codec;
                if (media) {
                    ai.tessera.api.MediaProcessor processor = session.media().orElseThrow(() -> new IllegalArgumentException(
                            "--images and --encoder-batch-sizes need a model whose architecture has a multimodal processor"));
                    codec = TokenizerCodec.forModel(modelOptions.modelDir);
                    mediaBench = new MediaBench(processor, codec, size[0], size[1]);
                    if (encoderBatchSizes != null) {
                        encoderImagesPerSecond = mediaBench.encoderRows(session.model(), encoderBatchSizes, 3, out);
                    }
                    codecToClose = codec;
                }
                for (int i = 0; i < warmup; i++) {
                    runOnce(engine, batchSizes[0], inputLen, outputLen, vocab, random, mediaBench);
                }
                out.printf("input %d tokens, output %d tokens, %s, %d KV blocks%n", inputLen, outputLen,
                        session.platform().device().str().getString(), engine.stats().numBlocks());
                out.printf("%6s  %18s  %17s  %10s  %10s%n", "batch", "prefill tokens/s", "decode tokens/s", "prefill s",
                        "decode s");
                for (int b : batchSizes) {
                    try {
                        ThroughputBenchmark.Run r = runOnce(engine, b, inputLen, outputLen, vocab, random, mediaBench);
                        runs.add(r);
                        out.printf("%6d  %18.1f  %17.1f  %10.3f  %10.3f%n", b, r.prefillTokensPerSecond(),
                                r.decodeTokensPerSecond(), r.prefillSeconds(), r.decodeSeconds());
                    } catch (IllegalStateException failed) {
                        // e.g. out of device memory: the engine failed these requests and keeps running; say so, go on.
                        String why = failed.getMessage() == null ? failed.toString() : failed.getMessage();
                        out.printf("%6d  failed: %s%n", b, why.lines().findFirst().orElse(why));
                    }
                    out.flush();
                }
                if (compareEager) {
                    comparedPaths.add(decodePath(engine));
                    engine.close();
                    for (boolean tables : new boolean[] {true, false}) {
                        engine = Engine.start(session.model(), configured.withDecodePath(List.of(), tables));
                        List<ThroughputBenchmark.Run> modeRuns = new ArrayList<>();
                        runOnce(engine, batchSizes[0], inputLen, outputLen, vocab, random, mediaBench);
                        for (int b : batchSizes) {
                            modeRuns.add(runOnce(engine, b, inputLen, outputLen, vocab, random, mediaBench));
                        }
                        comparedRuns.add(modeRuns);
                        comparedPaths.add(tables ? "eager, paged decode attention" : "eager, plain decode attention");
                        engine.close();
                    }
                }
            } finally {
                engine.close();
            }
        } finally {
            if (codecToClose != null) {
                codecToClose.close();
            }
        }
        if (hf != null) {
            HfBaseline.print(hf, runs, out);
        }
        if (compareEager && runs.size() == batchSizes.length) {
            out.printf("decode tokens/s by decode path (same model, same lengths); ratio = first path / this path%n");
            out.printf("%6s  %-34s %17s  %8s%n", "batch", "decode path", "decode tokens/s", "ratio");
            for (int i = 0; i < runs.size(); i++) {
                double first = runs.get(i).decodeTokensPerSecond();
                out.printf("%6d  %-34s %17.1f  %8s%n", batchSizes[i], comparedPaths.get(0), first, "1.00x");
                for (int m = 0; m < comparedRuns.size(); m++) {
                    double other = comparedRuns.get(m).get(i).decodeTokensPerSecond();
                    out.printf("%6d  %-34s %17.1f  %7.2fx%n", batchSizes[i], comparedPaths.get(m + 1), other,
                            first / other);
                }
            }
        }
        if (hfVision != null) {
            HfBaseline.printVision(hfVision, encoderImagesPerSecond, out);
        }
        return 0;
    }

    private static String decodePath(Engine engine) {
        List<Integer> sizes = engine.cudaGraphSizes();
        return sizes.isEmpty() ? "as configured (no CUDA graphs)" : "CUDA graphs " + sizes + ", paged";
    }

    /** {@code --rows}: each selected row of the table, transformers first (it needs the device memory to itself). */
    private int callRows() throws Exception {
        RowSettings settings = rowSettings(false);
        PrintWriter out = spec.commandLine().getOut();
        // transformers runs on the GPU: the GPU probe sizes unless the flags say otherwise
        HfRows hf = compareHf ? HfBaseline.measureRows(modelOptions.modelDir, rowSettings(true), hfTimeout) : HfRows.none();
        if (engineOptions.maxModelLen == null) {
            engineOptions.maxModelLen = settings.longestRequest();
        }
        if (settings.largestConcurrency() > engineOptions.maxNumSeqs) {
            throw new IllegalArgumentException("--max-concurrency up to " + settings.largestConcurrency()
                    + " needs --max-num-seqs " + settings.largestConcurrency() + " or more, got " + engineOptions.maxNumSeqs);
        }
        try (ModelSession session = ModelSession.load(registry, modelOptions, engineOptions)) {
            boolean cpu = session.platform().device().is_cpu();
            settings = rowSettings(!cpu);
            RowBench bench = new RowBench(session, modelOptions.modelDir, settings, hf, out);
            RowBench.Peaks peaks = bench.measurePeaks();
            try (Engine engine = Engine.start(session.model(), engineOptions.engineConfig(session,
                    settings.batchedTokens(), SamplingParams.greedy(), TextDecoder.NONE, 0, List.of()))) {
                out.printf("rows %s on %s, %d KV blocks%n", BenchRow.join(settings.rows()),
                        session.platform().device().str().getString(), engine.stats().numBlocks());
                String title = "Tessera on " + session.platform().device().str().getString()
                        + (compareHf ? ", transformers on " + (hf.device().isEmpty() ? "?" : hf.device()) : "")
                        + "; ratio = Tessera ÷ the better of transformers' two";
                bench.run(engine, peaks, title);
            }
        }
        return 0;
    }

    /** The --rows settings; the probe sizes default by device (a GPU gets the large ones). */
    RowSettings rowSettings(boolean accelerator) {
        int[] encoder = encoderBatchSizes != null ? encoderBatchSizes : new int[] {1};
        return new RowSettings(BenchRow.parse(rows),
                inputLen != null ? inputLen : RowSettings.DEFAULT_INPUT_LEN,
                outputLen != null ? outputLen : RowSettings.DEFAULT_OUTPUT_LEN,
                maxConcurrency, numPrompts, prefillLen, encoder, MediaBench.size(imageSize),
                bandwidthProbeBytes != null ? bandwidthProbeBytes : (accelerator ? 2L << 30 : 64L << 20),
                matmulProbeSize != null ? matmulProbeSize : (accelerator ? 8192 : 512), quick);
    }

    private ThroughputBenchmark.Run runOnce(Engine engine, int batch, int inputLen, int outputLen, int vocab,
                                            Random random, MediaBench media) throws InterruptedException {
        if (media == null || images == 0) {
            return ThroughputBenchmark.run(engine, batch, inputLen, outputLen, vocab, random);
        }
        return ThroughputBenchmark.run(engine, media.requests(batch, images, inputLen, vocab, outputLen, random), outputLen);
    }
}
