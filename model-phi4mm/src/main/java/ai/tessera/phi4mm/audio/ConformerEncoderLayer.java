package ai.tessera.phi4mm.audio;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.LayerNorm;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * One conformer block ({@code encoders.N}), as in the Conformer paper with its macaron feed-forwards:
 * {@code x + ½ FF_in(x)}, {@code + MHSA(LN_att(·))}, {@code + Conv(·)}, {@code + ½ FF_out(·)}, then LayerNorm.
 */
final class ConformerEncoderLayer implements AutoCloseable {
    private final ConformerFeedForward feedForwardIn;
    private final LayerNorm layerNormAtt;
    private final ConformerAttention selfAttn;
    private final ConformerConvModule conv;
    private final ConformerFeedForward feedForwardOut;
    private final LayerNorm layerNorm;

    private ConformerEncoderLayer(ConformerFeedForward feedForwardIn, LayerNorm layerNormAtt,
                                  ConformerAttention selfAttn, ConformerConvModule conv,
                                  ConformerFeedForward feedForwardOut, LayerNorm layerNorm) {
        this.feedForwardIn = feedForwardIn;
        this.layerNormAtt = layerNormAtt;
        this.selfAttn = selfAttn;
        this.conv = conv;
        this.feedForwardOut = feedForwardOut;
        this.layerNorm = layerNorm;
    }

    static ConformerEncoderLayer load(WeightSource weights, WeightPrefix prefix, Phi4MMAudioConfig config)
            throws ModelLoadException {
        long d = config.attentionDim();
        return new ConformerEncoderLayer(ConformerFeedForward.load(weights, prefix.child("feed_forward_in"), config),
                LayerNorm.load(weights, prefix.child("layer_norm_att"), d, LayerNorm.DEFAULT_EPS),
                ConformerAttention.load(weights, prefix.child("self_attn"), config),
                ConformerConvModule.load(weights, prefix.child("conv"), config),
                ConformerFeedForward.load(weights, prefix.child("feed_forward_out"), config),
                LayerNorm.load(weights, prefix.child("layer_norm"), d, LayerNorm.DEFAULT_EPS));
    }

    /**
     * @param x    {@code [sequences, length, attention_dim]}
     * @param bias added to the attention logits, {@code [sequences or 1, heads, length, length]}
     */
    Tensor forward(Tensor x, Tensor bias) {
        Scalar half = new Scalar(0.5); // per call: a static Scalar would be freed with the first PointerScope around it
        x = x.add(feedForwardIn.forward(x).mul(half));
        x = x.add(selfAttn.forward(layerNormAtt.forward(x), bias));
        x = x.add(conv.forward(x));
        x = x.add(feedForwardOut.forward(x).mul(half));
        return layerNorm.forward(x);
    }

    @Override
    public void close() {
        feedForwardIn.close();
        layerNormAtt.close();
        selfAttn.close();
        conv.close();
        feedForwardOut.close();
        layerNorm.close();
    }
}
