package ai.tessera.qwen25vl;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.Linear;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * The patch embedding ({@code Qwen2_5_VisionPatchEmbed}): a {@code Conv3d} whose kernel equals its stride
 * ({@code temporal_patch_size × patch_size²}) over patches the processor already cut out, which is a matmul of each
 * flattened patch {@code [channels, t, p, p]} with the flattened kernel.
 */
final class VisionPatchEmbed implements AutoCloseable {
    private final Linear proj;
    private final int patchInputSize;

    private VisionPatchEmbed(Linear proj, int patchInputSize) {
        this.proj = proj;
        this.patchInputSize = patchInputSize;
    }

    static VisionPatchEmbed load(WeightSource weights, VisionConfig config, WeightPrefix prefix)
            throws ModelLoadException {
        try (PointerScope scope = new PointerScope()) {
            Tensor kernel = weights.load(prefix.child("proj").tensor("weight"), config.hiddenSize(),
                    config.inChannels(), config.temporalPatchSize(), config.patchSize(), config.patchSize());
            Linear proj = new Linear(kernel.reshape(config.hiddenSize(), config.patchInputSize()), null);
            return new VisionPatchEmbed(proj, config.patchInputSize());
        }
    }

    /** {@code pixels [patches, channels·t·p·p]} → {@code [patches, hidden]}. */
    Tensor forward(Tensor pixels) {
        if (pixels.dim() != 2 || pixels.size(1) != patchInputSize) {
            throw new IllegalArgumentException("pixel rows must be [patches, " + patchInputSize + "], got "
                    + pixels.dim() + "-D with width " + pixels.size(pixels.dim() - 1));
        }
        return proj.forward(pixels);
    }

    @Override
    public void close() {
        proj.close();
    }
}
