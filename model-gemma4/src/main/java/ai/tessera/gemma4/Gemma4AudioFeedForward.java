package ai.tessera.gemma4;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * {@code Gemma4AudioFeedForward}, the conformer's half-step feed-forward: clamp, RMSNorm, linear to 4·hidden, SiLU,
 * linear back, clamp, RMSNorm, times {@code residual_weight}, plus the input.
 */
final class Gemma4AudioFeedForward implements AutoCloseable {
    /** transformers builds these norms with Gemma4RMSNorm's default eps, not the config's. */
    private static final double NORM_EPS = 1e-6;
    private final ClippableLinear up;
    private final ClippableLinear down;
    private final Gemma4RmsNorm preNorm;
    private final Gemma4RmsNorm postNorm;
    private final double clip;
    private final double residualWeight;

    private Gemma4AudioFeedForward(ClippableLinear up, ClippableLinear down, Gemma4RmsNorm preNorm,
                                   Gemma4RmsNorm postNorm, double clip, double residualWeight) {
        this.up = up;
        this.down = down;
        this.preNorm = preNorm;
        this.postNorm = postNorm;
        this.clip = clip;
        this.residualWeight = residualWeight;
    }

    static Gemma4AudioFeedForward load(WeightSource weights, Gemma4AudioConfig c, WeightPrefix prefix)
            throws ModelLoadException {
        long h = c.hiddenSize();
        try (LoadGuard guard = new LoadGuard()) {
            ClippableLinear up = guard.add(ClippableLinear.load(weights, prefix.child("ffw_layer_1"), h, 4 * h,
                    c.useClippedLinears()));
            ClippableLinear down = guard.add(ClippableLinear.load(weights, prefix.child("ffw_layer_2"), 4 * h, h,
                    c.useClippedLinears()));
            Gemma4RmsNorm pre = guard.add(Gemma4RmsNorm.load(weights, prefix.child("pre_layer_norm"), h, NORM_EPS));
            Gemma4RmsNorm post = guard.add(Gemma4RmsNorm.load(weights, prefix.child("post_layer_norm"), h,
                    NORM_EPS));
            return guard.done(new Gemma4AudioFeedForward(up, down, pre, post, c.gradientClipping(),
                    c.residualWeight()));
        }
    }

    Tensor forward(Tensor x) {
        Tensor h = preNorm.forward(clamp(x, clip));
        h = down.forward(torch.silu(up.forward(h)));
        h = postNorm.forward(clamp(h, clip));
        return h.mul(new Scalar(residualWeight)).add(x);
    }

    /** {@code clamp(x, −bound, bound)}. */
    static Tensor clamp(Tensor x, double bound) {
        return x.clamp(new org.bytedeco.pytorch.ScalarOptional(new Scalar(-bound)),
                new org.bytedeco.pytorch.ScalarOptional(new Scalar(bound)));
    }

    @Override
    public void close() {
        up.close();
        down.close();
        preNorm.close();
        postNorm.close();
    }
}
