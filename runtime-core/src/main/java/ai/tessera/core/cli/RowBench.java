package ai.tessera.core.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

import ai.tessera.core.engine.Engine;
import ai.tessera.core.engine.GenerationRequest;
import ai.tessera.core.engine.ThroughputBenchmark;
import org.bytedeco.pytorch.Device;

/**
 * {@code tessera bench --rows}: the rows of issue 10's table, each measured on its own and each allowed to fail
 * alone (its line then says why): batch-1 decode against the HBM roofline, concurrent requests through the engine,
 * one long prefill against the bf16 matmul peak, and the vision encoder. The device's bandwidth and matmul peak are
 * measured in the same process, before the engine takes its KV cache.
 */
final class RowBench {
    private final ModelSession session;
    private final java.nio.file.Path modelDir;
    private final RowSettings settings;
    private final HfRows hf;
    private final PrintWriter out;
    private final BenchSummary summary = new BenchSummary();
    private final Random random = new Random(0);

    RowBench(ModelSession session, java.nio.file.Path modelDir, RowSettings settings, HfRows hf, PrintWriter out) {
        this.session = session;
        this.modelDir = modelDir;
        this.settings = settings;
        this.hf = hf;
        this.out = out;
    }

    /** The ceilings the rows are measured against: measured before {@link #run}, when the engine holds no memory. */
    record Peaks(double bytesPerSecond, double flopsPerSecond) {
    }

    Peaks measurePeaks() {
        Device device = session.platform().device();
        double bandwidth = Double.NaN;
        double flops = Double.NaN;
        if (settings.rows().contains(BenchRow.DECODE)) {
            progress("measuring memory bandwidth: device-to-device copy of %s", BenchMath.gigabytes(settings.copyBytes()));
            bandwidth = DevicePeaks.copyBandwidth(device, settings.copyBytes(), 10);
            out.printf(Locale.ROOT, "memory bandwidth (copy of %s, read + write): %.1f GB/s%n",
                    BenchMath.gigabytes(settings.copyBytes()), bandwidth / 1e9);
        }
        if (settings.rows().contains(BenchRow.PREFILL)) {
            int n = settings.matmulSize();
            progress("measuring the bf16 matmul peak: %dx%dx%d", n, n, n);
            flops = DevicePeaks.matmulRate(device, n, 10);
            out.printf(Locale.ROOT, "bf16 matmul peak (%d^3): %.1f TFLOP/s%n", n, flops / 1e12);
        }
        WeightCensus census = session.weightCensus();
        out.printf(Locale.ROOT, "weights: %s loaded, %s read per decode step (language model, lm_head included), "
                        + "%s in vision/audio towers; %s parameters per prefill token%n",
                BenchMath.gigabytes(census.totalBytes()), BenchMath.gigabytes(census.decodeBytes()),
                BenchMath.gigabytes(census.towerBytes()), BenchMath.count(census.prefillParams()));
        out.flush();
        return new Peaks(bandwidth, flops);
    }

    /** Runs the selected rows on a started engine and prints the summary. */
    void run(Engine engine, Peaks peaks, String title) throws InterruptedException {
        int vocab = session.vocabSize();
        progress("warm-up: one request of %d prompt tokens, 8 output tokens", settings.inputLen());
        ThroughputBenchmark.run(engine, 1, settings.inputLen(), 8, vocab, random);
        if (settings.rows().contains(BenchRow.DECODE)) {
            decodeRow(engine, peaks, vocab);
        }
        if (settings.rows().contains(BenchRow.SERVE)) {
            for (int level : settings.maxConcurrency()) {
                serveRow(engine, level, vocab);
            }
        }
        if (settings.rows().contains(BenchRow.PREFILL)) {
            prefillRow(engine, peaks, vocab);
        }
        if (settings.rows().contains(BenchRow.VISION)) {
            visionRow();
        }
        summary.print(out, title);
    }

    private void decodeRow(Engine engine, Peaks peaks, int vocab) throws InterruptedException {
        String measure = String.format(Locale.ROOT, "decode tokens/s, batch 1 (%d in, %d out)", settings.inputLen(),
                settings.outputLen());
        progress("row decode: %s", measure);
        BenchSummary.Figure ours;
        try {
            ThroughputBenchmark.Run r = ThroughputBenchmark.run(engine, 1, settings.inputLen(), settings.outputLen(),
                    vocab, random);
            double roofline = BenchMath.rooflineTokensPerSecond(session.weightCensus().decodeBytes(),
                    peaks.bytesPerSecond());
            double tokensPerSecond = r.decodeTokensPerSecond();
            ours = BenchSummary.Figure.of(tokensPerSecond, String.format(Locale.ROOT,
                    "%.2f of the roofline %.0f tokens/s = %.0f GB/s ÷ %s", tokensPerSecond / roofline, roofline,
                    peaks.bytesPerSecond() / 1e9, BenchMath.gigabytes(session.weightCensus().decodeBytes())));
            out.printf("%s: %s%n", measure, ours.text());
        } catch (RuntimeException failed) {
            ours = failure(measure, failed);
        }
        summary.add(measure, ours, hf.figure("decode", null, "tokens_per_s", "roofline_fraction", "of its roofline"),
                BenchSummary.Figure.none());
    }

    private void serveRow(Engine engine, int level, int vocab) throws InterruptedException {
        int prompts = settings.prompts(level);
        String measure = String.format(Locale.ROOT, "output tokens/s, %d concurrent (%d requests, %d in, %d out)",
                level, prompts, settings.inputLen(), settings.outputLen());
        progress("row serve: %s", measure);
        BenchSummary.Figure ours;
        try {
            List<GenerationRequest> requests = new ArrayList<>();
            for (int i = 0; i < prompts; i++) {
                int[] ids = new int[settings.inputLen()];
                for (int t = 0; t < ids.length; t++) {
                    ids[t] = random.nextInt(vocab);
                }
                requests.add(GenerationRequest.of(ids, ThroughputBenchmark.sampling(settings.outputLen())));
            }
            ServingBenchmark.Result r = ServingBenchmark.run(engine, requests, level);
            ours = BenchSummary.Figure.of(r.outputTokensPerSecond(), String.format(Locale.ROOT,
                    "%d tokens in %.2f s, mean TTFT %.3f s", r.outputTokens(), r.seconds(), r.meanTtftSeconds()));
            out.printf("%s: %s%n", measure, ours.text());
        } catch (RuntimeException failed) {
            ours = failure(measure, failed);
        }
        String key = Integer.toString(level);
        summary.add(measure, ours, hf.figure("serve_generate", key, "output_tokens_per_s", null, null),
                hf.figure("serve_generate_batch", key, "output_tokens_per_s", null, null));
    }

    private void prefillRow(Engine engine, Peaks peaks, int vocab) throws InterruptedException {
        int tokens = settings.prefillLen();
        String measure = String.format(Locale.ROOT, "prefill tokens/s, one prompt of %d tokens", tokens);
        progress("row prefill: %s (one untimed run first)", measure);
        BenchSummary.Figure ours;
        try {
            ThroughputBenchmark.run(engine, 1, tokens, 1, vocab, random);
            double best = Double.MAX_VALUE;
            for (int run = 0; run < (settings.quick() ? 1 : 2); run++) {
                best = Math.min(best, ThroughputBenchmark.run(engine, 1, tokens, 1, vocab, random).prefillSeconds());
            }
            double flops = BenchMath.prefillFlops(session.weightCensus().prefillParams(), tokens,
                    session.model().attentionLayers());
            double achieved = flops / best;
            ours = BenchSummary.Figure.of(tokens / best, String.format(Locale.ROOT,
                    "%.2f of the bf16 matmul peak: %.1f of %.1f TFLOP/s", achieved / peaks.flopsPerSecond(),
                    achieved / 1e12, peaks.flopsPerSecond() / 1e12));
            out.printf(Locale.ROOT, "%s: %s; %.3f TFLOP counted = 2 x %s params x %d tokens + causal attention%n",
                    measure, ours.text(), flops / 1e12, BenchMath.count(session.weightCensus().prefillParams()), tokens);
        } catch (RuntimeException failed) {
            ours = failure(measure, failed);
        }
        summary.add(measure, ours, hf.figure("prefill", null, "tokens_per_s", "peak_fraction", "of its matmul peak"),
                BenchSummary.Figure.none());
    }

    private void visionRow() {
        int[] size = settings.imageSize();
        for (int images : settings.encoderBatchSizes()) {
            String measure = String.format(Locale.ROOT, "vision encoder images/s, %d image(s) %dx%d", images, size[0],
                    size[1]);
            summary.add(measure, visionFigure(measure, images), hf.figure("vision", Integer.toString(images),
                    "images_per_s", null, null), BenchSummary.Figure.none());
        }
    }

    private BenchSummary.Figure visionFigure(String measure, int images) {
        progress("row vision: %s", measure);
        if (session.media().isEmpty()) {
            return BenchSummary.Figure.missing("n/a: the model's architecture has no multimodal processor");
        }
        try (TokenizerCodec codec = TokenizerCodec.forModel(modelDir)) {
            MediaBench bench = new MediaBench(session.media().get(), codec, settings.imageSize()[0],
                    settings.imageSize()[1]);
            Map<Integer, Double> rates = bench.encoderRows(session.model(), new int[] {images}, 3, out);
            return BenchSummary.Figure.of(rates.get(images));
        } catch (ai.tessera.api.ModelLoadException | RuntimeException failed) {
            return failure(measure, failed);
        }
    }

    private BenchSummary.Figure failure(String measure, Exception failed) {
        String why = failed.getMessage() == null ? failed.toString() : failed.getMessage();
        why = why.lines().findFirst().orElse(why);
        out.printf("%s: failed: %s%n", measure, why);
        out.flush();
        return BenchSummary.Figure.missing("failed: " + why);
    }

    /** Progress goes to stderr with the time, so that a log shows where a long run is. */
    private static void progress(String format, Object... args) {
        System.err.printf(Locale.ROOT, "[bench %tT] %s%n", System.currentTimeMillis(), String.format(Locale.ROOT, format,
                args));
    }
}
