package ai.tessera.qwen25vl.processor;

import org.bytedeco.pytorch.Tensor;

/**
 * The flattened patches of one image or video and their grid, in patches of {@code patch_size} pixels and
 * {@code temporal_patch_size} frames.
 *
 * @param pixels float32 {@code [gridT * gridH * gridW, 3 * temporal_patch * patch * patch]}
 */
record VisionPatches(Tensor pixels, int gridT, int gridH, int gridW) {
    /** The tokens that stand for these patches in the prompt: one per {@code merge × merge} patches. */
    int tokens(int mergeSize) {
        return gridT * gridH * gridW / (mergeSize * mergeSize);
    }
}
