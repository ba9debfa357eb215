package ai.tessera.media;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * A decoded image, 8-bit RGB, row-major {@code [height][width][3]}.
 *
 * @param source where it came from, for error messages
 */
public record RgbImage(int width, int height, byte[] rgb, String source) {
    public RgbImage {
        if (width <= 0 || height <= 0 || rgb.length != (long) width * height * 3) {
            throw new IllegalArgumentException("an RGB image of " + width + "x" + height + " needs "
                    + (long) width * height * 3 + " bytes, got " + rgb.length);
        }
    }

    /** The pixels as a uint8 tensor {@code [3, height, width]} (channels first, as torchvision reads images). */
    public Tensor toChannelsFirst() {
        try (BytePointer data = new BytePointer(rgb)) {
            Tensor hwc = torch.from_blob(data, new long[] {height, width, 3},
                    new org.bytedeco.pytorch.TensorOptions(torch.ScalarType.Byte));
            return hwc.permute(2, 0, 1).contiguous();
        }
    }
}
