package ai.tessera.phi4.vision;

import java.util.ArrayList;
import java.util.List;

import org.bytedeco.pytorch.Tensor;

/**
 * Several images' patches as one sequence, without padding: {@code pixels [Σ h·w, fd]} and each image's patch grid.
 * {@link #cuSeqlens()} gives where each image starts (vLLM's {@code cu_seqlens}); {@link #splitByItem} turns
 * per-patch results back into one tensor per media item.
 *
 * @param imagesPerItem how many consecutive images belong to each media item
 */
public record PackedImages(Tensor pixels, List<int[]> spatialShapes, int[] imagesPerItem) {
    public PackedImages {
        spatialShapes = List.copyOf(spatialShapes);
        imagesPerItem = imagesPerItem.clone();
    }

    /** Start of image {@code i}'s patches, and the total at the end: {@code imageCount() + 1} entries. */
    public int[] cuSeqlens() {
        int[] cu = new int[spatialShapes.size() + 1];
        for (int i = 0; i < spatialShapes.size(); i++) {
            cu[i + 1] = cu[i] + spatialShapes.get(i)[0] * spatialShapes.get(i)[1];
        }
        return cu;
    }

    public int imageCount() {
        return spatialShapes.size();
    }

    /** {@code perPatch [Σ h·w, ...]} → one slice per media item, in item order. */
    public List<Tensor> splitByItem(Tensor perPatch) {
        int[] cu = cuSeqlens();
        List<Tensor> out = new ArrayList<>();
        int image = 0;
        for (int count : imagesPerItem) {
            int from = cu[image];
            image += count;
            out.add(perPatch.narrow(0, from, cu[image] - from));
        }
        return out;
    }
}
