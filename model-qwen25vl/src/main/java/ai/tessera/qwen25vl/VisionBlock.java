package ai.tessera.qwen25vl;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.CosSin;
import ai.tessera.nn.RmsNorm;
import ai.tessera.nn.SiluAndMul;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Tensor;

/** A pre-norm vision block ({@code Qwen2_5_VLVisionBlock}): {@code h += attn(norm1(h)); h += mlp(norm2(h))}. */
final class VisionBlock implements AutoCloseable {
    /** transformers builds these norms with a fixed epsilon, whatever the config says. */
    static final double NORM_EPS = 1e-6;

    private final RmsNorm norm1;
    private final VisionAttention attn;
    private final RmsNorm norm2;
    private final VisionMlp mlp;

    private VisionBlock(RmsNorm norm1, VisionAttention attn, RmsNorm norm2, VisionMlp mlp) {
        this.norm1 = norm1;
        this.attn = attn;
        this.norm2 = norm2;
        this.mlp = mlp;
    }

    static VisionBlock load(WeightSource weights, SiluAndMul act, VisionConfig config, WeightPrefix prefix)
            throws ModelLoadException {
        return new VisionBlock(
                RmsNorm.load(weights, prefix.child("norm1"), config.hiddenSize(), NORM_EPS),
                VisionAttention.load(weights, config, prefix.child("attn")),
                RmsNorm.load(weights, prefix.child("norm2"), config.hiddenSize(), NORM_EPS),
                VisionMlp.load(weights, act, config, prefix.child("mlp")));
    }

    VisionMlp mlp() {
        return mlp;
    }

    Tensor forward(Tensor hidden, CosSin cosSin, PackedSegments segments) {
        hidden = hidden.add(attn.forward(norm1.forward(hidden), cosSin, segments));
        return hidden.add(mlp.forward(norm2.forward(hidden)));
    }

    @Override
    public void close() {
        norm1.close();
        attn.close();
        norm2.close();
        mlp.close();
    }
}
