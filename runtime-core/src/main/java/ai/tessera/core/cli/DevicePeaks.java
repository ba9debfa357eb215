package ai.tessera.core.cli;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The device's own ceilings, measured through libtorch in the bench's process: memory bandwidth from a large
 * device-to-device copy (a copy of N bytes reads N and writes N: 2N bytes moved) and the bf16 matmul rate of an
 * {@code n x n x n} product ({@code 2 n^3} FLOPs). Best of several timed runs after one untimed run.
 */
final class DevicePeaks {
    private static final int RUNS = 5;

    private DevicePeaks() {
    }

    /** Bytes/s moved by {@code copy_} of a {@code bytes}-byte tensor, {@code repeats} copies per timed run. */
    static double copyBandwidth(Device device, long bytes, int repeats) {
        if (bytes < 1024 || repeats < 1) {
            throw new IllegalArgumentException("the copy needs at least 1 KiB and one repeat, got " + bytes + " bytes and "
                    + repeats);
        }
        try (PointerScope scope = new PointerScope()) {
            TensorOptions options = new TensorOptions(ScalarType.Byte).device(new org.bytedeco.pytorch.DeviceOptional(device));
            Tensor src = torch.ones(new long[] {bytes}, options);
            Tensor dst = torch.empty(new long[] {bytes}, options, new org.bytedeco.pytorch.MemoryFormatOptional());
            double best = Double.MAX_VALUE;
            for (int run = 0; run <= RUNS; run++) {
                sync(dst);
                long t0 = System.nanoTime();
                for (int i = 0; i < repeats; i++) {
                    dst.copy_(src);
                }
                sync(dst);
                if (run > 0) {
                    best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                }
            }
            return 2.0 * bytes * repeats / best;
        }
    }

    /** FLOP/s of {@code repeats} bf16 products of two {@code n x n} matrices per timed run. */
    static double matmulRate(Device device, int n, int repeats) {
        if (n < 1 || repeats < 1) {
            throw new IllegalArgumentException("the matmul needs n >= 1 and one repeat, got " + n + " and " + repeats);
        }
        try (PointerScope scope = new PointerScope()) {
            TensorOptions options = new TensorOptions(ScalarType.BFloat16)
                    .device(new org.bytedeco.pytorch.DeviceOptional(device));
            Tensor a = torch.randn(new long[] {n, n}, options);
            Tensor b = torch.randn(new long[] {n, n}, options);
            double best = Double.MAX_VALUE;
            for (int run = 0; run <= RUNS; run++) {
                try (PointerScope inner = new PointerScope()) {
                    sync(a);
                    long t0 = System.nanoTime();
                    Tensor c = null;
                    for (int i = 0; i < repeats; i++) {
                        if (c != null) {
                            c.close();   // the caching allocator reuses it in stream order
                        }
                        c = a.matmul(b);
                    }
                    sync(c);
                    if (run > 0) {
                        best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                    }
                }
            }
            return 2.0 * n * (double) n * n * repeats / best;
        }
    }

    /** Waits for the device: reading one element back to the host waits for the work queued before it. */
    private static void sync(Tensor t) {
        try (PointerScope scope = new PointerScope()) {
            t.flatten(0, -1).select(0, 0).item();
        }
    }
}
