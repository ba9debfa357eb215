package ai.tessera.phi4mm.audio;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.LayerNorm;
import ai.tessera.nn.Linear;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;

/**
 * The conformer's macaron feed-forward ({@code feed_forward_in}/{@code feed_forward_out}): LayerNorm, a GLU linear
 * ({@code net.0.linear}: value half, then gate half through the activation) and the down projection ({@code net.2});
 * transformers calls them {@code gate_up_proj} and {@code down_proj}. The block adds half of it to the residual.
 */
final class ConformerFeedForward implements AutoCloseable {
    private final LayerNorm layerNorm;
    private final Linear gateUp;
    private final Linear down;
    private final Activation activation;

    private ConformerFeedForward(LayerNorm layerNorm, Linear gateUp, Linear down, Activation activation) {
        this.layerNorm = layerNorm;
        this.gateUp = gateUp;
        this.down = down;
        this.activation = activation;
    }

    static ConformerFeedForward load(WeightSource weights, WeightPrefix prefix, Phi4MMAudioConfig config)
            throws ModelLoadException {
        long d = config.attentionDim();
        long inner = config.linearUnits();
        WeightPrefix net = prefix.child("net");
        return new ConformerFeedForward(LayerNorm.load(weights, prefix.child("layer_norm"), d, LayerNorm.DEFAULT_EPS),
                Linear.load(weights, net.child(0).child("linear"), d, 2 * inner, true),
                Linear.load(weights, net.child(2), inner, d, true), config.activation());
    }

    /** {@code [..., attention_dim]}. */
    Tensor forward(Tensor x) {
        TensorVector halves = gateUp.forward(layerNorm.forward(x)).chunk(2, -1);
        return down.forward(halves.get(0).mul(activation.apply(halves.get(1))));
    }

    @Override
    public void close() {
        layerNorm.close();
        gateUp.close();
        down.close();
    }
}
