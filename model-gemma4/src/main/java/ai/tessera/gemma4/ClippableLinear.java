package ai.tessera.gemma4;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.Linear;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * {@code Gemma4ClippableLinear}: a bias-free linear under {@code prefix.linear}, which with
 * {@code use_clipped_linears} clamps its input to {@code [input_min, input_max]} and its output to
 * {@code [output_min, output_max]} (scalar buffers of the checkpoint).
 */
final class ClippableLinear implements AutoCloseable {
    private final Linear linear;
    private final Tensor[] bounds;

    private ClippableLinear(Linear linear, Tensor[] bounds) {
        this.linear = linear;
        this.bounds = bounds;
        if (bounds != null) {
            for (Tensor bound : bounds) {
                Held.hold(bound);
            }
        }
    }

    static ClippableLinear load(WeightSource weights, WeightPrefix prefix, long in, long out, boolean clipped)
            throws ModelLoadException {
        Linear linear = Linear.load(weights, prefix.child("linear"), in, out, false);
        if (!clipped) {
            return new ClippableLinear(linear, null);
        }
        try {
            Tensor[] bounds = new Tensor[4];
            String[] names = {"input_min", "input_max", "output_min", "output_max"};
            for (int i = 0; i < names.length; i++) {
                bounds[i] = weights.load(prefix.tensor(names[i]));
            }
            return new ClippableLinear(linear, bounds);
        } catch (ModelLoadException | RuntimeException e) {
            linear.close();
            throw e;
        }
    }

    Tensor forward(Tensor x) {
        if (bounds == null) {
            return linear.forward(x);
        }
        Tensor y = linear.forward(torch.clamp(x, new TensorOptional(bounds[0].to(x.scalar_type())),
                new TensorOptional(bounds[1].to(x.scalar_type()))));
        return torch.clamp(y, new TensorOptional(bounds[2].to(y.scalar_type())),
                new TensorOptional(bounds[3].to(y.scalar_type())));
    }

    @Override
    public void close() {
        linear.close();
        if (bounds != null) {
            for (Tensor bound : bounds) {
                Held.release(bound);
            }
        }
    }
}
