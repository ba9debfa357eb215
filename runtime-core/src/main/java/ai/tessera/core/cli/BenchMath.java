package ai.tessera.core.cli;

import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.OptionalInt;

import ai.tessera.api.AttentionLayerSpec;

/** The arithmetic of {@code tessera bench --rows}: rooflines, FLOP counts and how ratios are printed. */
final class BenchMath {
    private BenchMath() {
    }

    /**
     * Tokens/s at batch 1 if every decode step only streamed the weights once at the measured bandwidth: the HBM
     * roofline ({@code bandwidth / weight bytes}; the KV cache and activations are left out, so it is an upper
     * bound).
     */
    static double rooflineTokensPerSecond(long weightBytes, double bytesPerSecond) {
        if (weightBytes <= 0 || !(bytesPerSecond > 0)) {
            throw new IllegalArgumentException("weight bytes and bandwidth must be positive, got " + weightBytes
                    + " and " + bytesPerSecond);
        }
        return bytesPerSecond / weightBytes;
    }

    /**
     * FLOPs of a prefill of {@code tokens} prompt tokens: {@code 2 * params * tokens} for the weight matmuls, plus
     * the attention matmuls of each layer ({@code QK^T} and {@code PV}, {@code 2 * heads * headDim} FLOPs each per
     * query-key pair) over the causal (and windowed, where the layer slides) pairs: {@code 4 * heads * headDim *
     * sum over positions p of min(p + 1, window)}, about {@code 2 * layers * heads * headDim * tokens^2} for full
     * attention.
     */
    static double prefillFlops(long params, int tokens, List<AttentionLayerSpec> layers) {
        if (params < 0 || tokens < 1) {
            throw new IllegalArgumentException("params must be >= 0 and tokens >= 1, got " + params + " and " + tokens);
        }
        double flops = 2.0 * params * tokens;
        for (AttentionLayerSpec layer : layers) {
            flops += 4.0 * layer.numHeads() * layer.headDim() * attendedPairs(tokens, layer.slidingWindow());
        }
        return flops;
    }

    /** Query-key pairs of a causal prefill: {@code sum_{p<T} min(p + 1, window)}. */
    static double attendedPairs(int tokens, OptionalInt window) {
        long t = tokens;
        if (window.isEmpty() || window.getAsInt() >= t) {
            return t * (t + 1) / 2.0;
        }
        long w = window.getAsInt();
        return w * (w + 1) / 2.0 + (t - w) * (double) w;
    }

    /** {@code ours / theirs} as {@code 1.23x}, or {@code n/a} when either is missing. */
    static String ratio(OptionalDouble ours, OptionalDouble theirs) {
        if (ours.isEmpty() || theirs.isEmpty() || !(theirs.getAsDouble() > 0) || Double.isNaN(ours.getAsDouble())) {
            return "n/a";
        }
        return String.format(Locale.ROOT, "%.2fx", ours.getAsDouble() / theirs.getAsDouble());
    }

    /** The better (larger) of the figures present, if any. */
    static OptionalDouble best(OptionalDouble... figures) {
        OptionalDouble best = OptionalDouble.empty();
        for (OptionalDouble f : figures) {
            if (f.isPresent() && !Double.isNaN(f.getAsDouble())
                    && (best.isEmpty() || f.getAsDouble() > best.getAsDouble())) {
                best = f;
            }
        }
        return best;
    }

    /** A figure to one decimal (two below 10), or the reason it is missing. */
    static String figure(OptionalDouble value, String missing) {
        if (value.isEmpty() || Double.isNaN(value.getAsDouble())) {
            return missing;
        }
        double v = value.getAsDouble();
        return String.format(Locale.ROOT, v < 10 ? "%.2f" : "%.1f", v);
    }

    /** A parameter count as {@code 7.07 B} or {@code 12.3 M}. */
    static String count(long n) {
        return n >= 1_000_000_000L ? String.format(Locale.ROOT, "%.2f B", n / 1e9)
                : String.format(Locale.ROOT, "%.1f M", n / 1e6);
    }

    /** Bytes in GB (10^9), the unit of bandwidth figures. */
    static String gigabytes(double bytes) {
        return String.format(Locale.ROOT, "%.2f GB", bytes / 1e9);
    }
}
