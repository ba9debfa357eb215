package ai.tessera.phi4.vision.processor;

import ai.tessera.media.RgbImage;

/**
 * One image to SigLIP2 NaFlex encoder inputs, as the checkpoint's {@code Siglip2ImageProcessorNoUpscale} (on
 * transformers' PIL-backend SigLIP2 processor) makes them: resize to the patch budget keeping the aspect ratio
 * (Pillow bilinear), rescale and normalise in numpy's float order, cut into patches row by row with each patch's
 * values ordered (row, column, channel), and pad with zero patches to {@code max_num_patches}.
 */
final class NaflexImageProcessor {
    private final ProcessorSettings settings;

    NaflexImageProcessor(ProcessorSettings settings) {
        this.settings = settings;
    }

    /** The encoder inputs of one image; {@code patches} holds {@code settings.maxPatches()} rows, zero-padded. */
    record Patches(float[] values, int patchRows, int patchColumns, int padLength, int featureSize) {
        int count() {
            return patchRows * patchColumns;
        }
    }

    Patches process(RgbImage image) {
        int p = settings.patchSize();
        int budget = NaflexResize.budget(image.width(), image.height(), p, settings.minPatches(), settings.maxPatches());
        int[] size = NaflexResize.targetSize(image.height(), image.width(), p, budget);
        int height = size[0];
        int width = size[1];
        byte[] rgb = PillowBilinear.resize(image.rgb(), image.width(), image.height(), width, height);
        float[] channelValues = normalized(rgb);
        int rows = height / p;
        int columns = width / p;
        int featureSize = 3 * p * p;
        float[] patches = new float[settings.maxPatches() * featureSize];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int patch = (y / p) * columns + x / p;
                int within = ((y % p) * p + x % p) * 3;
                System.arraycopy(channelValues, (y * width + x) * 3, patches, patch * featureSize + within, 3);
            }
        }
        return new Patches(patches, rows, columns, settings.maxPatches(), featureSize);
    }

    /** transformers' {@code rescale} (float64 product cast to float32) then {@code normalize} in float32. */
    private float[] normalized(byte[] rgb) {
        float[] out = new float[rgb.length];
        float[] mean = settings.imageMean();
        float[] std = settings.imageStd();
        for (int i = 0; i < rgb.length; i++) {
            int c = i % 3;
            float v = rgb[i] & 0xFF;
            if (settings.doRescale()) {
                v = (float) ((rgb[i] & 0xFF) * settings.rescaleFactor());
            }
            if (settings.doNormalize()) {
                v = (v - mean[c]) / std[c];
            }
            out[i] = v;
        }
        return out;
    }
}
