package ai.tessera.gemma4;

import org.bytedeco.pytorch.Tensor;

/**
 * One image as {@code Gemma4ImageProcessor} hands it to the model.
 *
 * @param pixelValues  float32 {@code [maxPatches, 3·patch²]}: the real patches in raster order, each flattened
 *                     (row, column, channel), then zero rows
 * @param positions    int64 {@code [maxPatches, 2]}: (x = column, y = row) of each real patch, then (-1, -1)
 * @param realPatches  how many rows are real
 * @param softTokens   the tokens the image takes in the prompt: {@code realPatches / pooling²}
 * @param height       the resized height in pixels
 * @param width        the resized width in pixels
 */
record ImagePatches(Tensor pixelValues, Tensor positions, int realPatches, int softTokens, int height, int width) {
}
