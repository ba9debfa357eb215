package ai.tessera.core.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import ai.tessera.core.engine.ThroughputBenchmark;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * {@code tessera bench --compare-hf}: the same measurement by Hugging Face transformers in bfloat16 on CUDA, run by
 * {@code tools/reference/gpu_check.py bench} (python3 with torch and transformers), printed beside Tessera's with
 * the ratio Tessera / transformers. Both run in the same invocation, on the same machine.
 */
final class HfBaseline {
    private HfBaseline() {
    }

    /**
     * Runs transformers' measurement. Call it before Tessera loads the model: libtorch's caching allocator keeps
     * device memory after the engine closes, which would leave transformers none.
     */
    static JsonNode measure(Path modelDir, int[] batchSizes, int inputLen, int outputLen)
            throws IOException, InterruptedException {
        return run(modelDir, "bench", batchSizes, "--input-len", Integer.toString(inputLen), "--output-len",
                Integer.toString(outputLen));
    }

    /** transformers' vision encoder alone: images/s at this size for these numbers of images. */
    static JsonNode measureVision(Path modelDir, int[] batchSizes, String imageSize)
            throws IOException, InterruptedException {
        return run(modelDir, "vision-bench", batchSizes, "--image-size", imageSize);
    }

    /**
     * transformers' figures for {@code tessera bench --rows} ({@code gpu_check.py rows}). Never fails the bench: a
     * script that dies or runs past {@code timeoutSeconds} leaves the rows it finished, and the others say why.
     * Its progress lines go to stderr as they come, prefixed {@code [transformers]}.
     */
    static HfRows measureRows(Path modelDir, RowSettings settings, long timeoutSeconds)
            throws IOException, InterruptedException {
        Path result = Files.createTempFile("tessera-hf-rows-", ".json");
        List<String> command = new ArrayList<>(List.of("python3", script().toString(), "rows",
                "--config", modelDir.resolve("config.json").toString(),
                "--rows", BenchRow.join(settings.rows()),
                "--input-len", Integer.toString(settings.inputLen()),
                "--output-len", Integer.toString(settings.outputLen()),
                "--max-concurrency", join(settings.maxConcurrency()),
                "--prefill-len", Integer.toString(settings.prefillLen()),
                "--encoder-batch-sizes", join(settings.encoderBatchSizes()),
                "--image-size", settings.imageSize()[0] + "x" + settings.imageSize()[1],
                "--bandwidth-probe-bytes", Long.toString(settings.copyBytes()),
                "--matmul-probe-size", Integer.toString(settings.matmulSize()),
                "--out", result.toString()));
        if (settings.quick()) {
            command.add("--quick");
        }
        if (settings.numPrompts() != null) {
            command.addAll(List.of("--num-prompts", settings.numPrompts().toString()));
        }
        String why = null;
        try {
            Process python = new ProcessBuilder(command).redirectErrorStream(true).start();
            Thread echo = new Thread(() -> echo(python), "transformers-progress");
            echo.setDaemon(true);
            echo.start();
            if (!python.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                python.destroyForcibly().waitFor();
                why = "transformers ran past --hf-timeout " + timeoutSeconds + " s";
            } else if (python.exitValue() != 0) {
                why = "the transformers script exited with " + python.exitValue() + " (its log is above)";
            }
            echo.join(2000);
        } catch (IOException e) {
            Files.deleteIfExists(result);
            return HfRows.failed("python3 could not start: " + e.getMessage());
        }
        String text = Files.readString(result, StandardCharsets.UTF_8);
        Files.deleteIfExists(result);
        if (text.isBlank()) {
            return HfRows.failed(why != null ? why : "the transformers script wrote no result");
        }
        // Python's json writes NaN for a figure that could not be computed
        ObjectMapper lenient = com.fasterxml.jackson.databind.json.JsonMapper.builder()
                .enable(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();
        return HfRows.of(lenient.readTree(text), why);
    }

    private static void echo(Process python) {
        try (java.io.BufferedReader lines = new java.io.BufferedReader(new java.io.InputStreamReader(
                python.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                System.err.println("[transformers] " + line);
            }
        } catch (IOException e) {
            System.err.println("[transformers] (its output could not be read further: " + e.getMessage() + ")");
        }
    }

    private static String join(int[] values) {
        return Arrays.stream(values).mapToObj(Integer::toString).collect(Collectors.joining(","));
    }

    private static JsonNode run(Path modelDir, String subcommand, int[] batchSizes, String... more)
            throws IOException, InterruptedException {
        Path script = script();
        Path result = Files.createTempFile("tessera-hf-bench-", ".json");
        List<String> command = new ArrayList<>(List.of("python3", script.toString(), subcommand,
                "--config", modelDir.resolve("config.json").toString(),
                "--batch-sizes", Arrays.stream(batchSizes).mapToObj(Integer::toString).collect(Collectors.joining(",")),
                "--out", result.toString()));
        command.addAll(List.of(more));
        Path log = Files.createTempFile("tessera-hf-bench-", ".log");
        try {
            Process python = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            if (!python.waitFor(30, TimeUnit.MINUTES) || python.exitValue() != 0) {
                python.destroyForcibly();
                // the script's last lines say why (a missing module, an unknown config, out of memory...)
                List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
                String tail = String.join("\n  ", lines.subList(Math.max(0, lines.size() - 8), lines.size()));
                throw new IllegalStateException("the transformers baseline failed (" + String.join(" ", command)
                        + "); it needs python3 with torch, transformers and a CUDA device. Its last output:\n  " + tail);
            }
            JsonNode hf = new ObjectMapper().readTree(Files.readString(result, StandardCharsets.UTF_8));
            Files.deleteIfExists(result);
            return hf;
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /** transformers' figures beside Tessera's, with the ratio. */
    static void print(JsonNode hf, List<ThroughputBenchmark.Run> runs, PrintWriter out) {
        out.printf("transformers %s (bfloat16, CUDA), same config and lengths; ratio = Tessera / transformers%n",
                hf.path("device").asText("?"));
        out.printf("%6s  %18s  %8s  %17s  %8s%n", "batch", "HF prefill tok/s", "ratio", "HF decode tok/s", "ratio");
        for (JsonNode row : hf.path("rows")) {
            int batch = row.path("batch").asInt();
            double prefill = row.path("prefill_tokens_per_s").asDouble();
            double decode = row.path("decode_tokens_per_s").asDouble();
            ThroughputBenchmark.Run ours = runs.stream().filter(r -> r.batch() == batch).findFirst().orElse(null);
            out.printf("%6d  %18.1f  %8s  %17.1f  %8s%n", batch, prefill,
                    ours == null ? "-" : String.format("%.2fx", ours.prefillTokensPerSecond() / prefill), decode,
                    ours == null ? "-" : String.format("%.2fx", ours.decodeTokensPerSecond() / decode));
        }
        out.flush();
    }

    /** transformers' vision images/s beside Tessera's encoder images/s, with the ratio. */
    static void printVision(JsonNode hf, java.util.Map<Integer, Double> ours, PrintWriter out) {
        out.printf("transformers %s vision encoder (bfloat16, CUDA); ratio = Tessera / transformers%n",
                hf.path("device").asText("?"));
        out.printf("%6s  %18s  %8s%n", "images", "HF images/s", "ratio");
        for (JsonNode row : hf.path("rows")) {
            int n = row.path("images").asInt();
            double theirs = row.path("images_per_s").asDouble();
            Double mine = ours.get(n);
            out.printf("%6d  %18.2f  %8s%n", n, theirs, mine == null ? "-" : String.format("%.2fx", mine / theirs));
        }
        out.flush();
    }

    /** The reference script: in the Tessera home, else in the working directory (a checkout). */
    private static Path script() {
        for (Path base : List.of(Path.of(System.getProperty("tessera.home", ".")), Path.of("."))) {
            Path candidate = base.resolve("tools/reference/gpu_check.py");
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        throw new IllegalArgumentException("--compare-hf needs tools/reference/gpu_check.py from a Tessera checkout"
                + " (looked in the Tessera home and the working directory)");
    }
}
