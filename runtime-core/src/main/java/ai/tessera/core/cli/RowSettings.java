package ai.tessera.core.cli;

import java.util.Arrays;
import java.util.Set;

/**
 * What {@code tessera bench --rows} measures, checked: the rows, the prompt and output lengths of the decode and
 * serve rows, the concurrency levels, the number of requests per level (default: as many as the level), the prefill
 * length, the vision encoder's image counts and size, the sizes of the device-peak probes, and {@code quick}: fewer
 * repeats (one timed prefill; transformers' continuous batching timed on its first call).
 */
record RowSettings(Set<BenchRow> rows, int inputLen, int outputLen, int[] maxConcurrency, Integer numPrompts,
                   int prefillLen, int[] encoderBatchSizes, int[] imageSize, long copyBytes, int matmulSize,
                   boolean quick) {
    /** Issue 10's shapes: 512 prompt tokens, 256 output tokens, 1/8/64 requests, an 8k prefill, one image. */
    static final int DEFAULT_INPUT_LEN = 512;
    static final int DEFAULT_OUTPUT_LEN = 256;

    RowSettings {
        maxConcurrency = maxConcurrency.clone();
        encoderBatchSizes = encoderBatchSizes.clone();
        if (inputLen < 1 || outputLen < 1) {
            throw new IllegalArgumentException("--input-len and --output-len must be positive, got " + inputLen + " and "
                    + outputLen);
        }
        if (rows.contains(BenchRow.SERVE)) {
            if (maxConcurrency.length == 0 || Arrays.stream(maxConcurrency).anyMatch(c -> c < 1)) {
                throw new IllegalArgumentException("--max-concurrency needs positive levels, got "
                        + Arrays.toString(maxConcurrency));
            }
            if (numPrompts != null && numPrompts < 1) {
                throw new IllegalArgumentException("--num-prompts must be positive, got " + numPrompts);
            }
        }
        if (rows.contains(BenchRow.PREFILL) && prefillLen < 1) {
            throw new IllegalArgumentException("--prefill-len must be positive, got " + prefillLen);
        }
        if (rows.contains(BenchRow.VISION)
                && (encoderBatchSizes.length == 0 || Arrays.stream(encoderBatchSizes).anyMatch(n -> n < 1))) {
            throw new IllegalArgumentException("--encoder-batch-sizes needs positive image counts, got "
                    + Arrays.toString(encoderBatchSizes));
        }
        if (copyBytes < 1024 || matmulSize < 1) {
            throw new IllegalArgumentException("--bandwidth-probe-bytes must be at least 1KiB and --matmul-probe-size"
                    + " positive, got " + copyBytes + " and " + matmulSize);
        }
    }

    /** Requests run at concurrency {@code level}. */
    int prompts(int level) {
        return numPrompts != null ? numPrompts : level;
    }

    int largestConcurrency() {
        return rows.contains(BenchRow.SERVE) ? Arrays.stream(maxConcurrency).max().orElse(1) : 1;
    }

    /** The longest request: the serve rows' prompt and output, or the prefill prompt and its one token. */
    int longestRequest() {
        return Math.max(inputLen + outputLen, rows.contains(BenchRow.PREFILL) ? prefillLen + 1 : 0);
    }

    /** Tokens per engine step: 2048, or the whole prefill prompt in one step (vLLM's chunk size for long ones). */
    int batchedTokens() {
        return Math.max(Math.max(2048, inputLen), rows.contains(BenchRow.PREFILL) ? prefillLen : 0);
    }
}
