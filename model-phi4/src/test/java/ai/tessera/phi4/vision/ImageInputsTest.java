package ai.tessera.phi4.vision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import ai.tessera.api.MultimodalItem;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Every way a processed image input can be inconsistent is refused with the field and expected vs actual values. */
class ImageInputsTest {
    /** Patch size 2: 12 values per patch. */
    private static final Siglip2VisionConfig CONFIG = new Siglip2VisionConfig(8, 16, 2, 2, 3, 2, 16, 1e-6,
            "gelu_pytorch_tanh");
    private final PointerScope scope = new PointerScope();

    @AfterEach
    void free() {
        scope.close();
    }

    /** An item of {@code h x w} patches padded to {@code d}, with patch {@code i} filled with {@code i + 1}. */
    private static Map<String, Tensor> inputs(int h, int w, int d) {
        int n = h * w;
        float[] pixels = new float[d * 12];
        int[] mask = new int[d];
        for (int i = 0; i < n; i++) {
            java.util.Arrays.fill(pixels, i * 12, (i + 1) * 12, i + 1);
            mask[i] = 1;
        }
        Map<String, Tensor> m = new HashMap<>();
        m.put(ImageInputs.PIXEL_VALUES, torch.tensor(pixels, new TensorOptions(ScalarType.Float)).reshape(1, d, 12));
        m.put(ImageInputs.PIXEL_ATTENTION_MASK, torch.tensor(mask, new TensorOptions(ScalarType.Int)).reshape(1, d));
        m.put(ImageInputs.SPATIAL_SHAPES, torch.tensor(new long[] {h, w}).reshape(1, 2));
        return m;
    }

    private static MultimodalItem item(int length, Map<String, Tensor> inputs) {
        return new MultimodalItem("image", 3, length, inputs, "hash");
    }

    private static String refused(int length, Map<String, Tensor> inputs) {
        return assertThrows(IllegalArgumentException.class,
                () -> ImageInputs.pack(List.of(item(length, inputs)), CONFIG)).getMessage();
    }

    @Test
    void packsImagesWithoutTheirPaddingAndSplitsResultsBackPerItem() {
        PackedImages packed = ImageInputs.pack(List.of(item(6, inputs(2, 3, 10)), item(4, inputs(2, 2, 5))), CONFIG);
        assertEquals(10, packed.pixels().size(0), "6 + 4 patches, no padding rows");
        assertEquals(List.of(0, 6, 10), java.util.Arrays.stream(packed.cuSeqlens()).boxed().toList());
        assertEquals(4f, packed.pixels().select(0, 9).select(0, 0).item_float(), "second image's last patch");
        List<Tensor> split = packed.splitByItem(packed.pixels());
        assertEquals(6, split.get(0).size(0));
        assertEquals(4, split.get(1).size(0));
    }

    @Test
    void featureSizeMustMatchThePatchSize() {
        Map<String, Tensor> in = inputs(2, 2, 4);
        in.put(ImageInputs.PIXEL_VALUES, torch.zeros(1, 4, 10));
        String message = refused(4, in);
        assertTrue(message.contains("'pixel_values' must have shape [bn=1, d=4, fd=12], got [1, 4, 10]")
                && message.contains("dimension 2 (fd, set by the model's configuration) should be 12"), message);
    }

    @Test
    void batchSizeMustAgreeAcrossFields() {
        Map<String, Tensor> in = inputs(2, 2, 4);
        in.put(ImageInputs.SPATIAL_SHAPES, torch.tensor(new long[] {2, 2, 2, 2}).reshape(2, 2));
        String message = refused(4, in);
        assertTrue(message.contains("'spatial_shapes' must have shape [bn=1, 2], got [2, 2]")
                && message.contains("set by 'pixel_values'"), message);
    }

    @Test
    void maskLengthMustMatchThePadding() {
        Map<String, Tensor> in = inputs(2, 2, 4);
        in.put(ImageInputs.PIXEL_ATTENTION_MASK, torch.ones(1, 5).to(ScalarType.Int));
        assertTrue(refused(4, in).contains("'pixel_attention_mask' must have shape [bn=1, d=4], got [1, 5]"));
    }

    @Test
    void wrongRankIsNamed() {
        Map<String, Tensor> in = inputs(2, 2, 4);
        in.put(ImageInputs.PIXEL_VALUES, torch.zeros(4, 12));
        assertTrue(refused(4, in).contains("'pixel_values' must have shape [bn, d, fd=12], got [4, 12]"));
    }

    @Test
    void dtypesAreChecked() {
        Map<String, Tensor> in = inputs(2, 2, 4);
        in.put(ImageInputs.SPATIAL_SHAPES, torch.tensor(new float[] {2, 2}, new TensorOptions(ScalarType.Float)).reshape(1, 2));
        String message = refused(4, in);
        assertTrue(message.contains("'spatial_shapes' must be one of [Int, Long], got Float"), message);
        Map<String, Tensor> ints = inputs(2, 2, 4);
        ints.put(ImageInputs.PIXEL_VALUES, torch.zeros(1, 4, 12).to(ScalarType.Long));
        assertTrue(refused(4, ints).contains("'pixel_values' must be one of [BFloat16, Float, Half], got Long"));
    }

    @Test
    void missingFieldIsNamed() {
        Map<String, Tensor> in = inputs(2, 2, 4);
        in.remove(ImageInputs.PIXEL_ATTENTION_MASK);
        assertTrue(refused(4, in).contains("missing 'pixel_attention_mask' [bn=1, d=4]"));
    }

    @Test
    void maskMustBeThePatchCountOfOnesThenZeros() {
        Map<String, Tensor> in = inputs(2, 2, 6);
        in.put(ImageInputs.PIXEL_ATTENTION_MASK, torch.tensor(new int[] {1, 1, 1, 0, 0, 0},
                new TensorOptions(ScalarType.Int)).reshape(1, 6));
        assertTrue(refused(4, in).contains("pixel_attention_mask[0] must be 4 ones (spatial_shapes 2x2) then zeros, "
                + "got 3 leading ones"));
        in.put(ImageInputs.PIXEL_ATTENTION_MASK, torch.tensor(new int[] {1, 1, 1, 1, 0, 1},
                new TensorOptions(ScalarType.Int)).reshape(1, 6));
        assertTrue(refused(4, in).contains("and ones after the first zero"));
    }

    @Test
    void spatialShapesMustFitThePadding() {
        Map<String, Tensor> in = inputs(2, 2, 4);
        in.put(ImageInputs.SPATIAL_SHAPES, torch.tensor(new long[] {3, 2}).reshape(1, 2));
        assertTrue(refused(6, in).contains("spatial_shapes[0] = [3, 2] must be positive with h*w at most d=4"));
        in.put(ImageInputs.SPATIAL_SHAPES, torch.tensor(new long[] {0, 2}).reshape(1, 2));
        assertTrue(refused(6, in).contains("spatial_shapes[0] = [0, 2]"));
    }

    @Test
    void placeholderCountMustMatchThePatches() {
        String message = refused(5, inputs(2, 2, 4));
        assertTrue(message.contains("image item 0 (tokens 3..8): the item holds 5 placeholder tokens but its "
                + "spatial_shapes give 4 patches"), message);
    }

    @Test
    void onlyImagesAreTaken() {
        MultimodalItem audio = new MultimodalItem("audio", 0, 4, inputs(2, 2, 4), "h");
        String message = assertThrows(IllegalArgumentException.class,
                () -> ImageInputs.pack(List.of(audio), CONFIG)).getMessage();
        assertTrue(message.contains("takes images only, got audio"), message);
    }
}
