package ai.tessera.phi4mm.processor;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import ai.tessera.media.RgbImage;
import ai.tessera.nn.ForwardScope;
import org.bytedeco.pytorch.InterpolateFuncOptions;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.LongVector;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.kBicubic;
import org.bytedeco.pytorch.kBilinear;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * transformers' {@code Phi4MultimodalImageProcessor} (dynamic HD): the image is resized (bilinear, antialiased, on
 * uint8) to fit a grid of {@code crop x crop} tiles, padded white to the grid, normalised to [-1, 1]; the result is
 * cut into the tiles and preceded by the whole padded image resized (bicubic) to one tile. The grid is
 * {@code ceil(w/crop) x ceil(h/crop)}, or when that exceeds {@code dynamic_hd} tiles the allowed grid closest in
 * aspect ratio. Each tile has a patch mask (padding patches 0); the image's token count is
 * {@code 256 + 1 + mask tokens + mask rows + 16} for the 16x16 pooled grid. The same torch operations as the
 * torchvision backend, so the output is bit-identical.
 */
final class DynamicHdImageProcessor {
    private final int cropSize;
    private final int patchSize;
    private final int dynamicHd;

    DynamicHdImageProcessor(int cropSize, int patchSize, int dynamicHd) {
        if (cropSize % patchSize != 0 || dynamicHd < 1) {
            throw new IllegalArgumentException("the image processor needs a crop size that is a multiple of the patch "
                    + "size and dynamic_hd >= 1, got crop " + cropSize + ", patch " + patchSize + ", dynamic_hd "
                    + dynamicHd);
        }
        this.cropSize = cropSize;
        this.patchSize = patchSize;
        this.dynamicHd = dynamicHd;
    }

    /**
     * One processed image.
     *
     * @param pixelValues   float32 {@code [1 + crops, 3, crop, crop]}
     * @param attentionMask float32 {@code [1 + crops, side, side]}
     * @param height        height of the resized, padded image
     * @param width         its width
     * @param tokens        the placeholder tokens the image takes
     */
    record Processed(Tensor pixelValues, Tensor attentionMask, int height, int width, int tokens) {
    }

    Processed process(RgbImage image) {
        try (ForwardScope scope = new ForwardScope()) {
            int origWidth = image.width();
            int origHeight = image.height();
            int[] grid = targetGrid(origWidth, origHeight);
            int targetWidth = cropSize * grid[0];
            int targetHeight = cropSize * grid[1];
            double ratioWidth = (double) targetWidth / origWidth;
            double ratioHeight = (double) targetHeight / origHeight;
            int newWidth;
            int newHeight;
            int padWidth;
            int padHeight;
            if (ratioWidth < ratioHeight) {
                newWidth = targetWidth;
                newHeight = (int) (origHeight * ratioWidth);
                padWidth = 0;
                padHeight = targetHeight - newHeight;
            } else {
                newWidth = (int) (origWidth * ratioHeight);
                newHeight = targetHeight;
                padWidth = targetWidth - newWidth;
                padHeight = 0;
            }
            int maskSize = cropSize / patchSize;
            Tensor mask = torch.ones(new long[] {(long) maskSize * grid[1], (long) maskSize * grid[0]},
                    new TensorOptions(ScalarType.Float));
            if (padWidth >= patchSize) {
                long cols = padWidth / patchSize;
                mask.narrow(1, mask.size(1) - cols, cols).fill_(new Scalar(0.0));
            }
            if (padHeight >= patchSize) {
                long rows = padHeight / patchSize;
                mask.narrow(0, mask.size(0) - rows, rows).fill_(new Scalar(0.0));
            }
            if (Math.min(newHeight, targetHeight) < 10 || Math.min(newWidth, targetWidth) < 10) {
                throw new IllegalArgumentException("the aspect ratio of " + image.source() + " (" + origWidth + "x"
                        + origHeight + ") is too extreme: it would be resized to " + newWidth + "x" + newHeight);
            }
            Tensor pixels = image.toChannelsFirst().unsqueeze(0);
            Tensor resized = resizeBilinearAntialiased(pixels, newHeight, newWidth);
            Tensor padded = torch.constant_pad_nd(resized, new long[] {0, padWidth, 0, padHeight}, new Scalar(255));
            // rescale and normalise fused as transformers does: (x - 0.5*255) / (0.5*255) in float32
            Tensor normalized = padded.to(ScalarType.Float).sub(new Scalar(127.5f)).div_(new Scalar(127.5f));
            Tensor global = resizeBicubic(normalized, cropSize, cropSize);
            int h = targetHeight / cropSize;
            int w = targetWidth / cropSize;
            Tensor crops = normalized.reshape(1, 3, h, cropSize, w, cropSize).permute(0, 2, 4, 1, 3, 5)
                    .reshape(-1, 3, cropSize, cropSize);
            Tensor cropMasks = mask.reshape(h, maskSize, w, maskSize).transpose(1, 2)
                    .reshape(-1, maskSize, maskSize);
            Tensor pixelValues = torch.cat(new TensorVector(global, crops), 0).contiguous();
            Tensor masks = torch.cat(new TensorVector(torch.ones(new long[] {1, maskSize, maskSize},
                    new TensorOptions(ScalarType.Float)), cropMasks), 0).contiguous();
            int tokens = tokenCount(cropMasks, h, w, maskSize);
            return new Processed(scope.keep(pixelValues), scope.keep(masks), targetHeight, targetWidth, tokens);
        }
    }

    /** {@code 256 + 1 + mask.sum() + mask[:, 0].sum() + 16} over the stride-2 subsampled sub-crop mask. */
    private static int tokenCount(Tensor cropMasks, int h, int w, int maskSize) {
        int half = maskSize / 2 + maskSize % 2;
        Tensor down = cropMasks.slice(1, new LongOptional(0), new LongOptional(Long.MAX_VALUE), 2)
                .slice(2, new LongOptional(0), new LongOptional(Long.MAX_VALUE), 2)
                .reshape(h, w, half, half).transpose(1, 2).reshape((long) h * half, (long) w * half);
        int pooled = maskSize / 2;
        return pooled * pooled + 1 + (int) down.sum().item_double() + (int) down.select(1, 0).sum().item_double()
                + pooled;
    }

    /** The crop grid {@code [columns, rows]}. */
    int[] targetGrid(int width, int height) {
        int wCrops = (int) Math.ceil(width / (double) cropSize);
        int hCrops = (int) Math.ceil(height / (double) cropSize);
        if ((long) wCrops * hCrops <= dynamicHd) {
            return new int[] {wCrops, hCrops};
        }
        double aspect = (double) width / height;
        // every (i, j) with i * j <= dynamic_hd, by increasing i * j (Python sorts its set of them by that key;
        // only an exact tie of aspect-ratio distance within one product could depend on the set's order)
        List<int[]> ratios = new ArrayList<>();
        for (int i = 1; i <= dynamicHd; i++) {
            for (int j = 1; i * j <= dynamicHd; j++) {
                ratios.add(new int[] {i, j});
            }
        }
        ratios.sort(Comparator.comparingInt(r -> r[0] * r[1]));
        double bestDiff = Double.POSITIVE_INFINITY;
        int[] best = {1, 1};
        double area = (double) width * height;
        for (int[] ratio : ratios) {
            double diff = Math.abs(aspect - (double) ratio[0] / ratio[1]);
            if (diff < bestDiff) {
                bestDiff = diff;
                best = ratio;
            } else if (diff == bestDiff && area > 0.5 * cropSize * cropSize * ratio[0] * ratio[1]) {
                best = ratio;
            }
        }
        return best;
    }

    /** torchvision's {@code resize} of a uint8 image on the CPU: bilinear, antialiased, uint8 in and out. */
    private static Tensor resizeBilinearAntialiased(Tensor pixels, int height, int width) {
        InterpolateFuncOptions options = new InterpolateFuncOptions();
        options.size().put(new LongVector(height, width));
        options.mode().put(new kBilinear());
        options.align_corners().put(false);
        options.antialias().put(true);
        return torch.interpolate(pixels, options);
    }

    /** The global image: bicubic without antialiasing, on float32. */
    private static Tensor resizeBicubic(Tensor pixels, int height, int width) {
        InterpolateFuncOptions options = new InterpolateFuncOptions();
        options.size().put(new LongVector(height, width));
        options.mode().put(new kBicubic());
        options.align_corners().put(false);
        options.antialias().put(false);
        return torch.interpolate(pixels, options);
    }
}
