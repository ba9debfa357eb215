package ai.tessera.phi4.vision.processor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import ai.tessera.api.ModelConfig;
import ai.tessera.api.ModelLoadException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The settings of {@code Siglip2ImageProcessorNoUpscale}: {@code config.json}'s {@code min_num_patches},
 * {@code max_num_patches} and {@code vision_config.patch_size} (what the checkpoint's code builds its processor
 * from), overridden by {@code preprocessor_config.json} when the folder has one (what vLLM's processor reads), and
 * per request by {@code mm_processor_kwargs}. Defaults are the class's: mean and std 0.5, rescale 1/255.
 */
record ProcessorSettings(int patchSize, int minPatches, int maxPatches, boolean doRescale, double rescaleFactor,
                         boolean doNormalize, float[] imageMean, float[] imageStd) {
    static final String PREPROCESSOR_CONFIG = "preprocessor_config.json";
    /** The request kwargs {@code Siglip2ImageProcessorNoUpscale.preprocess} takes that change the result here. */
    static final Set<String> KWARGS = Set.of("min_num_patches", "max_num_patches");
    private static final int PIL_BILINEAR = 2;

    ProcessorSettings {
        if (patchSize <= 0 || minPatches <= 0 || maxPatches < minPatches) {
            throw new IllegalArgumentException("the image processor needs patch_size > 0 and 0 < min_num_patches <= "
                    + "max_num_patches, got patch_size " + patchSize + ", min_num_patches " + minPatches
                    + ", max_num_patches " + maxPatches);
        }
        imageMean = imageMean.clone();
        imageStd = imageStd.clone();
    }

    static ProcessorSettings from(ModelConfig config, Optional<Path> modelDirectory) throws ModelLoadException {
        int patch = config.getInt("vision_config.patch_size", 16);
        int min = config.getInt("min_num_patches", 256);
        int max = config.getInt("max_num_patches", 3600);
        float[] half = {0.5f, 0.5f, 0.5f};
        ProcessorSettings fromConfig = create(patch, min, max, true, 1 / 255.0, true, half, half, "config.json");
        Optional<Path> file = modelDirectory.map(d -> d.resolve(PREPROCESSOR_CONFIG)).filter(Files::isRegularFile);
        return file.isPresent() ? fromConfig.overriddenBy(read(file.get()), file.get().toString()) : fromConfig;
    }

    private static ProcessorSettings create(int patch, int min, int max, boolean rescale, double factor,
                                            boolean normalize, float[] mean, float[] std, String source)
            throws ModelLoadException {
        try {
            return new ProcessorSettings(patch, min, max, rescale, factor, normalize, mean, std);
        } catch (IllegalArgumentException e) {
            throw new ModelLoadException(source + ": " + e.getMessage(), e);
        }
    }

    private static JsonNode read(Path file) throws ModelLoadException {
        try {
            JsonNode root = new ObjectMapper().readTree(Files.readString(file));
            if (root == null || !root.isObject()) {
                throw new ModelLoadException(file + " must be a JSON object");
            }
            return root;
        } catch (IOException e) {
            throw new ModelLoadException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** The values {@code json} (a preprocessor_config.json) sets, checked. */
    ProcessorSettings overriddenBy(JsonNode json, String source) throws ModelLoadException {
        if (json.has("resample") && json.get("resample").asInt(-1) != PIL_BILINEAR) {
            throw new ModelLoadException(source + ": resample must be 2 (PIL BILINEAR), the only filter this "
                    + "processor implements, got " + json.get("resample"));
        }
        return create(intOr(json, "patch_size", patchSize, source), intOr(json, "min_num_patches", minPatches, source),
                intOr(json, "max_num_patches", maxPatches, source), boolOr(json, "do_rescale", doRescale),
                json.has("rescale_factor") ? json.get("rescale_factor").asDouble() : rescaleFactor,
                boolOr(json, "do_normalize", doNormalize), triple(json, "image_mean", imageMean, source),
                triple(json, "image_std", imageStd, source), source);
    }

    /** The settings with a request's {@code mm_processor_kwargs} applied; unknown or ill-typed keys are refused. */
    ProcessorSettings withKwargs(Map<String, Object> kwargs) {
        if (kwargs == null || kwargs.isEmpty()) {
            return this;
        }
        Set<String> unknown = new TreeSet<>(kwargs.keySet());
        unknown.removeAll(KWARGS);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("mm_processor_kwargs " + unknown + " are not understood by this model's "
                    + "image processor; it takes " + new TreeSet<>(KWARGS));
        }
        return new ProcessorSettings(patchSize, kwarg(kwargs, "min_num_patches", minPatches),
                kwarg(kwargs, "max_num_patches", maxPatches), doRescale, rescaleFactor, doNormalize, imageMean,
                imageStd);
    }

    private static int kwarg(Map<String, Object> kwargs, String key, int fallback) {
        Object value = kwargs.get(key);
        if (value == null) {
            return fallback;
        }
        if (!(value instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || n.intValue() <= 0) {
            throw new IllegalArgumentException("mm_processor_kwargs." + key + " must be a positive integer, got "
                    + value);
        }
        return n.intValue();
    }

    private static int intOr(JsonNode json, String key, int fallback, String source) throws ModelLoadException {
        JsonNode node = json.get(key);
        if (node == null || node.isNull()) {
            return fallback;
        }
        if (!node.canConvertToInt() || !node.isIntegralNumber()) {
            throw new ModelLoadException(source + ": " + key + " must be an integer, got " + node);
        }
        return node.intValue();
    }

    private static boolean boolOr(JsonNode json, String key, boolean fallback) {
        JsonNode node = json.get(key);
        return node == null || node.isNull() ? fallback : node.asBoolean();
    }

    /** A per-channel value: one number for all three channels, or a list of three. */
    private static float[] triple(JsonNode json, String key, float[] fallback, String source)
            throws ModelLoadException {
        JsonNode node = json.get(key);
        if (node == null || node.isNull()) {
            return fallback;
        }
        if (node.isNumber()) {
            float v = (float) node.asDouble();
            return new float[] {v, v, v};
        }
        if (!node.isArray() || node.size() != 3 || !node.get(0).isNumber() || !node.get(1).isNumber()
                || !node.get(2).isNumber()) {
            throw new ModelLoadException(source + ": " + key + " must be a number or a list of 3 numbers, got " + node);
        }
        return new float[] {(float) node.get(0).asDouble(), (float) node.get(1).asDouble(),
                (float) node.get(2).asDouble()};
    }

    @Override
    public String toString() {
        return "patch_size " + patchSize + ", num_patches [" + minPatches + ", " + maxPatches + "], rescale "
                + (doRescale ? rescaleFactor : "off") + ", normalize " + (doNormalize ? Arrays.toString(imageMean)
                + "/" + Arrays.toString(imageStd) : "off");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ProcessorSettings s && s.toString().equals(toString());
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }
}
