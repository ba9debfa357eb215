package ai.tessera.qwen25vl;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.Linear;
import ai.tessera.nn.RmsNorm;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The patch merger ({@code Qwen2_5_VLPatchMerger}): {@code ln_q} per patch, then each {@code m × m} block of patches
 * (consecutive rows) concatenated and taken to the language model's width by {@code Linear, GELU, Linear}.
 */
final class PatchMerger implements AutoCloseable {
    private final RmsNorm lnQ;
    private final Linear fc1;
    private final Linear fc2;
    private final long mergedWidth;

    private PatchMerger(RmsNorm lnQ, Linear fc1, Linear fc2, long mergedWidth) {
        this.lnQ = lnQ;
        this.fc1 = fc1;
        this.fc2 = fc2;
        this.mergedWidth = mergedWidth;
    }

    static PatchMerger load(WeightSource weights, VisionConfig config, WeightPrefix prefix) throws ModelLoadException {
        long merged = (long) config.hiddenSize() * config.spatialMergeSize() * config.spatialMergeSize();
        WeightPrefix mlp = prefix.child("mlp");
        return new PatchMerger(RmsNorm.load(weights, prefix.child("ln_q"), config.hiddenSize(), VisionBlock.NORM_EPS),
                Linear.load(weights, mlp.child(0), merged, merged, true),
                Linear.load(weights, mlp.child(2), merged, config.outHiddenSize(), true), merged);
    }

    /** {@code [patches, hidden]} → {@code [patches / m², out_hidden_size]}. */
    Tensor forward(Tensor x) {
        Tensor merged = lnQ.forward(x).view(-1, mergedWidth);
        return fc2.forward(torch.gelu(fc1.forward(merged)));
    }

    @Override
    public void close() {
        lnQ.close();
        fc1.close();
        fc2.close();
    }
}
