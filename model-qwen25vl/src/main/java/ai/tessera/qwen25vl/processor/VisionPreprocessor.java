package ai.tessera.qwen25vl.processor;

import ai.tessera.nn.ForwardScope;
import org.bytedeco.pytorch.InterpolateFuncOptions;
import org.bytedeco.pytorch.LongVector;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.bytedeco.pytorch.kBicubic;

/**
 * What transformers 5's (torchvision) {@code Qwen2VLImageProcessor} and {@code Qwen2VLVideoProcessor} do to the
 * frames of one image or video, with the same libtorch operations so that the result is bit-exact: resize to the
 * {@link SmartResize} size (uint8 bicubic with antialiasing, as torchvision's {@code resize} runs on the CPU),
 * rescale and normalise fused into one subtract and divide in float32, pad the frames to a multiple of the
 * temporal patch size with copies of the last frame, and flatten into patches ordered as the vision tower merges
 * them.
 */
final class VisionPreprocessor {
    private VisionPreprocessor() {
    }

    /**
     * @param frames uint8 {@code [T, 3, H, W]}: one frame for an image, the sampled frames of a video
     * @return float32 {@code [grid_t * grid_h * grid_w, 3 * temporal_patch * patch * patch]} and the grid
     */
    static VisionPatches preprocess(Tensor frames, VisionSettings s, String source) {
        int height = (int) frames.size(2);
        int width = (int) frames.size(3);
        int factor = s.patchSize() * s.mergeSize();
        int[] size = s.doResize() ? SmartResize.of(height, width, factor, s.minPixels(), s.maxPixels(), source)
                : new int[] {height, width};
        if (size[0] % factor != 0 || size[1] % factor != 0) {
            throw new IllegalArgumentException("the image from " + source + " is " + width + "x" + height
                    + " and is not resized (do_resize is false); both sides must be multiples of " + factor);
        }
        try (ForwardScope scope = new ForwardScope()) {
            Tensor x = size[0] == height && size[1] == width ? frames : resize(frames, size[0], size[1]);
            x = rescaleAndNormalize(x, s);
            int t = (int) x.size(0);
            int pad = (s.temporalPatchSize() - t % s.temporalPatchSize()) % s.temporalPatchSize();
            if (pad > 0) {
                Tensor last = x.narrow(0, t - 1, 1);
                x = torch.cat(new TensorVector(x, last.expand(pad, -1, -1, -1)), 0);
            }
            int ps = s.patchSize();
            int ms = s.mergeSize();
            int gridT = (t + pad) / s.temporalPatchSize();
            int gridH = size[0] / ps;
            int gridW = size[1] / ps;
            Tensor patches = x.reshape(gridT, s.temporalPatchSize(), 3, gridH / ms, ms, ps, gridW / ms, ms, ps)
                    .permute(0, 3, 6, 4, 7, 2, 1, 5, 8)
                    .reshape((long) gridT * gridH * gridW, s.patchValues())
                    .contiguous();
            return new VisionPatches(scope.keep(patches), gridT, gridH, gridW);
        }
    }

    /** torchvision's uint8 path on the CPU: {@code interpolate(bicubic, antialias=True, align_corners=False)}. */
    static Tensor resize(Tensor frames, int height, int width) {
        InterpolateFuncOptions options = new InterpolateFuncOptions();
        options.size().put(new LongVector(height, width));
        options.mode().put(new kBicubic());
        options.align_corners().put(false);
        options.antialias().put(true);
        return torch.interpolate(frames, options);
    }

    /**
     * transformers fuses rescale into normalise: {@code (x - mean/r) / (std/r)} with the constants built in float32
     * as {@code tensor(mean) * (1 / r)}, then torchvision's {@code normalize}: a subtract and an in-place divide.
     */
    static Tensor rescaleAndNormalize(Tensor frames, VisionSettings s) {
        Tensor x = frames.to(ScalarType.Float);
        if (s.doNormalize()) {
            Tensor mean = torch.tensor(s.imageMean(), new TensorOptions(ScalarType.Float));
            Tensor std = torch.tensor(s.imageStd(), new TensorOptions(ScalarType.Float));
            if (s.doRescale()) {
                Scalar inverse = new Scalar(1.0 / s.rescaleFactor());
                mean = mean.mul(inverse);
                std = std.mul(inverse);
            }
            return x.sub(mean.view(-1, 1, 1)).div_(std.view(-1, 1, 1));
        }
        return s.doRescale() ? frames.mul(new Scalar(s.rescaleFactor())) : x;
    }
}
