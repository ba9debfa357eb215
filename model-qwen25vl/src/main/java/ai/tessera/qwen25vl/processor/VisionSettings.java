package ai.tessera.qwen25vl.processor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import ai.tessera.api.ModelLoadException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The settings of transformers' {@code Qwen2VLImageProcessor} or {@code Qwen2VLVideoProcessor} as read from a
 * model folder: {@code min_pixels}/{@code max_pixels} (or {@code size.shortest_edge}/{@code size.longest_edge}),
 * patch sizes, and the rescale and normalisation constants.
 *
 * @param minFrames for videos: the fewest frames that fps sampling keeps
 * @param maxFrames for videos: the most frames that fps sampling keeps
 */
record VisionSettings(long minPixels, long maxPixels, int patchSize, int temporalPatchSize, int mergeSize,
                      float[] imageMean, float[] imageStd, double rescaleFactor, boolean doResize,
                      boolean doRescale, boolean doNormalize, int minFrames, int maxFrames) {

    static final String IMAGE_FILE = "preprocessor_config.json";
    static final String VIDEO_FILE = "video_preprocessor_config.json";

    private static final float[] CLIP_MEAN = {0.48145466f, 0.4578275f, 0.40821073f};
    private static final float[] CLIP_STD = {0.26862954f, 0.26130258f, 0.27577711f};

    /** Qwen/Qwen2.5-VL-*-Instruct's preprocessor_config.json, for models loaded without a folder. */
    static final VisionSettings QWEN25_VL = new VisionSettings(3136, 12845056, 14, 2, 2, CLIP_MEAN, CLIP_STD,
            1 / 255.0, true, true, true, 4, 768);

    /**
     * The image settings: {@code preprocessor_config.json}, with transformers' class defaults for absent keys; the
     * family's settings when the model has no folder or the folder has no such file.
     */
    static VisionSettings images(Optional<Path> folder) throws ModelLoadException {
        Optional<Path> file = folder.map(f -> f.resolve(IMAGE_FILE)).filter(Files::isRegularFile);
        return file.isEmpty() ? QWEN25_VL : parse(read(file.get()), file.get().getFileName().toString(), 56 * 56,
                28 * 28 * 1280);
    }

    /**
     * The video settings: {@code video_preprocessor_config.json}, else {@code preprocessor_config.json} (as
     * transformers falls back to it: Qwen2.5-VL's folders have no video file, so their videos use the image
     * pixel bounds), with the video processor's class defaults for absent keys.
     */
    static VisionSettings videos(Optional<Path> folder) throws ModelLoadException {
        Optional<Path> file = folder.map(f -> f.resolve(VIDEO_FILE)).filter(Files::isRegularFile)
                .or(() -> folder.map(f -> f.resolve(IMAGE_FILE)).filter(Files::isRegularFile));
        return file.isEmpty() ? QWEN25_VL : parse(read(file.get()), file.get().getFileName().toString(), 128 * 28 * 28,
                28 * 28 * 768);
    }

    static VisionSettings parse(JsonNode root, String file, long defaultMinPixels, long defaultMaxPixels)
            throws ModelLoadException {
        JsonNode size = root.path("size");
        long minPixels = positiveLong(root, "min_pixels", file,
                size.has("shortest_edge") ? positiveLong(size, "shortest_edge", file, 0) : defaultMinPixels);
        long maxPixels = positiveLong(root, "max_pixels", file,
                size.has("longest_edge") ? positiveLong(size, "longest_edge", file, 0) : defaultMaxPixels);
        if (minPixels > maxPixels) {
            throw new ModelLoadException(file + ": min_pixels (" + minPixels + ") must not exceed max_pixels ("
                    + maxPixels + ")");
        }
        int patchSize = (int) positiveLong(root, "patch_size", file, 14);
        int temporalPatchSize = (int) positiveLong(root, "temporal_patch_size", file, 2);
        int mergeSize = (int) positiveLong(root, "merge_size", file, 2);
        float[] mean = triple(root, "image_mean", file, CLIP_MEAN);
        float[] std = triple(root, "image_std", file, CLIP_STD);
        for (float s : std) {
            if (s == 0) {
                throw new ModelLoadException(file + ": image_std must not contain 0, got " + root.get("image_std"));
            }
        }
        double rescale = root.has("rescale_factor") ? number(root, "rescale_factor", file) : 1 / 255.0;
        int minFrames = (int) positiveLong(root, "min_frames", file, 4);
        int maxFrames = (int) positiveLong(root, "max_frames", file, 768);
        return new VisionSettings(minPixels, maxPixels, patchSize, temporalPatchSize, mergeSize, mean, std, rescale,
                bool(root, "do_resize", file), bool(root, "do_rescale", file), bool(root, "do_normalize", file),
                minFrames, maxFrames);
    }

    /** The same settings with other pixel bounds (from a request's {@code mm_processor_kwargs}). */
    VisionSettings withPixels(long min, long max) {
        return new VisionSettings(min, max, patchSize, temporalPatchSize, mergeSize, imageMean, imageStd,
                rescaleFactor, doResize, doRescale, doNormalize, minFrames, maxFrames);
    }

    /** The same settings with other frame bounds (from a request's {@code mm_processor_kwargs}). */
    VisionSettings withFrames(int min, int max) {
        return new VisionSettings(minPixels, maxPixels, patchSize, temporalPatchSize, mergeSize, imageMean, imageStd,
                rescaleFactor, doResize, doRescale, doNormalize, min, max);
    }

    /** Values per flattened patch: channels × temporal patch × patch × patch (1176 for Qwen2.5-VL). */
    int patchValues() {
        return 3 * temporalPatchSize * patchSize * patchSize;
    }

    private static JsonNode read(Path file) throws ModelLoadException {
        try {
            JsonNode root = new ObjectMapper().readTree(Files.readString(file));
            if (root == null || !root.isObject()) {
                throw new ModelLoadException(file + " must hold a JSON object");
            }
            return root;
        } catch (IOException e) {
            throw new ModelLoadException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static long positiveLong(JsonNode node, String key, String file, long fallback) throws ModelLoadException {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isIntegralNumber() || v.asLong() <= 0) {
            throw new ModelLoadException(file + ": '" + key + "' must be a positive integer, got " + v);
        }
        return v.asLong();
    }

    private static double number(JsonNode node, String key, String file) throws ModelLoadException {
        JsonNode v = node.get(key);
        if (!v.isNumber() || v.asDouble() <= 0) {
            throw new ModelLoadException(file + ": '" + key + "' must be a positive number, got " + v);
        }
        return v.asDouble();
    }

    private static boolean bool(JsonNode node, String key, String file) throws ModelLoadException {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return true;
        }
        if (!v.isBoolean()) {
            throw new ModelLoadException(file + ": '" + key + "' must be true or false, got " + v);
        }
        return v.asBoolean();
    }

    private static float[] triple(JsonNode node, String key, String file, float[] fallback) throws ModelLoadException {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return fallback.clone();
        }
        if (v.isNumber()) {
            float f = (float) v.asDouble();
            return new float[] {f, f, f};
        }
        if (!v.isArray() || v.size() != 3) {
            throw new ModelLoadException(file + ": '" + key + "' must be a number or a list of 3 numbers (one per RGB"
                    + " channel), got " + v);
        }
        float[] out = new float[3];
        for (int i = 0; i < 3; i++) {
            if (!v.get(i).isNumber()) {
                throw new ModelLoadException(file + ": '" + key + "' must hold numbers, got " + v);
            }
            out[i] = (float) v.get(i).asDouble();
        }
        return out;
    }
}
