package ai.tessera.phi4mm.vision;

/** The names of an image item's inputs, as transformers' Phi4MultimodalImageProcessor names them. */
public final class ImageInputs {
    /** float32 {@code [1 + crops, 3, crop, crop]}: the global image, then the sub-crops row by row. */
    public static final String PIXEL_VALUES = "image_pixel_values";
    /** float32 {@code [1 + crops, side, side]}: 1 for the unpadded patches of each crop. */
    public static final String ATTENTION_MASK = "image_attention_mask";
    /** int64 {@code [2]}: height and width of the resized, padded image (multiples of the crop size). */
    public static final String IMAGE_SIZES = "image_sizes";

    private ImageInputs() {
    }
}
