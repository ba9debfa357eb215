package ai.tessera.phi4mm.vision;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Patch embedding (a stride-{@code patch} convolution) plus learned positions. As in the NaViT-style SigLIP of
 * Phi-4-multimodal, a crop whose bottom rows or right columns are padding spreads the whole position table over
 * its unpadded patches: row and column fractions {@code arange(0, 1 - 1e-6, 1 / n)} bucketized on the table's
 * {@code 1/side} boundaries; padded patches take position 0.
 */
final class SiglipVisionEmbeddings implements AutoCloseable {
    private final Tensor patchWeight;
    private final Tensor patchBias;
    private final Tensor positionTable;
    private final SiglipVisionConfig config;

    private SiglipVisionEmbeddings(Tensor patchWeight, Tensor patchBias, Tensor positionTable,
                                   SiglipVisionConfig config) {
        this.patchWeight = patchWeight;
        this.patchBias = patchBias;
        this.positionTable = positionTable;
        this.config = config;
        patchWeight.retainReference();
        patchBias.retainReference();
        positionTable.retainReference();
    }

    static SiglipVisionEmbeddings load(WeightSource weights, WeightPrefix prefix, SiglipVisionConfig config)
            throws ModelLoadException {
        long d = config.hiddenSize();
        int p = config.patchSize();
        long side = config.patchesPerSide();
        return new SiglipVisionEmbeddings(
                weights.load(prefix.child("patch_embedding").tensor("weight"), d, 3, p, p),
                weights.load(prefix.child("patch_embedding").tensor("bias"), d),
                weights.load(prefix.child("position_embedding").tensor("weight"), side * side, d),
                config);
    }

    /**
     * @param pixels {@code [crops, 3, size, size]} on the model's device and dtype
     * @param masks  {@code [crops, side, side]} on the CPU, 1 for the unpadded patches
     * @return {@code [crops, side², hidden]}
     */
    Tensor forward(Tensor pixels, Tensor masks, Device device) {
        int p = config.patchSize();
        Tensor patches = torch.conv2d(pixels, patchWeight, new TensorOptional(patchBias), new long[] {p, p},
                new long[] {0, 0}, new long[] {1, 1}, 1);
        Tensor embeddings = patches.flatten(2, -1).transpose(1, 2);
        Tensor ids = positionIds(masks);
        ids = device.is_cpu() ? ids : ids.to(device, ScalarType.Long);
        return embeddings.add(torch.embedding(positionTable, ids));
    }

    /** int64 {@code [crops, side²]}, computed as transformers does with the same torch operations. */
    private Tensor positionIds(Tensor masks) {
        long crops = masks.size(0);
        int side = config.patchesPerSide();
        TensorOptions f32 = new TensorOptions(ScalarType.Float);
        Tensor boundaries = torch.arange(new Scalar(1.0 / side), new Scalar(1.0), new Scalar(1.0 / side), f32);
        Tensor ids = torch.zeros(new long[] {crops, (long) side * side}, new TensorOptions(ScalarType.Long));
        Tensor bool = masks.to(ScalarType.Bool);
        for (long c = 0; c < crops; c++) {
            Tensor mask = bool.get(c);
            long rows = mask.select(1, 0).sum().item_long();
            long cols = mask.select(0, 0).sum().item_long();
            Tensor h = torch.bucketize(fractions(rows, f32), boundaries, false, true);
            Tensor w = torch.bucketize(fractions(cols, f32), boundaries, false, true);
            Tensor pos = h.unsqueeze(1).mul(new Scalar(side)).add(w.unsqueeze(0)).flatten();
            Tensor row = ids.get(c);
            row.index_put_(new org.bytedeco.pytorch.TensorIndexVector(
                    new org.bytedeco.pytorch.TensorIndex(mask.reshape(-1))), pos);
        }
        return ids;
    }

    /** {@code torch.arange(0, 1 - 1e-6, 1 / n)} with {@code 1 / n} a float32 division, as in transformers. */
    private static Tensor fractions(long n, TensorOptions f32) {
        double step = 1.0f / (float) n;
        return torch.arange(new Scalar(0L), new Scalar(1 - 1e-6), new Scalar(step), f32);
    }

    @Override
    public void close() {
        patchWeight.releaseReference();
        patchBias.releaseReference();
        positionTable.releaseReference();
    }
}
