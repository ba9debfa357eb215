package ai.tessera.core.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalInt;

import ai.tessera.api.AttentionLayerSpec;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;

class BenchMathTest {
    @Test
    void rooflineIsBandwidthOverWeightBytes() {
        // 15.2 GB of weights at 3.0 TB/s: at most 197.4 tokens/s
        assertEquals(3.0e12 / 15.2e9, BenchMath.rooflineTokensPerSecond(15_200_000_000L, 3.0e12), 1e-9);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BenchMath.rooflineTokensPerSecond(0, 3.0e12));
        assertEquals("weight bytes and bandwidth must be positive, got 0 and 3.0E12", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> BenchMath.rooflineTokensPerSecond(10, Double.NaN));
    }

    @Test
    void prefillFlopsCountWeightsAndCausalAttention() {
        AttentionLayerSpec full = AttentionLayerSpec.causal(128, 28, 4, ScalarType.BFloat16);
        // one layer, 4 tokens: 2*P*T plus 4*H*D per pair over 1+2+3+4 = 10 causal pairs
        assertEquals(2.0 * 1000 * 4 + 4.0 * 28 * 128 * 10, BenchMath.prefillFlops(1000, 4, List.of(full)), 1e-6);
        // two layers of Qwen2.5-7B's attention at 8192 tokens: T(T+1)/2 pairs each
        double pairs = 8192.0 * 8193 / 2;
        assertEquals(2.0 * 7e9 * 8192 + 2 * 4.0 * 28 * 128 * pairs,
                BenchMath.prefillFlops(7_000_000_000L, 8192, List.of(full, full)), 1);
    }

    @Test
    void slidingLayersAttendAtMostTheirWindow() {
        assertEquals(10, BenchMath.attendedPairs(4, OptionalInt.empty()));
        assertEquals(10, BenchMath.attendedPairs(4, OptionalInt.of(4)));
        // window 2 over 5 tokens: 1 + 2 + 2 + 2 + 2
        assertEquals(9, BenchMath.attendedPairs(5, OptionalInt.of(2)));
        AttentionLayerSpec local = new AttentionLayerSpec(8, 2, 1, OptionalInt.of(2), OptionalDouble.empty(),
                ScalarType.Float);
        assertEquals(4.0 * 2 * 8 * 9, BenchMath.prefillFlops(0, 5, List.of(local)), 1e-9);
        assertThrows(IllegalArgumentException.class, () -> BenchMath.prefillFlops(1, 0, List.of()));
    }

    @Test
    void ratiosAreOursOverTheBetterBaselineOrNa() {
        assertEquals("2.00x", BenchMath.ratio(OptionalDouble.of(50), OptionalDouble.of(25)));
        assertEquals("0.50x", BenchMath.ratio(OptionalDouble.of(50),
                BenchMath.best(OptionalDouble.of(60), OptionalDouble.of(100))));
        assertEquals("n/a", BenchMath.ratio(OptionalDouble.empty(), OptionalDouble.of(25)));
        assertEquals("n/a", BenchMath.ratio(OptionalDouble.of(50), OptionalDouble.empty()));
        assertEquals("n/a", BenchMath.ratio(OptionalDouble.of(50), OptionalDouble.of(0)));
        assertEquals(OptionalDouble.of(3), BenchMath.best(OptionalDouble.empty(), OptionalDouble.of(3),
                OptionalDouble.of(Double.NaN)));
        assertEquals(OptionalDouble.empty(), BenchMath.best(OptionalDouble.empty()));
    }

    @Test
    void figuresAndCountsPrintReadably() {
        assertEquals("1.23", BenchMath.figure(OptionalDouble.of(1.234), "n/a"));
        assertEquals("123.4", BenchMath.figure(OptionalDouble.of(123.44), "n/a"));
        assertEquals("why", BenchMath.figure(OptionalDouble.empty(), "why"));
        assertEquals("7.07 B", BenchMath.count(7_070_000_000L));
        assertEquals("12.3 M", BenchMath.count(12_300_000L));
        assertEquals("15.23 GB", BenchMath.gigabytes(15.23e9));
    }
}
