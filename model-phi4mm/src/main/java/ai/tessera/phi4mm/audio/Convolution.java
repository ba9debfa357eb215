package ai.tessera.phi4mm.audio;

import java.util.Arrays;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/** {@code torch.nn.Conv1d} or {@code Conv2d} with bias: square kernel, equal stride and padding on every axis. */
final class Convolution implements AutoCloseable {
    private final Tensor weight;
    private final Tensor bias;
    private final long[] stride;
    private final long[] padding;
    private final long[] dilation;
    private final long groups;

    private Convolution(Tensor weight, Tensor bias, int dims, long stride, long padding, long groups) {
        this.weight = weight;
        this.bias = bias;
        this.stride = filled(dims, stride);
        this.padding = filled(dims, padding);
        this.dilation = filled(dims, 1);
        this.groups = groups;
        weight.retainReference();
        bias.retainReference();
    }

    /** {@code prefix.weight [out, in/groups, k]} and {@code prefix.bias [out]}. */
    static Convolution conv1d(WeightSource weights, WeightPrefix prefix, long in, long out, long kernel, long padding,
                              long groups) throws ModelLoadException {
        return new Convolution(weights.load(prefix.tensor("weight"), out, in / groups, kernel),
                weights.load(prefix.tensor("bias"), out), 1, 1, padding, groups);
    }

    /** {@code prefix.weight [out, in/groups, k, k]} and {@code prefix.bias [out]}. */
    static Convolution conv2d(WeightSource weights, WeightPrefix prefix, long in, long out, long kernel, long stride,
                              long padding, long groups) throws ModelLoadException {
        return new Convolution(weights.load(prefix.tensor("weight"), out, in / groups, kernel, kernel),
                weights.load(prefix.tensor("bias"), out), 2, stride, padding, groups);
    }

    /** {@code [batch, in, length]} (1-D) or {@code [batch, in, height, width]} (2-D). */
    Tensor forward(Tensor x) {
        TensorOptional b = new TensorOptional(bias);
        return stride.length == 1 ? torch.conv1d(x, weight, b, stride, padding, dilation, groups)
                : torch.conv2d(x, weight, b, stride, padding, dilation, groups);
    }

    private static long[] filled(int dims, long value) {
        long[] out = new long[dims];
        Arrays.fill(out, value);
        return out;
    }

    @Override
    public void close() {
        weight.releaseReference();
        bias.releaseReference();
    }
}
