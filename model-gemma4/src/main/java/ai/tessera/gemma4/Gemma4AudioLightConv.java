package ai.tessera.gemma4;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * {@code Gemma4AudioLightConv1d}, the conformer's convolution module: RMSNorm, linear to 2·hidden, GLU, a causal
 * depthwise convolution over time (left-padded by kernel − 1), clamp, RMSNorm, SiLU, linear, plus the input.
 */
final class Gemma4AudioLightConv implements AutoCloseable {
    private final ClippableLinear start;
    private final ClippableLinear end;
    private final Tensor depthwise;
    private final Gemma4RmsNorm preNorm;
    private final Gemma4RmsNorm convNorm;
    private final double clip;

    private Gemma4AudioLightConv(ClippableLinear start, ClippableLinear end, Tensor depthwise, Gemma4RmsNorm preNorm,
                                 Gemma4RmsNorm convNorm, double clip) {
        this.start = start;
        this.end = end;
        this.depthwise = Held.hold(depthwise);
        this.preNorm = preNorm;
        this.convNorm = convNorm;
        this.clip = clip;
    }

    static Gemma4AudioLightConv load(WeightSource weights, Gemma4AudioConfig c, WeightPrefix prefix)
            throws ModelLoadException {
        long h = c.hiddenSize();
        try (LoadGuard guard = new LoadGuard()) {
            ClippableLinear start = guard.add(ClippableLinear.load(weights, prefix.child("linear_start"), h, 2 * h,
                    c.useClippedLinears()));
            ClippableLinear end = guard.add(ClippableLinear.load(weights, prefix.child("linear_end"), h, h,
                    c.useClippedLinears()));
            Gemma4RmsNorm pre = guard.add(Gemma4RmsNorm.load(weights, prefix.child("pre_layer_norm"), h,
                    c.rmsNormEps()));
            Gemma4RmsNorm conv = guard.add(Gemma4RmsNorm.load(weights, prefix.child("conv_norm"), h,
                    c.rmsNormEps()));
            Tensor depthwise = weights.load(prefix.child("depthwise_conv1d").tensor("weight"), h, 1,
                    c.convKernelSize());
            return guard.done(new Gemma4AudioLightConv(start, end, depthwise, pre, conv, c.gradientClipping()));
        }
    }

    /** {@code x [T, hidden]}. */
    Tensor forward(Tensor x) {
        long hidden = x.size(1);
        long kernel = depthwise.size(2);
        Tensor h = torch.glu(start.forward(preNorm.forward(x)), -1);
        Tensor channels = torch.constant_pad_nd(h.transpose(0, 1).unsqueeze(0), kernel - 1, 0);
        h = torch.conv1d(channels, depthwise.to(x.scalar_type()), new TensorOptional(), new long[] {1},
                new long[] {0}, new long[] {1}, hidden).squeeze(0).transpose(0, 1);
        h = convNorm.forward(Gemma4AudioFeedForward.clamp(h, clip));
        return end.forward(torch.silu(h)).add(x);
    }

    @Override
    public void close() {
        start.close();
        end.close();
        Held.release(depthwise);
        preNorm.close();
        convNorm.close();
    }
}
