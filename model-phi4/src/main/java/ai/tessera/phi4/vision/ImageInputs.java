package ai.tessera.phi4.vision;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import ai.tessera.api.MultimodalItem;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Checks the processed image inputs of {@code Phi4ForCausalLMV} and packs them: vLLM's
 * {@code Phi4SiglipImagePixelInputs} schema ({@code pixel_values [bn, d, fd]}, {@code pixel_attention_mask [bn, d]},
 * {@code spatial_shapes [bn, 2]}) plus what the shapes imply — {@code fd} is the tower's patch size, each mask row
 * is {@code h·w} ones then zeros, and the item holds as many placeholder tokens as its images have patches. The
 * check runs on the CPU tensors before anything reaches the device, and {@code spatial_shapes} never leaves the CPU.
 */
public final class ImageInputs {
    public static final String PIXEL_VALUES = "pixel_values";
    public static final String PIXEL_ATTENTION_MASK = "pixel_attention_mask";
    public static final String SPATIAL_SHAPES = "spatial_shapes";

    static final TensorSchema SCHEMA = TensorSchema.of("Phi4ForCausalLMV image input")
            .field(PIXEL_VALUES, TensorSchema.dtypes(ScalarType.Float, ScalarType.BFloat16, ScalarType.Half),
                    "bn", "d", "fd")
            .field(PIXEL_ATTENTION_MASK, TensorSchema.dtypes(ScalarType.Int, ScalarType.Long, ScalarType.Bool),
                    "bn", "d")
            .field(SPATIAL_SHAPES, TensorSchema.dtypes(ScalarType.Long, ScalarType.Int), "bn", 2)
            .build();

    private ImageInputs() {
    }

    /**
     * vLLM's {@code _packed_from_padded}: every image's patches, padding dropped, one after another, on the CPU.
     *
     * @throws IllegalArgumentException naming the item, the field and expected vs actual values
     */
    public static PackedImages pack(List<MultimodalItem> items, Siglip2VisionConfig config) {
        List<Tensor> rows = new ArrayList<>();
        List<int[]> shapes = new ArrayList<>();
        int[] imagesPerItem = new int[items.size()];
        for (int i = 0; i < items.size(); i++) {
            MultimodalItem item = items.get(i);
            String where = "image item " + i + " (tokens " + item.offset() + ".." + (item.offset() + item.length())
                    + ")";
            if (!"image".equals(item.modality())) {
                throw new IllegalArgumentException(where + ": Phi4ForCausalLMV takes images only, got "
                        + item.modality());
            }
            Map<String, Long> dims;
            try {
                dims = SCHEMA.check(item.inputs(), Map.of("fd", (long) config.patchFeatures()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
            }
            Tensor pixels = item.input(PIXEL_VALUES);
            Tensor shapesTensor = item.input(SPATIAL_SHAPES);
            Tensor mask = item.input(PIXEL_ATTENTION_MASK);
            if (!shapesTensor.is_cpu() || !mask.is_cpu() || !pixels.is_cpu()) {
                throw new IllegalArgumentException(where + ": image inputs must be on the CPU (spatial_shapes drives "
                        + "shapes and is read without a device sync)");
            }
            int bn = Math.toIntExact(dims.get("bn"));
            int padded = Math.toIntExact(dims.get("d"));
            long[] hw = longs(shapesTensor);
            long[] maskValues = longs(mask);
            int tokens = 0;
            for (int b = 0; b < bn; b++) {
                long h = hw[2 * b];
                long w = hw[2 * b + 1];
                if (h <= 0 || w <= 0 || h * w > padded) {
                    throw new IllegalArgumentException(where + ": spatial_shapes[" + b + "] = [" + h + ", " + w
                            + "] must be positive with h*w at most d=" + padded + " (the padded patch count)");
                }
                int count = (int) (h * w);
                int ones = 0;
                while (ones < padded && maskValues[b * padded + ones] == 1) {
                    ones++;
                }
                boolean restZero = Arrays.stream(maskValues, b * padded + ones, (b + 1) * padded).allMatch(v -> v == 0);
                if (ones != count || !restZero) {
                    throw new IllegalArgumentException(where + ": pixel_attention_mask[" + b + "] must be " + count
                            + " ones (spatial_shapes " + h + "x" + w + ") then zeros, got " + ones
                            + " leading ones" + (restZero ? "" : " and ones after the first zero"));
                }
                rows.add(pixels.select(0, b).narrow(0, 0, count));
                shapes.add(new int[] {(int) h, (int) w});
                tokens += count;
            }
            if (tokens != item.length()) {
                throw new IllegalArgumentException(where + ": the item holds " + item.length() + " placeholder "
                        + "tokens but its spatial_shapes give " + tokens + " patches");
            }
            imagesPerItem[i] = bn;
        }
        Tensor packed = torch.cat(new TensorVector(rows.toArray(new Tensor[0])), 0);
        return new PackedImages(packed, shapes, imagesPerItem);
    }

    private static long[] longs(Tensor t) {
        Tensor flat = t.contiguous().view(-1).to(ScalarType.Long);
        long[] out = new long[(int) flat.numel()];
        flat.data_ptr_long().get(out);
        return out;
    }
}
