package ai.tessera.phi4mm.audio;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.Linear;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * One audio projection ({@code audio_projection.speech} or {@code .vision}, an {@code nn.Sequential} of Linear, GELU,
 * Linear; transformers' {@code up_proj_for_speech}/{@code down_proj_for_speech} and the {@code _for_vision_speech}
 * pair): conformer width to the language model's hidden size.
 */
final class AudioProjection implements AutoCloseable {
    private final Linear up;
    private final Linear down;

    private AudioProjection(Linear up, Linear down) {
        this.up = up;
        this.down = down;
    }

    static AudioProjection load(WeightSource weights, WeightPrefix prefix, Phi4MMAudioConfig config)
            throws ModelLoadException {
        return new AudioProjection(Linear.load(weights, prefix.child(0), config.attentionDim(), config.hiddenSize(), true),
                Linear.load(weights, prefix.child(2), config.hiddenSize(), config.hiddenSize(), true));
    }

    /** {@code [..., attention_dim]} → {@code [..., hidden_size]}. */
    Tensor forward(Tensor x) {
        return down.forward(torch.gelu(up.forward(x)));
    }

    /** A weight of the projection: its dtype and device are the embedding's. */
    Tensor referenceWeight() {
        return up.weight();
    }

    @Override
    public void close() {
        up.close();
        down.close();
    }
}
