package ai.tessera.qwen25vl;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import ai.tessera.api.MultimodalItem;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * One image or video item's encoder inputs, by the names the Hugging Face processor gives them
 * ({@code pixel_values} + {@code image_grid_thw}, or {@code pixel_values_videos} + {@code video_grid_thw}), checked
 * against each other and against the item's token count before anything runs.
 */
record VisionInput(MultimodalItem item, Tensor pixels, VisionGrid grid) {

    static List<VisionInput> of(List<MultimodalItem> items, VisionConfig config) {
        List<VisionInput> inputs = new ArrayList<>();
        for (MultimodalItem item : items) {
            inputs.add(of(item, config));
        }
        return inputs;
    }

    static VisionInput of(MultimodalItem item, VisionConfig config) {
        String pixelsName;
        String gridName;
        switch (item.modality()) {
            case "image" -> {
                pixelsName = "pixel_values";
                gridName = "image_grid_thw";
            }
            case "video" -> {
                pixelsName = "pixel_values_videos";
                gridName = "video_grid_thw";
            }
            default -> throw new IllegalArgumentException("Qwen2.5-VL embeds image and video items, got a '"
                    + item.modality() + "' item at token " + item.offset());
        }
        String where = "the " + item.modality() + " item at token " + item.offset();
        VisionGrid grid = grid(item.input(gridName), gridName, where);
        int merge = config.spatialMergeSize();
        if (grid.h() % merge != 0 || grid.w() % merge != 0) {
            throw new IllegalArgumentException(where + ": " + gridName + " " + grid + " must have h and w divisible by"
                    + " spatial_merge_size " + merge);
        }
        Tensor pixels = item.input(pixelsName);
        long[] expected = {grid.patches(), config.patchInputSize()};
        long[] actual = shape(pixels);
        if (!Arrays.equals(expected, actual)) {
            throw new IllegalArgumentException(where + ": " + pixelsName + " must be " + Arrays.toString(expected)
                    + " (t·h·w patches of " + gridName + " " + grid + ", channels·temporal_patch_size·patch_size²"
                    + " values each), got " + Arrays.toString(actual));
        }
        if (!pixels.is_floating_point()) {
            throw new IllegalArgumentException(where + ": " + pixelsName + " must be floating point, got "
                    + pixels.scalar_type());
        }
        if (item.length() != grid.mergedTokens(merge)) {
            throw new IllegalArgumentException(where + " takes " + item.length() + " tokens but " + gridName + " "
                    + grid + " gives t·h·w/" + merge * merge + " = " + grid.mergedTokens(merge));
        }
        return new VisionInput(item, pixels, grid);
    }

    /** {@code [1, 3]} (as the processor returns it for one item) or {@code [3]}, integral. */
    private static VisionGrid grid(Tensor thw, String name, String where) {
        long[] shape = shape(thw);
        boolean shaped = Arrays.equals(shape, new long[] {1, 3}) || Arrays.equals(shape, new long[] {3});
        if (!shaped || thw.is_floating_point()) {
            throw new IllegalArgumentException(where + ": " + name + " must be integral [1, 3] (t, h, w), got "
                    + thw.scalar_type() + " " + Arrays.toString(shape));
        }
        Tensor values = thw.reshape(3).to(ScalarType.Long).contiguous();
        long[] thwValues = new long[3];
        values.data_ptr_long().get(thwValues);
        for (long v : thwValues) {
            if (v <= 0 || v > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(where + ": " + name + " must be positive, got "
                        + Arrays.toString(thwValues));
            }
        }
        return new VisionGrid((int) thwValues[0], (int) thwValues[1], (int) thwValues[2]);
    }

    private static long[] shape(Tensor t) {
        long[] shape = new long[(int) t.dim()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = t.size(i);
        }
        return shape;
    }
}
