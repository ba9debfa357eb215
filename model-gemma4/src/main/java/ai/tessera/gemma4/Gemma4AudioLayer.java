package ai.tessera.gemma4;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Tensor;

/**
 * {@code Gemma4AudioLayer}, one conformer block: half-step feed-forward; clamp, RMSNorm, chunked attention, clamp,
 * RMSNorm, plus the residual; light convolution; half-step feed-forward; clamp and the output RMSNorm.
 */
final class Gemma4AudioLayer implements AutoCloseable {
    /** transformers builds these norms with Gemma4RMSNorm's default eps, not the config's. */
    private static final double NORM_EPS = 1e-6;
    private final Gemma4AudioFeedForward feedForward1;
    private final Gemma4AudioAttention attention;
    private final Gemma4AudioLightConv lightConv;
    private final Gemma4AudioFeedForward feedForward2;
    private final Gemma4RmsNorm normPreAttn;
    private final Gemma4RmsNorm normPostAttn;
    private final Gemma4RmsNorm normOut;
    private final double clip;

    private Gemma4AudioLayer(Gemma4AudioFeedForward feedForward1, Gemma4AudioAttention attention,
                             Gemma4AudioLightConv lightConv, Gemma4AudioFeedForward feedForward2,
                             Gemma4RmsNorm normPreAttn, Gemma4RmsNorm normPostAttn, Gemma4RmsNorm normOut,
                             double clip) {
        this.feedForward1 = feedForward1;
        this.attention = attention;
        this.lightConv = lightConv;
        this.feedForward2 = feedForward2;
        this.normPreAttn = normPreAttn;
        this.normPostAttn = normPostAttn;
        this.normOut = normOut;
        this.clip = clip;
    }

    static Gemma4AudioLayer load(WeightSource weights, Gemma4AudioConfig c, WeightPrefix prefix)
            throws ModelLoadException {
        long h = c.hiddenSize();
        try (LoadGuard guard = new LoadGuard()) {
            Gemma4AudioFeedForward ff1 = guard.add(Gemma4AudioFeedForward.load(weights, c,
                    prefix.child("feed_forward1")));
            Gemma4AudioAttention attention = guard.add(Gemma4AudioAttention.load(weights, c,
                    prefix.child("self_attn")));
            Gemma4AudioLightConv conv = guard.add(Gemma4AudioLightConv.load(weights, c, prefix.child("lconv1d")));
            Gemma4AudioFeedForward ff2 = guard.add(Gemma4AudioFeedForward.load(weights, c,
                    prefix.child("feed_forward2")));
            Gemma4RmsNorm pre = guard.add(Gemma4RmsNorm.load(weights, prefix.child("norm_pre_attn"), h, NORM_EPS));
            Gemma4RmsNorm post = guard.add(Gemma4RmsNorm.load(weights, prefix.child("norm_post_attn"), h,
                    NORM_EPS));
            Gemma4RmsNorm out = guard.add(Gemma4RmsNorm.load(weights, prefix.child("norm_out"), h, NORM_EPS));
            return guard.done(new Gemma4AudioLayer(ff1, attention, conv, ff2, pre, post, out,
                    c.gradientClipping()));
        }
    }

    /** {@code x [T, hidden]} → {@code [T, hidden]}; the mask is {@link Gemma4AudioAttention#blockedMask}. */
    Tensor forward(Tensor x, Tensor relativePositions, Tensor attentionMask) {
        Tensor h = feedForward1.forward(x);
        Tensor attended = attention.forward(normPreAttn.forward(Gemma4AudioFeedForward.clamp(h, clip)),
                relativePositions, attentionMask);
        h = normPostAttn.forward(Gemma4AudioFeedForward.clamp(attended, clip)).add(h);
        h = feedForward2.forward(lightConv.forward(h));
        return normOut.forward(Gemma4AudioFeedForward.clamp(h, clip));
    }

    @Override
    public void close() {
        feedForward1.close();
        attention.close();
        lightConv.close();
        feedForward2.close();
        normPreAttn.close();
        normPostAttn.close();
        normOut.close();
    }
}
