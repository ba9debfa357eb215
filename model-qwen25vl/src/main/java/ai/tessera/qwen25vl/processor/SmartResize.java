package ai.tessera.qwen25vl.processor;

/**
 * transformers' {@code smart_resize} for Qwen2-VL and Qwen2.5-VL: the size an image is resampled to so that both
 * sides are multiples of {@code factor} (patch size × merge size, 28), the pixel count lies within
 * {@code [minPixels, maxPixels]} where it can, and the aspect ratio stays as close as those allow.
 */
final class SmartResize {
    /** Python's limit: a longer side more than 200 times the shorter one is refused. */
    static final int MAX_ASPECT_RATIO = 200;

    private SmartResize() {
    }

    /**
     * @return {@code {height, width}} after resizing
     * @throws IllegalArgumentException when the aspect ratio exceeds 200, naming the image
     */
    static int[] of(int height, int width, int factor, long minPixels, long maxPixels, String source) {
        if ((double) Math.max(height, width) / Math.min(height, width) > MAX_ASPECT_RATIO) {
            throw new IllegalArgumentException("the image from " + source + " is " + width + "x" + height
                    + ": its aspect ratio " + (double) Math.max(height, width) / Math.min(height, width)
                    + " exceeds the " + MAX_ASPECT_RATIO + " that Qwen2.5-VL's processor accepts");
        }
        // round() in Python rounds halves to even, as Math.rint does
        long hBar = (long) Math.rint((double) height / factor) * factor;
        long wBar = (long) Math.rint((double) width / factor) * factor;
        if (hBar * wBar > maxPixels) {
            double beta = Math.sqrt((double) height * width / maxPixels);
            hBar = Math.max(factor, (long) Math.floor(height / beta / factor) * factor);
            wBar = Math.max(factor, (long) Math.floor(width / beta / factor) * factor);
        } else if (hBar * wBar < minPixels) {
            double beta = Math.sqrt((double) minPixels / ((double) height * width));
            hBar = (long) Math.ceil(height * beta / factor) * factor;
            wBar = (long) Math.ceil(width * beta / factor) * factor;
        }
        if (hBar > Integer.MAX_VALUE || wBar > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("the image from " + source + " would be resized to " + wBar + "x" + hBar
                    + " pixels; lower min_pixels");
        }
        return new int[] {(int) hBar, (int) wBar};
    }
}
