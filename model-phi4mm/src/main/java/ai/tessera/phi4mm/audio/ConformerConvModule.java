package ai.tessera.phi4mm.audio;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.LayerNorm;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Tensor;

/**
 * The conformer's convolution module ({@code conv}): LayerNorm; a GLU pointwise convolution ({@code glu}: a 1x1
 * convolution to twice the width, value half {@code + b1} times the activated gate half {@code + b2}); a causal
 * depthwise separable convolution ({@code dw_sep_conv_1d}: depthwise over time, padded by {@code kernel - 1} on both
 * sides with the last {@code kernel - 1} outputs dropped, so a frame sees no later frame; then pointwise); the
 * activation; a last pointwise convolution ({@code ext_pw_conv_1d}).
 */
final class ConformerConvModule implements AutoCloseable {
    private final LayerNorm layerNorm;
    private final Convolution gluConv;
    private final Tensor b1;
    private final Tensor b2;
    private final Convolution depthwise;
    private final Convolution pointwise;
    private final Convolution extPointwise;
    private final Activation gluActivation;
    private final Activation activation;
    private final int kernel;
    private final long width;

    private ConformerConvModule(LayerNorm layerNorm, Convolution gluConv, Tensor b1, Tensor b2, Convolution depthwise,
                                Convolution pointwise, Convolution extPointwise, Phi4MMAudioConfig config) {
        this.layerNorm = layerNorm;
        this.gluConv = gluConv;
        this.b1 = b1;
        this.b2 = b2;
        this.depthwise = depthwise;
        this.pointwise = pointwise;
        this.extPointwise = extPointwise;
        this.gluActivation = config.convGluActivation();
        this.activation = config.convActivation();
        this.kernel = config.kernelSize();
        this.width = config.attentionDim();
        if (b1 != null) {
            b1.retainReference();
            b2.retainReference();
        }
    }

    static ConformerConvModule load(WeightSource weights, WeightPrefix prefix, Phi4MMAudioConfig config)
            throws ModelLoadException {
        long d = config.attentionDim();
        long hidden = d * config.depthwiseMultiplier();
        WeightPrefix glu = prefix.child("glu");
        WeightPrefix separable = prefix.child("dw_sep_conv_1d");
        return new ConformerConvModule(LayerNorm.load(weights, prefix.child("layer_norm"), d, LayerNorm.DEFAULT_EPS),
                Convolution.conv1d(weights, glu.child("ext_pw_conv_1d"), d, 2 * d, 1, 0, 1),
                config.biasInGlu() ? weights.load(glu.tensor("b1"), 1, d, 1) : null,
                config.biasInGlu() ? weights.load(glu.tensor("b2"), 1, d, 1) : null,
                Convolution.conv1d(weights, separable.child("dw_conv"), d, hidden, config.kernelSize(),
                        config.kernelSize() - 1, d),
                Convolution.conv1d(weights, separable.child("pw_conv"), hidden, d, 1, 0, 1),
                Convolution.conv1d(weights, prefix.child("ext_pw_conv_1d"), d, d, 1, 0, 1), config);
    }

    /** {@code [sequences, length, attention_dim]}. */
    Tensor forward(Tensor x) {
        Tensor h = gluConv.forward(layerNorm.forward(x).permute(0, 2, 1)); // [s, 2 * d, length]
        Tensor value = h.narrow(1, 0, width);
        Tensor gate = h.narrow(1, width, width);
        if (b1 != null) {
            value = value.add(b1);
            gate = gate.add(b2);
        }
        h = pointwise.forward(depthwise.forward(value.mul(gluActivation.apply(gate))));
        if (kernel > 1) {
            h = h.narrow(2, 0, h.size(2) - (kernel - 1));
        }
        return extPointwise.forward(activation.apply(h)).permute(0, 2, 1);
    }

    @Override
    public void close() {
        layerNorm.close();
        gluConv.close();
        if (b1 != null) {
            b1.releaseReference();
            b2.releaseReference();
        }
        depthwise.close();
        pointwise.close();
        extPointwise.close();
    }
}
