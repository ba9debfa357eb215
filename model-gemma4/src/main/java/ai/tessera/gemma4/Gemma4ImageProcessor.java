package ai.tessera.gemma4;

import java.util.Set;

import ai.tessera.media.RgbImage;
import ai.tessera.nn.ForwardScope;
import org.bytedeco.pytorch.InterpolateFuncOptions;
import org.bytedeco.pytorch.LongVector;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.bytedeco.pytorch.kBicubic;

/**
 * transformers 5's (torchvision) {@code Gemma4ImageProcessor}: resize keeping the aspect ratio to the largest sides
 * that are multiples of {@code pooling × patch} (48) within {@code max_soft_tokens · pooling² · patch²} pixels
 * (uint8 bicubic with antialiasing, the libtorch operation torchvision runs on the CPU, so the pixels are the
 * same), rescale by 1/255 without mean or std (the tower computes {@code 2(x − 0.5)} itself), cut into patches
 * flattened (row, column, channel) in raster order, and pad to {@code max_soft_tokens · pooling²} patches with zero
 * pixels and position (-1, -1).
 *
 * <p>{@code Gemma4VideoProcessor} treats each frame the same way at its own {@code max_soft_tokens} (70) except for
 * the rescale: its {@code do_normalize} (mean 0, std 1) fuses with the rescale into one float32 division by
 * {@code std / rescale_factor} = 255, which differs from the multiplication by 1/255 in the last bit of some values
 * ({@link #forVideo}).
 */
final class Gemma4ImageProcessor {
    /** The values {@code max_soft_tokens} may take ({@code _SUPPORTED_SOFT_TOKENS}). */
    static final Set<Integer> SUPPORTED_SOFT_TOKENS = Set.of(70, 140, 280, 560, 1120);

    private final int patchSize;
    private final int poolingKernelSize;
    private final int maxSoftTokens;
    private final double rescaleFactor;
    private final boolean fusedNormalize;

    Gemma4ImageProcessor(int patchSize, int poolingKernelSize, int maxSoftTokens, double rescaleFactor) {
        this(patchSize, poolingKernelSize, maxSoftTokens, rescaleFactor, false);
    }

    /** Video frames: transformers' {@code Gemma4VideoProcessor} with its fused rescale and normalisation. */
    static Gemma4ImageProcessor forVideo(int patchSize, int poolingKernelSize, int maxSoftTokens,
                                         double rescaleFactor) {
        return new Gemma4ImageProcessor(patchSize, poolingKernelSize, maxSoftTokens, rescaleFactor, true);
    }

    private Gemma4ImageProcessor(int patchSize, int poolingKernelSize, int maxSoftTokens, double rescaleFactor,
                                 boolean fusedNormalize) {
        if (!SUPPORTED_SOFT_TOKENS.contains(maxSoftTokens)) {
            throw new IllegalArgumentException("max_soft_tokens must be one of 70, 140, 280, 560, 1120, got "
                    + maxSoftTokens);
        }
        if (patchSize <= 0 || poolingKernelSize <= 0) {
            throw new IllegalArgumentException("patch_size and pooling_kernel_size must be positive, got "
                    + patchSize + " and " + poolingKernelSize);
        }
        this.patchSize = patchSize;
        this.poolingKernelSize = poolingKernelSize;
        this.maxSoftTokens = maxSoftTokens;
        this.rescaleFactor = rescaleFactor;
        this.fusedNormalize = fusedNormalize;
    }

    int maxPatches() {
        return maxSoftTokens * poolingKernelSize * poolingKernelSize;
    }

    /** {@code get_aspect_ratio_preserving_size}: {@code {height, width}}, the same double arithmetic as Python. */
    static int[] targetSize(int height, int width, int patchSize, int maxPatches, int poolingKernelSize) {
        double targetPixels = (double) maxPatches * patchSize * patchSize;
        double factor = Math.sqrt(targetPixels / ((double) height * width));
        int side = poolingKernelSize * patchSize;
        int targetHeight = (int) Math.floor(factor * height / side) * side;
        int targetWidth = (int) Math.floor(factor * width / side) * side;
        if (targetHeight == 0 && targetWidth == 0) {
            throw new IllegalArgumentException("a " + width + "x" + height + " image would be resized to 0x0; both "
                    + "sides must reach " + side + " pixels within the patch budget");
        }
        int maxSide = (maxPatches / (poolingKernelSize * poolingKernelSize)) * side;
        if (targetHeight == 0) {
            targetHeight = side;
            targetWidth = Math.min((int) Math.floor((double) width / height) * side, maxSide);
        } else if (targetWidth == 0) {
            targetWidth = side;
            targetHeight = Math.min((int) Math.floor((double) height / width) * side, maxSide);
        }
        if ((long) targetHeight * targetWidth > targetPixels) {
            throw new IllegalArgumentException("resizing " + width + "x" + height + " to " + targetWidth + "x"
                    + targetHeight + " exceeds " + maxPatches + " patches of " + patchSize + " pixels");
        }
        return new int[] {targetHeight, targetWidth};
    }

    /** The image's patches, positions and soft-token count; the tensors are on the CPU and owned by the caller. */
    ImagePatches process(RgbImage image) {
        int[] size = targetSize(image.height(), image.width(), patchSize, maxPatches(), poolingKernelSize);
        int height = size[0];
        int width = size[1];
        int rows = height / patchSize;
        int columns = width / patchSize;
        int real = rows * columns;
        int max = maxPatches();
        try (ForwardScope scope = new ForwardScope()) {
            Tensor pixels = image.toChannelsFirst().unsqueeze(0);
            if (height != image.height() || width != image.width()) {
                pixels = resize(pixels, height, width);
            }
            // uint8 × a double scalar: float32, as torchvision's rescale gives it; the video processor's fused
            // normalize divides float32 pixels by the float32 std 1 · (1 / rescale_factor) instead.
            Tensor scaled = fusedNormalize
                    ? pixels.squeeze(0).to(ScalarType.Float).div(new Scalar((float) (1.0 / rescaleFactor)))
                    : pixels.squeeze(0).mul(new Scalar(rescaleFactor));
            Tensor patches = scaled.reshape(3, rows, patchSize, columns, patchSize).permute(1, 3, 2, 4, 0)
                    .reshape(real, 3L * patchSize * patchSize);
            Tensor values = torch.zeros(new long[] {max, 3L * patchSize * patchSize},
                    new TensorOptions(ScalarType.Float));
            values.narrow(0, 0, real).copy_(patches);
            long[] positions = new long[2 * max];
            java.util.Arrays.fill(positions, -1);
            for (int i = 0; i < real; i++) {
                positions[2 * i] = i % columns;
                positions[2 * i + 1] = i / columns;
            }
            Tensor positionIds = torch.tensor(positions).reshape(max, 2);
            return new ImagePatches(scope.keep(values), scope.keep(positionIds), real,
                    real / (poolingKernelSize * poolingKernelSize), height, width);
        }
    }

    /** torchvision's uint8 path on the CPU: {@code interpolate(bicubic, antialias=True, align_corners=False)}. */
    private static Tensor resize(Tensor pixels, int height, int width) {
        InterpolateFuncOptions options = new InterpolateFuncOptions();
        options.size().put(new LongVector(height, width));
        options.mode().put(new kBicubic());
        options.align_corners().put(false);
        options.antialias().put(true);
        return torch.interpolate(pixels, options);
    }
}
