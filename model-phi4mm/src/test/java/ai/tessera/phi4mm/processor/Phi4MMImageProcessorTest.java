package ai.tessera.phi4mm.processor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import ai.tessera.media.ImageDecoding;
import ai.tessera.phi4mm.Phi4MMFixture;
import ai.tessera.testing.FixtureJson;
import ai.tessera.testing.Parity;
import com.fasterxml.jackson.databind.JsonNode;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The dynamic-HD image processor against transformers' Phi4MultimodalImageProcessor (torchvision backend, CPU):
 * pixel values bit for bit (SHA-256 of the float32 bytes; on a mismatch the sampled values say by how much), the
 * crop masks, image sizes and token counts, for images of 1, 2, 3 and 4 crops, for an image whose grid exceeds
 * {@code dynamic_hd} (closest aspect ratio), and for a batch of images with different crop counts padded to the
 * most crops as transformers stacks them.
 */
class Phi4MMImageProcessorTest {
    private static final Phi4MMFixture FIXTURE = Phi4MMFixture.processor();

    @ParameterizedTest
    @ValueSource(strings = {"small_80x60", "wide_500x120", "tall_60x900", "big_700x460", "big_700x460_hd2"})
    void processorGivesTransformersTensorsBitForBit(String name) {
        JsonNode expected = FIXTURE.root.get("images").get(name);
        try (PointerScope scope = new PointerScope()) {
            DynamicHdImageProcessor.Processed image = process(expected.get("file").asText(),
                    expected.get("dynamic_hd").asInt());
            assertDigest(name, expected.get("pixel_values"), image.pixelValues().unsqueeze(0));
            assertEquals(expected.get("attention_mask").asText(), maskString(image.attentionMask()), name + " masks");
            assertArrayEquals(FixtureJson.longs(expected.get("attention_mask_shape")),
                    image.attentionMask().unsqueeze(0).shape(), name + " mask shape");
            assertArrayEquals(FixtureJson.ints(expected.get("image_sizes").get(0)),
                    new int[] {image.height(), image.width()}, name + " image_sizes");
            assertEquals(expected.get("num_img_tokens").get(0).asInt(), image.tokens(), name + " num_img_tokens");
        }
    }

    /** Images of 2, 4 and 3 crops (with the global image) stacked as transformers does: zero crops, mask ones. */
    @Test
    void imagesOfDifferentCropCountsStackPaddedToTheMostCrops() {
        JsonNode expected = FIXTURE.root.get("image_batch");
        try (PointerScope scope = new PointerScope()) {
            List<DynamicHdImageProcessor.Processed> images = new ArrayList<>();
            for (JsonNode file : expected.get("files")) {
                images.add(process(file.asText(), 36));
            }
            long most = images.stream().mapToLong(i -> i.pixelValues().size(0)).max().orElseThrow();
            List<Tensor> pixels = new ArrayList<>();
            List<Tensor> masks = new ArrayList<>();
            for (DynamicHdImageProcessor.Processed image : images) {
                long pad = most - image.pixelValues().size(0);
                pixels.add(torch.cat(new TensorVector(image.pixelValues(),
                        torch.zeros(new long[] {pad, 3, 448, 448}, new TensorOptions(ScalarType.Float))), 0));
                masks.add(torch.cat(new TensorVector(image.attentionMask(),
                        torch.ones(new long[] {pad, 32, 32}, new TensorOptions(ScalarType.Float))), 0));
            }
            assertDigest("batch", expected.get("pixel_values"), torch.stack(new TensorVector(pixels.toArray(new Tensor[0]))));
            assertEquals(expected.get("attention_mask").asText(),
                    maskString(torch.stack(new TensorVector(masks.toArray(new Tensor[0])))), "batch masks");
            for (int i = 0; i < images.size(); i++) {
                assertEquals(expected.get("num_img_tokens").get(i).asInt(), images.get(i).tokens(), "tokens " + i);
            }
        }
    }

    @Test
    void closestAspectRatioWhenTheGridExceedsDynamicHd() {
        DynamicHdImageProcessor hd2 = new DynamicHdImageProcessor(448, 14, 2);
        assertArrayEquals(new int[] {2, 1}, hd2.targetGrid(700, 460));
        assertArrayEquals(new int[] {1, 2}, hd2.targetGrid(460, 700));
        DynamicHdImageProcessor hd36 = new DynamicHdImageProcessor(448, 14, 36);
        assertArrayEquals(new int[] {2, 2}, hd36.targetGrid(700, 460));
        // 20 x 3 tiles exceed 36; aspect 9.96: 9x1 (9.0) and 18x2 are equally close, the larger wins only if
        // the image's area exceeds half the larger grid's; 10x1 (10.0) is closer still
        assertArrayEquals(new int[] {10, 1}, hd36.targetGrid(8960, 900));
    }

    private static DynamicHdImageProcessor.Processed process(String file, int dynamicHd) {
        return new DynamicHdImageProcessor(448, 14, dynamicHd).process(
                ImageDecoding.decode(Phi4MMFixture.bytes(file), file, Long.MAX_VALUE));
    }

    static void assertDigest(String where, JsonNode expected, Tensor actual) {
        assertArrayEquals(FixtureJson.longs(expected.get("shape")), actual.shape(), where + " shape");
        float[] values = Parity.values(actual);
        String sha = sha256(values);
        if (!sha.equals(expected.get("sha256").asText())) {
            long[] idx = FixtureJson.longs(expected.get("sample_indices"));
            float[] samples = FIXTURE.floats(expected.get("samples"));
            double max = 0;
            for (int i = 0; i < idx.length; i++) {
                max = Math.max(max, Math.abs(values[(int) idx[i]] - samples[i]));
            }
            double sum = 0;
            for (float v : values) {
                sum += v;
            }
            throw new AssertionError(where + ": pixel values differ from transformers' (SHA-256 " + sha + " vs "
                    + expected.get("sha256").asText() + "); max |Δ| over " + idx.length + " samples " + max
                    + ", sum " + sum + " vs " + expected.get("sum").asDouble());
        }
    }

    static String sha256(float[] values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes.array()));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String maskString(Tensor mask) {
        float[] v = Parity.values(mask);
        StringBuilder s = new StringBuilder(v.length);
        for (float f : v) {
            s.append(f != 0 ? '1' : '0');
        }
        return s.toString();
    }
}
