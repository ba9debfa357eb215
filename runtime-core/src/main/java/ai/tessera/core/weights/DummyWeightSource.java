package ai.tessera.core.weights;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

import ai.tessera.api.ModelLoadException;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * {@code --load-format dummy}: every tensor is drawn from N(0, 0.02²) in the shape the architecture asks for, so
 * real-size configurations run without downloading weights (as in vLLM). Each tensor has its own generator,
 * seeded from the source's seed and the tensor's name, so a tensor's values do not depend on the order in which
 * an architecture loads its weights.
 */
public final class DummyWeightSource implements ModelWeights {
    private static final double STD = 0.02;
    private final ScalarType dtype;
    private final Device device;
    private final long seed;

    public DummyWeightSource(ScalarType dtype, Device device, long seed) {
        this.dtype = dtype;
        this.device = device;
        this.seed = seed;
    }

    @Override
    public Tensor load(String name, long... shape) throws ModelLoadException {
        for (long d : shape) {
            if (d < 0) {
                throw new ModelLoadException("Tensor " + name + " asked for a negative dimension in shape "
                        + Arrays.toString(shape));
            }
        }
        try (TemporaryPointers temps = new TemporaryPointers()) {
            if (device.is_cuda()) {
                // drawn on the GPU: a 7B model's weights in seconds instead of minutes of CPU draws (the values
                // differ from the CPU draw's; speed does not depend on them)
                torch.manual_seed(tensorSeed(name));
                Tensor gpu = temps.add(torch.randn(shape, temps.add(new TensorOptions(ScalarType.Float)
                        .device(temps.add(new org.bytedeco.pytorch.DeviceOptional(device))))));
                gpu.mul_(temps.add(new Scalar(STD)));
                return gpu.to(dtype);
            }
            Generator generator = temps.add(torch.make_generator_cpu(tensorSeed(name)));
            Tensor cpu = temps.add(torch.randn(shape, temps.add(new GeneratorOptional(generator)),
                    temps.add(new TensorOptions(ScalarType.Float))));
            cpu.mul_(temps.add(new Scalar(STD)));
            return cpu.to(device, dtype, false, true, temps.add(new org.bytedeco.pytorch.MemoryFormatOptional()));
        }
    }

    /** The source's seed mixed with a 64-bit FNV-1a hash of the name (stable across JVMs, unlike hashCode). */
    long tensorSeed(String name) {
        long hash = 0xcbf29ce484222325L;
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            hash = (hash ^ (b & 0xff)) * 0x100000001b3L;
        }
        long z = seed + hash * 0x9e3779b97f4a7c15L;
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return (z ^ (z >>> 31)) & Long.MAX_VALUE;
    }

    @Override
    public Set<String> names() {
        return Set.of();
    }

    /** Random weights are made on request, so none is ever left over. */
    @Override
    public List<String> unusedTensors(Predicate<String> ignored) {
        return List.of();
    }

    @Override
    public void close() {
        // holds no files or native memory
    }
}
