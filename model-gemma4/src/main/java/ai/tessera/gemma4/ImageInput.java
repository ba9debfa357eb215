package ai.tessera.gemma4;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * An image item's {@code pixel_values} {@code [1, max_patches, 3·patch²]} and {@code image_position_ids}
 * {@code [1, max_patches, 2]} checked and cut to the real patches: the positions must be the raster grid of the
 * image (x fastest), then (-1, -1) padding, and inside the position table.
 */
record ImageInput(Tensor pixelValues, Tensor positions) {

    static ImageInput of(Tensor pixels, Tensor positions, Gemma4VisionConfig config) {
        long values = 3L * config.patchSize() * config.patchSize();
        if (pixels.dim() == 3 && pixels.size(0) == 1) {
            pixels = pixels.select(0, 0);
        }
        if (positions.dim() == 3 && positions.size(0) == 1) {
            positions = positions.select(0, 0);
        }
        if (pixels.dim() != 2 || pixels.size(1) != values) {
            throw new IllegalArgumentException("pixel_values must be [1, patches, " + values + "], got "
                    + shape(pixels));
        }
        if (positions.dim() != 2 || positions.size(1) != 2 || positions.size(0) != pixels.size(0)) {
            throw new IllegalArgumentException("image_position_ids must be [1, " + pixels.size(0) + ", 2], got "
                    + shape(positions));
        }
        Tensor cpu = positions.to(ScalarType.Long).contiguous().cpu();
        long[] ids = new long[(int) cpu.numel()];
        cpu.data_ptr_long().get(ids);
        int real = 0;
        while (real < ids.length / 2 && ids[2 * real] >= 0) {
            real++;
        }
        if (real == 0) {
            throw new IllegalArgumentException("image_position_ids has no real patch (all (-1, -1))");
        }
        long columns = 0;
        for (int p = 0; p < real; p++) {
            columns = Math.max(columns, ids[2 * p] + 1);
        }
        for (int p = 0; p < ids.length / 2; p++) {
            long x = p < real ? p % columns : -1;
            long y = p < real ? p / columns : -1;
            if (ids[2 * p] != x || ids[2 * p + 1] != y) {
                throw new IllegalArgumentException("image_position_ids must be the raster grid of " + columns
                        + " columns then (-1, -1); patch " + p + " is (" + ids[2 * p] + ", " + ids[2 * p + 1]
                        + "), expected (" + x + ", " + y + ")");
            }
        }
        long rows = real / columns;
        if (real % columns != 0 || Math.max(rows, columns) > config.positionEmbeddingSize()) {
            throw new IllegalArgumentException("a grid of " + real + " patches in " + columns + " columns does not "
                    + "fit the position table of " + config.positionEmbeddingSize() + " entries per axis");
        }
        return new ImageInput(pixels.narrow(0, 0, real), cpu.narrow(0, 0, real));
    }

    private static String shape(Tensor t) {
        StringBuilder b = new StringBuilder("[");
        for (int d = 0; d < t.dim(); d++) {
            b.append(d == 0 ? "" : ", ").append(t.size(d));
        }
        return b.append(']').toString();
    }
}
