package ai.tessera.gemma4;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import ai.tessera.api.ModelConfig;
import ai.tessera.api.ModelLoadException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The image processor settings of one Gemma 4 model: patch and pooling sizes from {@code vision_config}, then
 * {@code preprocessor_config.json} and the {@code image_processor} object of {@code processor_config.json} when the
 * folder has them, and per request {@code mm_processor_kwargs.max_soft_tokens}. Defaults are transformers'
 * ({@code max_soft_tokens} 280, rescale 1/255, no normalisation, bicubic).
 */
record Gemma4ImageSettings(int patchSize, int poolingKernelSize, int maxSoftTokens, double rescaleFactor) {
    static final Set<String> KWARGS = Set.of("max_soft_tokens");
    private static final int PIL_BICUBIC = 3;

    Gemma4ImageSettings {
        if (!Gemma4ImageProcessor.SUPPORTED_SOFT_TOKENS.contains(maxSoftTokens)) {
            throw new IllegalArgumentException("max_soft_tokens must be one of 70, 140, 280, 560, 1120, got "
                    + maxSoftTokens);
        }
    }

    static Gemma4ImageSettings from(ModelConfig config, Optional<Path> folder) throws ModelLoadException {
        Gemma4ImageSettings settings = create(config.getInt("vision_config.patch_size", 16),
                config.getInt("vision_config.pooling_kernel_size", 3), 280, 1 / 255.0, "config.json");
        if (folder.isPresent()) {
            Path preprocessor = folder.get().resolve("preprocessor_config.json");
            if (Files.isRegularFile(preprocessor)) {
                settings = settings.overriddenBy(read(preprocessor), preprocessor.toString());
            }
            Path processor = folder.get().resolve("processor_config.json");
            if (Files.isRegularFile(processor)) {
                JsonNode root = read(processor);
                if (root.has("image_processor") && root.get("image_processor").isObject()) {
                    settings = settings.overriddenBy(root.get("image_processor"), processor + " image_processor");
                }
            }
        }
        return settings;
    }

    private static Gemma4ImageSettings create(int patch, int pooling, int maxSoftTokens, double rescale,
                                              String source) throws ModelLoadException {
        try {
            return new Gemma4ImageSettings(patch, pooling, maxSoftTokens, rescale);
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

    /** The values {@code json} sets, checked against what this processor implements. */
    Gemma4ImageSettings overriddenBy(JsonNode json, String source) throws ModelLoadException {
        if (json.has("resample") && json.get("resample").asInt(-1) != PIL_BICUBIC) {
            throw new ModelLoadException(source + ": resample must be 3 (bicubic), the filter this processor "
                    + "implements, got " + json.get("resample"));
        }
        if (json.path("do_normalize").asBoolean(false)) {
            throw new ModelLoadException(source + ": do_normalize true is not supported (Gemma 4 takes pixels in "
                    + "[0, 1] and scales them in the tower)");
        }
        if (json.has("do_rescale") && !json.get("do_rescale").asBoolean()) {
            throw new ModelLoadException(source + ": do_rescale false is not supported");
        }
        return create(json.path("patch_size").asInt(patchSize), json.path("pooling_kernel_size").asInt(
                poolingKernelSize), json.path("max_soft_tokens").asInt(maxSoftTokens),
                json.path("rescale_factor").asDouble(rescaleFactor), source);
    }

    /** This model's settings with a request's {@code mm_processor_kwargs}. */
    Gemma4ImageSettings withKwargs(Map<String, Object> kwargs) {
        if (kwargs == null || kwargs.isEmpty()) {
            return this;
        }
        Set<String> unknown = new TreeSet<>(kwargs.keySet());
        unknown.removeAll(KWARGS);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("mm_processor_kwargs " + unknown + " are not understood by Gemma 4's "
                    + "image processor; it takes " + new TreeSet<>(KWARGS));
        }
        Object value = kwargs.get("max_soft_tokens");
        if (value == null) {
            return this;
        }
        if (!(value instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
            throw new IllegalArgumentException("mm_processor_kwargs.max_soft_tokens must be one of 70, 140, 280, 560,"
                    + " 1120, got " + value);
        }
        return new Gemma4ImageSettings(patchSize, poolingKernelSize, n.intValue(), rescaleFactor);
    }

    Gemma4ImageProcessor processor() {
        return new Gemma4ImageProcessor(patchSize, poolingKernelSize, maxSoftTokens, rescaleFactor);
    }
}
