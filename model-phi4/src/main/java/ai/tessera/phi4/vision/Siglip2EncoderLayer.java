package ai.tessera.phi4.vision;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.LayerNorm;
import ai.tessera.nn.Linear;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** A pre-norm encoder layer: {@code h += attn(ln1(h)); h += fc2(gelu(fc1(ln2(h))))}. */
final class Siglip2EncoderLayer implements AutoCloseable {
    private final LayerNorm layerNorm1;
    private final Siglip2Attention selfAttn;
    private final LayerNorm layerNorm2;
    private final Linear fc1;
    private final Linear fc2;
    private final String gelu;

    private Siglip2EncoderLayer(LayerNorm ln1, Siglip2Attention attn, LayerNorm ln2, Linear fc1, Linear fc2,
                                String gelu) {
        this.layerNorm1 = ln1;
        this.selfAttn = attn;
        this.layerNorm2 = ln2;
        this.fc1 = fc1;
        this.fc2 = fc2;
        this.gelu = gelu;
    }

    static Siglip2EncoderLayer load(WeightSource weights, WeightPrefix prefix, Siglip2VisionConfig config)
            throws ModelLoadException {
        long d = config.hiddenSize();
        WeightPrefix mlp = prefix.child("mlp");
        return new Siglip2EncoderLayer(
                LayerNorm.load(weights, prefix.child("layer_norm1"), d, config.layerNormEps()),
                Siglip2Attention.load(weights, prefix.child("self_attn"), config),
                LayerNorm.load(weights, prefix.child("layer_norm2"), d, config.layerNormEps()),
                Linear.load(weights, mlp.child("fc1"), d, config.intermediateSize(), true),
                Linear.load(weights, mlp.child("fc2"), config.intermediateSize(), d, true),
                config.geluApproximation());
    }

    Tensor forward(Tensor hidden, int[] cuSeqlens) {
        hidden = hidden.add(selfAttn.forward(layerNorm1.forward(hidden), cuSeqlens));
        return hidden.add(fc2.forward(torch.gelu(fc1.forward(layerNorm2.forward(hidden)), gelu)));
    }

    @Override
    public void close() {
        layerNorm1.close();
        selfAttn.close();
        layerNorm2.close();
        fc1.close();
        fc2.close();
    }
}
