package ai.tessera.core.weights;

import java.util.Set;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * {@code --load-format dummy}: every tensor is drawn from N(0, 0.02²) in the shape the architecture asks for,
 * from a seeded generator, so real-size configurations run without downloading weights (as in vLLM).
 */
public final class DummyWeightSource implements WeightSource {
    private static final double STD = 0.02;
    private final ScalarType dtype;
    private final Device device;
    private final Generator generator;

    public DummyWeightSource(ScalarType dtype, Device device, long seed) {
        this.dtype = dtype;
        this.device = device;
        this.generator = torch.make_generator_cpu(seed);
    }

    @Override
    public Tensor load(String name, long... shape) throws ModelLoadException {
        for (long d : shape) {
            if (d <= 0) {
                throw new ModelLoadException("Tensor " + name + " asked for a non-positive dimension in shape "
                        + java.util.Arrays.toString(shape));
            }
        }
        Tensor cpu = torch.randn(shape, new GeneratorOptional(generator), new TensorOptions(ScalarType.Float));
        return cpu.mul_(new org.bytedeco.pytorch.Scalar(STD)).to(device, dtype);
    }

    @Override
    public Set<String> names() {
        return Set.of();
    }
}
