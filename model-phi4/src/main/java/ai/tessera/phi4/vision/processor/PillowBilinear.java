package ai.tessera.phi4.vision.processor;

/**
 * Pillow's {@code Image.resize(size, BILINEAR)} of an 8-bit RGB image, to the byte: the image processor that the
 * checkpoint's {@code Siglip2ImageProcessorNoUpscale} derives from resizes with Pillow, and the model saw Pillow's
 * pixels in training. Pillow resamples separably, horizontally then vertically, each output a weighted sum of the
 * inputs under a triangle filter widened by the downscaling factor (so downscaling averages, it does not alias),
 * with the weights rounded to 22-bit fixed point and each pass rounded and clipped to 8 bits.
 */
final class PillowBilinear {
    private static final int PRECISION_BITS = 32 - 8 - 2;
    private static final double SUPPORT = 1.0;

    private PillowBilinear() {
    }

    /** {@code rgb} is {@code [height][width][3]}; the result is {@code [outHeight][outWidth][3]}. */
    static byte[] resize(byte[] rgb, int width, int height, int outWidth, int outHeight) {
        if (outWidth <= 0 || outHeight <= 0) {
            throw new IllegalArgumentException("cannot resize to " + outWidth + "x" + outHeight);
        }
        if (outWidth == width && outHeight == height) {
            return rgb.clone(); // Image.resize copies an image that already has the size
        }
        Taps vertical = Taps.of(height, outHeight);
        byte[] source = rgb;
        int sourceWidth = width;
        int rowShift = 0;
        if (outWidth != width) {
            // Only the rows the vertical pass reads are resampled horizontally.
            int first = vertical.start[0];
            int last = vertical.start[outHeight - 1] + vertical.count[outHeight - 1];
            source = horizontal(rgb, width, first, last - first, Taps.of(width, outWidth));
            sourceWidth = outWidth;
            rowShift = first;
        }
        return outHeight == height ? source : vertical(source, sourceWidth, rowShift, vertical);
    }

    private static byte[] horizontal(byte[] in, int width, int firstRow, int rows, Taps taps) {
        int outWidth = taps.start.length;
        byte[] out = new byte[rows * outWidth * 3];
        for (int y = 0; y < rows; y++) {
            int row = (y + firstRow) * width * 3;
            for (int x = 0; x < outWidth; x++) {
                int[] k = taps.weights[x];
                int s0 = 1 << (PRECISION_BITS - 1);
                int s1 = s0;
                int s2 = s0;
                for (int i = 0, p = row + taps.start[x] * 3; i < taps.count[x]; i++, p += 3) {
                    s0 += (in[p] & 0xFF) * k[i];
                    s1 += (in[p + 1] & 0xFF) * k[i];
                    s2 += (in[p + 2] & 0xFF) * k[i];
                }
                int o = (y * outWidth + x) * 3;
                out[o] = clip8(s0);
                out[o + 1] = clip8(s1);
                out[o + 2] = clip8(s2);
            }
        }
        return out;
    }

    private static byte[] vertical(byte[] in, int width, int rowShift, Taps taps) {
        int outHeight = taps.start.length;
        byte[] out = new byte[outHeight * width * 3];
        for (int y = 0; y < outHeight; y++) {
            int[] k = taps.weights[y];
            int first = taps.start[y] - rowShift;
            for (int x = 0; x < width; x++) {
                int s0 = 1 << (PRECISION_BITS - 1);
                int s1 = s0;
                int s2 = s0;
                for (int i = 0; i < taps.count[y]; i++) {
                    int p = ((first + i) * width + x) * 3;
                    s0 += (in[p] & 0xFF) * k[i];
                    s1 += (in[p + 1] & 0xFF) * k[i];
                    s2 += (in[p + 2] & 0xFF) * k[i];
                }
                int o = (y * width + x) * 3;
                out[o] = clip8(s0);
                out[o + 1] = clip8(s1);
                out[o + 2] = clip8(s2);
            }
        }
        return out;
    }

    private static byte clip8(int sum) {
        if (sum >= (1 << PRECISION_BITS << 8)) {
            return (byte) 255;
        }
        if (sum <= 0) {
            return 0;
        }
        return (byte) (sum >> PRECISION_BITS);
    }

    /** For each output position: the first input it reads, how many, and their fixed-point weights. */
    private record Taps(int[] start, int[] count, int[][] weights) {
        static Taps of(int inSize, int outSize) {
            double scale = (double) inSize / outSize;
            double filterScale = Math.max(scale, 1.0);
            double support = SUPPORT * filterScale;
            int[] start = new int[outSize];
            int[] count = new int[outSize];
            int[][] weights = new int[outSize][];
            for (int o = 0; o < outSize; o++) {
                double center = (o + 0.5) * scale;
                double inverse = 1.0 / filterScale;
                int min = Math.max(0, (int) (center - support + 0.5));
                int max = Math.min(inSize, (int) (center + support + 0.5)) - min;
                double[] k = new double[Math.max(max, 0)];
                double total = 0;
                for (int i = 0; i < k.length; i++) {
                    k[i] = triangle((i + min - center + 0.5) * inverse);
                    total += k[i];
                }
                int[] fixed = new int[k.length];
                for (int i = 0; i < k.length; i++) {
                    double w = total != 0.0 ? k[i] / total : k[i];
                    fixed[i] = (int) (w < 0 ? -0.5 + w * (1 << PRECISION_BITS) : 0.5 + w * (1 << PRECISION_BITS));
                }
                start[o] = min;
                count[o] = k.length;
                weights[o] = fixed;
            }
            return new Taps(start, count, weights);
        }

        private static double triangle(double x) {
            double a = Math.abs(x);
            return a < 1.0 ? 1.0 - a : 0.0;
        }
    }
}
