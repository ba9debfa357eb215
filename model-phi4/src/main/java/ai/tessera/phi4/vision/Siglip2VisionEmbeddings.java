package ai.tessera.phi4.vision;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.Linear;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.InterpolateFuncOptions;
import org.bytedeco.pytorch.LongVector;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.bytedeco.pytorch.kBilinear;

/**
 * NaFlex patch embeddings: a linear projection of each flattened patch (already cut by the processor), plus the
 * learned square position table resized to the image's own patch grid — bilinear with antialiasing, in float32, as
 * transformers' {@code Siglip2VisionEmbeddings.resize_positional_embeddings} does on the CPU.
 */
final class Siglip2VisionEmbeddings implements AutoCloseable {
    private final Linear patchEmbedding;
    private final Tensor positionTable; // [1, hidden, side, side], float32
    private final int hiddenSize;

    private Siglip2VisionEmbeddings(Linear patchEmbedding, Tensor positionTable, int hiddenSize) {
        this.patchEmbedding = patchEmbedding;
        this.positionTable = positionTable;
        this.hiddenSize = hiddenSize;
        positionTable.retainReference();
    }

    static Siglip2VisionEmbeddings load(WeightSource weights, WeightPrefix prefix, Siglip2VisionConfig config)
            throws ModelLoadException {
        Linear patch = Linear.load(weights, prefix.child("patch_embedding"), config.patchFeatures(),
                config.hiddenSize(), true);
        int side = config.positionGridSize();
        Tensor table = weights.load(prefix.child("position_embedding").tensor("weight"), config.numPatches(),
                config.hiddenSize());
        Tensor grid = table.to(ScalarType.Float).reshape(side, side, config.hiddenSize()).permute(2, 0, 1)
                .unsqueeze(0).contiguous();
        return new Siglip2VisionEmbeddings(patch, grid, config.hiddenSize());
    }

    /** {@code pixels [Σ h·w, fd]} of the packed images → {@code [Σ h·w, hidden]}. */
    Tensor forward(PackedImages images, Tensor pixels) {
        Tensor patches = patchEmbedding.forward(pixels.to(patchEmbedding.weight().scalar_type()));
        Map<Long, Tensor> resized = new HashMap<>();
        List<Tensor> positions = new ArrayList<>();
        for (int[] hw : images.spatialShapes()) {
            positions.add(resized.computeIfAbsent(((long) hw[0] << 32) | hw[1], k -> positions(hw[0], hw[1])));
        }
        Tensor position = torch.cat(new TensorVector(positions.toArray(new Tensor[0])), 0);
        return patches.add(position.to(patches.scalar_type()));
    }

    /** The table resized to {@code height x width}, as rows {@code [height·width, hidden]} in row-major order. */
    private Tensor positions(int height, int width) {
        InterpolateFuncOptions options = new InterpolateFuncOptions();
        options.size().put(new LongVector(height, width));
        options.mode().put(new kBilinear());
        options.align_corners().put(false);
        options.antialias().put(true);
        Tensor out = torch.interpolate(positionTable, options);
        return out.reshape(hiddenSize, (long) height * width).transpose(0, 1);
    }

    @Override
    public void close() {
        patchEmbedding.close();
        positionTable.releaseReference();
    }
}
