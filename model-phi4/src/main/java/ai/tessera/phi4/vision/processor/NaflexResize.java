package ai.tessera.phi4.vision.processor;

/**
 * The size a NaFlex image is resampled to. {@code Siglip2ImageProcessorNoUpscale} (the checkpoint's processor)
 * keeps an image's own patch count, clamped to {@code [min_num_patches, max_num_patches]}, and hands it as the
 * budget to transformers' {@code get_image_size_for_max_num_patches}: a binary search for the largest scale whose
 * patch-aligned sides hold at most that many patches, which keeps the aspect ratio as far as whole patches allow.
 * Every step is the same double arithmetic as the Python, so the sizes agree exactly.
 */
final class NaflexResize {
    private static final double EPS = 1e-5;

    private NaflexResize() {
    }

    /** NoUpscale's budget: {@code max(w / p * h / p, 1)} patches, raised to the minimum or lowered to the maximum. */
    static int budget(int width, int height, int patchSize, int minPatches, int maxPatches) {
        int own = Math.max((width / patchSize) * (height / patchSize), 1);
        return own < minPatches ? minPatches : Math.min(own, maxPatches);
    }

    /** {@code get_image_size_for_max_num_patches}: {@code {targetHeight, targetWidth}}, multiples of the patch. */
    static int[] targetSize(int height, int width, int patchSize, int maxPatches) {
        double scaleMin = EPS / 10;
        double scaleMax = 100.0;
        while (scaleMax - scaleMin >= EPS) {
            double scale = (scaleMin + scaleMax) / 2;
            int h = scaledSize(scale, height, patchSize);
            int w = scaledSize(scale, width, patchSize);
            double patches = ((double) h / patchSize) * ((double) w / patchSize);
            if (patches <= maxPatches) {
                scaleMin = scale;
            } else {
                scaleMax = scale;
            }
        }
        return new int[] {scaledSize(scaleMin, height, patchSize), scaledSize(scaleMin, width, patchSize)};
    }

    private static int scaledSize(double scale, int size, int patchSize) {
        double scaled = Math.ceil(size * scale / patchSize) * patchSize;
        return (int) Math.max(patchSize, scaled);
    }
}
