package ai.tessera.media;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Random;

import javax.imageio.ImageIO;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/** Decoding to RGB as Pillow's {@code convert("RGB")} gives it: colour, grey, palette and transparency. */
class ImageDecodingTest {
    private static byte[] encode(BufferedImage image, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(image, format, out));
        return out.toByteArray();
    }

    @Test
    void rgbPngKeepsEveryPixelInRgbOrder() throws IOException {
        BufferedImage image = new BufferedImage(7, 5, BufferedImage.TYPE_3BYTE_BGR);
        Random random = new Random(3);
        byte[] expected = new byte[7 * 5 * 3];
        for (int y = 0; y < 5; y++) {
            for (int x = 0; x < 7; x++) {
                int rgb = random.nextInt(1 << 24);
                image.setRGB(x, y, rgb);
                int o = (y * 7 + x) * 3;
                expected[o] = (byte) (rgb >> 16);
                expected[o + 1] = (byte) (rgb >> 8);
                expected[o + 2] = (byte) rgb;
            }
        }
        RgbImage decoded = ImageDecoding.decode(encode(image, "png"), "test", 1000);
        assertEquals(7, decoded.width());
        assertEquals(5, decoded.height());
        assertArrayEquals(expected, decoded.rgb());
        try (Tensor chw = decoded.toChannelsFirst()) {
            assertArrayEquals(new long[] {3, 5, 7}, chw.shape());
            assertEquals(expected[3 * 3 + 1] & 0xff, chw.get(1).get(0).get(3).item_int());
        }
    }

    @Test
    void greyIsReplicatedWithoutAColourSpaceConversion() throws IOException {
        BufferedImage grey = new BufferedImage(4, 1, BufferedImage.TYPE_BYTE_GRAY);
        grey.getRaster().setPixels(0, 0, 4, 1, new int[] {0, 64, 128, 255});
        RgbImage decoded = ImageDecoding.decode(encode(grey, "png"), "grey", 100);
        assertArrayEquals(new byte[] {0, 0, 0, 64, 64, 64, (byte) 128, (byte) 128, (byte) 128, -1, -1, -1},
                decoded.rgb());
    }

    @Test
    void paletteColoursAreLookedUpAndTransparencyIsCompositedOverWhite() throws IOException {
        byte[] r = {(byte) 250, 10, 0};
        byte[] g = {20, (byte) 200, 0};
        byte[] b = {30, 40, 0};
        BufferedImage indexed = new BufferedImage(3, 1, BufferedImage.TYPE_BYTE_INDEXED,
                new IndexColorModel(8, 3, r, g, b, 2));
        indexed.getRaster().setPixels(0, 0, 3, 1, new int[] {0, 1, 2});
        RgbImage decoded = ImageDecoding.decode(encode(indexed, "png"), "palette", 100);
        assertArrayEquals(new byte[] {(byte) 250, 20, 30, 10, (byte) 200, 40, -1, -1, -1}, decoded.rgb());

        BufferedImage argb = new BufferedImage(1, 1, BufferedImage.TYPE_INT_ARGB);
        argb.setRGB(0, 0, (128 << 24) | (200 << 16));
        RgbImage half = ImageDecoding.decode(encode(argb, "png"), "alpha", 100);
        // (200 * 128 + 255 * 127) / 255 = 227.4 and 255 * 127 / 255 = 127, as Pillow pastes over white
        assertArrayEquals(new byte[] {(byte) 227, 127, 127}, half.rgb());
    }

    @Test
    void tooManyPixelsOrNoImageIsAnErrorNamingTheSource() throws IOException {
        byte[] png = encode(new BufferedImage(50, 40, BufferedImage.TYPE_INT_RGB), "png");
        IllegalArgumentException big = assertThrows(IllegalArgumentException.class,
                () -> ImageDecoding.decode(png, "big.png", 1999));
        assertTrue(big.getMessage().contains("big.png") && big.getMessage().contains("50x40 = 2000 pixels")
                && big.getMessage().contains("1999"), big.getMessage());
        IllegalArgumentException junk = assertThrows(IllegalArgumentException.class,
                () -> ImageDecoding.decode(new byte[] {1, 2, 3, 4, 5}, "junk", 100));
        assertTrue(junk.getMessage().contains("junk") && junk.getMessage().contains("01020304"), junk.getMessage());
    }
}
