package ai.tessera.gemma4;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import ai.tessera.media.ImageDecoding;
import ai.tessera.media.RgbImage;
import ai.tessera.testing.Parity;
import com.fasterxml.jackson.databind.JsonNode;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.Test;

/**
 * {@link Gemma4ImageProcessor} against transformers 5.17's {@code Gemma4ImageProcessor} (torchvision backend) on
 * three PNGs written by {@code tools/reference/gemma4_vision_reference.py}: two upscaled (56x40, 100x60) and one
 * downscaled (720x400), at max_soft_tokens 70, 140 and 280. The real patches must be the same float32 bytes (their
 * SHA-256), the padding zero with position (-1, -1).
 */
class Gemma4ImageProcessorParityTest {
    static final String FOLDER = "/fixtures/gemma4/";

    static RgbImage image(String name) {
        try (InputStream in = Gemma4ImageProcessorParityTest.class.getResourceAsStream(FOLDER + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + FOLDER + name);
            }
            return ImageDecoding.decode(in.readAllBytes(), name, 1L << 30);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + name, e);
        }
    }

    @Test
    void patchesAreTheBytesTransformersMakes() throws NoSuchAlgorithmException {
        Gemma4Fixture fixture = Gemma4Fixture.load(Gemma4Fixture.VISION);
        JsonNode cases = fixture.root.get("processor");
        assertEquals(5, cases.size());
        for (JsonNode c : cases) {
            String where = c.get("image").asText() + " at max_soft_tokens " + c.get("max_soft_tokens").asInt();
            try (PointerScope scope = new PointerScope()) {
                Gemma4ImageProcessor processor = new Gemma4ImageProcessor(16, 3, c.get("max_soft_tokens").asInt(),
                        1 / 255.0);
                ImagePatches patches = processor.process(image(c.get("image").asText()));
                assertEquals(c.get("resized_height").asInt(), patches.height(), where + ": height");
                assertEquals(c.get("resized_width").asInt(), patches.width(), where + ": width");
                assertEquals(c.get("num_soft_tokens").asInt(), patches.softTokens(), where + ": soft tokens");
                int real = c.get("real_patches").asInt();
                assertEquals(real, patches.realPatches(), where + ": real patches");
                assertArrayEquals(new long[] {c.get("padded_patches").asInt(), c.get("patch_values").asInt()},
                        new long[] {patches.pixelValues().size(0), patches.pixelValues().size(1)}, where + ": pixel_values shape");
                float[] values = Parity.values(patches.pixelValues());
                int width = c.get("patch_values").asInt();
                ByteBuffer bytes = ByteBuffer.allocate(real * width * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                bytes.asFloatBuffer().put(values, 0, real * width);
                String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes.array()));
                float[] sums = fixture.matrix(c.get("patch_sums"))[0];
                double maxSumDelta = 0;
                for (int p = 0; p < real; p++) {
                    double sum = 0;
                    for (int j = 0; j < width; j++) {
                        sum += values[p * width + j];
                    }
                    maxSumDelta = Math.max(maxSumDelta, Math.abs(sum - sums[p]));
                }
                assertArrayEquals(fixture.matrix(c.get("first_patch"))[0],
                        java.util.Arrays.copyOfRange(values, 0, width), where + ": first patch");
                assertArrayEquals(fixture.matrix(c.get("last_patch"))[0],
                        java.util.Arrays.copyOfRange(values, (real - 1) * width, real * width), where + ": last patch");
                assertEquals(c.get("sha256").asText(), sha, where + ": SHA-256 of the real patches (max |Δ| of the "
                        + "per-patch sums " + maxSumDelta + ")");
                for (int j = real * width; j < values.length; j++) {
                    assertEquals(0f, values[j], where + ": padding value " + j);
                }
                long[] ids = new long[(int) patches.positions().numel()];
                patches.positions().contiguous().data_ptr_long().get(ids);
                int columns = patches.width() / 16;
                for (int p = 0; p < ids.length / 2; p++) {
                    long x = p < real ? p % columns : -1;
                    long y = p < real ? p / columns : -1;
                    assertEquals(x, ids[2 * p], where + ": x of patch " + p);
                    assertEquals(y, ids[2 * p + 1], where + ": y of patch " + p);
                }
            }
        }
    }

    @Test
    void targetSizeFollowsTransformersEdgeCases() {
        // 1000x10 at 70 tokens: the height rounds to 0 and becomes one 48-pixel row, the width
        // floor(1000/10)·48 capped at (630/9)·48.
        assertArrayEquals(new int[] {48, 3360}, Gemma4ImageProcessor.targetSize(10, 1000, 16, 630, 3));
        assertThrows(IllegalArgumentException.class, () -> new Gemma4ImageProcessor(16, 3, 100, 1 / 255.0));
        assertTrue(Gemma4ImageProcessor.SUPPORTED_SOFT_TOKENS.contains(280));
    }
}
