package ai.tessera.media;

import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes PNG, JPEG, GIF (first frame), BMP and WebP (TwelveMonkeys, on the framework class path) to RGB the way
 * Pillow does before a Hugging Face processor sees the image: grey replicated into the three channels, palettes
 * looked up, transparency composited over white (as vLLM's media loader does).
 */
public final class ImageDecoding {
    private ImageDecoding() {
    }

    /**
     * @param maxPixels the most pixels (width × height) accepted, checked from the header before decoding
     * @throws IllegalArgumentException naming the source when the bytes are not a readable image or too large
     */
    public static RgbImage decode(byte[] data, String source, long maxPixels) {
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(data))) {
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
                throw new IllegalArgumentException("cannot decode the image from " + source + ": not a PNG, JPEG, GIF,"
                        + " BMP or WebP image (" + data.length + " bytes starting " + magic(data) + ")");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
                if (pixels > maxPixels) {
                    throw new IllegalArgumentException("the image from " + source + " is " + reader.getWidth(0) + "x"
                            + reader.getHeight(0) + " = " + pixels + " pixels; at most " + maxPixels + " are accepted");
                }
                return toRgb(reader.read(0), source);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof IllegalArgumentException && e.getMessage() != null && e.getMessage().contains(source)) {
                throw (IllegalArgumentException) e;
            }
            throw new IllegalArgumentException("cannot decode the image from " + source + ": " + e.getMessage(), e);
        }
    }

    static RgbImage toRgb(BufferedImage image, String source) {
        int w = image.getWidth();
        int h = image.getHeight();
        byte[] rgb = new byte[w * h * 3];
        ColorModel cm = image.getColorModel();
        Raster raster = image.getRaster();
        int bands = raster.getNumBands();
        boolean eightBit = raster.getSampleModel().getSampleSize(0) == 8;
        if (image.getType() == BufferedImage.TYPE_3BYTE_BGR
                && raster.getDataBuffer() instanceof java.awt.image.DataBufferByte bytes
                && raster.getSampleModel() instanceof java.awt.image.PixelInterleavedSampleModel
                && raster.getSampleModelTranslateX() == 0 && raster.getSampleModelTranslateY() == 0) {
            // The common case (PNG/JPEG RGB): the pixels as stored, blue first, without a call per pixel.
            byte[] bgr = bytes.getData();
            for (int i = 0; i < w * h * 3; i += 3) {
                rgb[i] = bgr[i + 2];
                rgb[i + 1] = bgr[i + 1];
                rgb[i + 2] = bgr[i];
            }
        } else if (!(cm instanceof IndexColorModel) && eightBit && (bands == 1 || bands == 2)) {
            // Grey: raw samples, since getRGB would push them through a linear-grey colour space.
            int[] px = new int[bands];
            for (int y = 0, o = 0; y < h; y++) {
                for (int x = 0; x < w; x++, o += 3) {
                    raster.getPixel(x, y, px);
                    int v = bands == 2 ? overWhite(px[0], px[1]) : px[0];
                    rgb[o] = rgb[o + 1] = rgb[o + 2] = (byte) v;
                }
            }
        } else {
            for (int y = 0, o = 0; y < h; y++) {
                for (int x = 0; x < w; x++, o += 3) {
                    int argb = image.getRGB(x, y);
                    int a = argb >>> 24;
                    rgb[o] = (byte) overWhite((argb >> 16) & 0xff, a);
                    rgb[o + 1] = (byte) overWhite((argb >> 8) & 0xff, a);
                    rgb[o + 2] = (byte) overWhite(argb & 0xff, a);
                }
            }
        }
        return new RgbImage(w, h, rgb, source);
    }

    /** Pillow's paste of a pixel over white with its alpha as mask, in its own integer arithmetic (÷255 rounded). */
    static int overWhite(int value, int alpha) {
        int tmp = value * alpha + 255 * (255 - alpha) + 128;
        return ((tmp >> 8) + tmp) >> 8;
    }

    private static String magic(byte[] data) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < Math.min(4, data.length); i++) {
            s.append(String.format("%02x", data[i]));
        }
        return s.toString();
    }
}
