package ai.tessera.qwen25vl;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import ai.tessera.api.ModelConfig;
import ai.tessera.api.ModelLoadException;

/**
 * The keys of transformers' {@code Qwen2_5_VLVisionConfig} ({@code vision_config}) that the vision tower uses, with
 * its defaults. (The published configs also carry {@code in_chans} and {@code spatial_patch_size}, which transformers
 * ignores; so does this.)
 *
 * @param windowSize          the attention window in pixels (112: 8 × 8 patches, 4 × 4 merged tokens)
 * @param fullAttBlockIndexes the blocks that attend over the whole image or frame instead of windows
 * @param ropeTheta           base of the 2-D rotary embedding ({@code rope_parameters.rope_theta}, else 10000)
 */
record VisionConfig(int depth, int hiddenSize, int intermediateSize, int numHeads, int inChannels, int patchSize,
                    int spatialMergeSize, int temporalPatchSize, int windowSize, int outHiddenSize,
                    Set<Integer> fullAttBlockIndexes, double ropeTheta) {
    private static final List<Integer> DEFAULT_FULL_ATT = List.of(7, 15, 23, 31);

    VisionConfig {
        fullAttBlockIndexes = Set.copyOf(fullAttBlockIndexes);
    }

    static VisionConfig from(ModelConfig root) throws ModelLoadException {
        ModelConfig config = root.section("vision_config").orElse(null);
        if (config == null) {
            throw new ModelLoadException("config.json has no vision_config section; Qwen2_5_VLForConditionalGeneration"
                    + " needs one");
        }
        int hidden = intOr(config, "hidden_size", 3584);
        int heads = intOr(config, "num_heads", 16);
        if (heads <= 0 || hidden % heads != 0 || (hidden / heads) % 4 != 0) {
            throw new ModelLoadException("config.json vision_config.hidden_size (" + hidden + ") must split into"
                    + " num_heads (" + heads + ") heads of a multiple of 4 channels (2-D rotary)");
        }
        String activation = config.getString("hidden_act").orElse("silu");
        if (!activation.equals("silu")) {
            throw new ModelLoadException("config.json vision_config.hidden_act must be 'silu' for"
                    + " Qwen2_5_VLForConditionalGeneration, got '" + activation + "'");
        }
        int depth = intOr(config, "depth", 32);
        List<Integer> fullAtt = config.has("fullatt_block_indexes")
                ? config.getDoubles("fullatt_block_indexes").stream().map(Double::intValue).toList() : DEFAULT_FULL_ATT;
        int merge = intOr(config, "spatial_merge_size", 2);
        int patch = intOr(config, "patch_size", 14);
        int window = intOr(config, "window_size", 112);
        if (merge <= 0 || patch <= 0 || window < merge * patch || window % (merge * patch) != 0) {
            throw new ModelLoadException("config.json vision_config.window_size (" + window + ") must be a positive"
                    + " multiple of spatial_merge_size × patch_size (" + merge + " × " + patch + ")");
        }
        double theta = config.section("rope_parameters").map(d -> d.getDouble("rope_theta", Double.NaN))
                .filter(t -> !t.isNaN()).orElse(config.getDouble("rope_theta", 10_000.0));
        return new VisionConfig(depth, hidden, intOr(config, "intermediate_size", 3420), heads,
                intOr(config, "in_channels", 3), patch, merge, intOr(config, "temporal_patch_size", 2), window,
                intOr(config, "out_hidden_size", 3584), new TreeSet<>(fullAtt), theta);
    }

    int headDim() {
        return hiddenSize / numHeads;
    }

    /** Values per patch: channels × temporal patch × patch²; 1176 for the real models. */
    int patchInputSize() {
        return inChannels * temporalPatchSize * patchSize * patchSize;
    }

    /** Side of an attention window in merged tokens: {@code window_size / spatial_merge_size / patch_size}. */
    int mergedWindowSide() {
        return windowSize / spatialMergeSize / patchSize;
    }

    private static int intOr(ModelConfig config, String key, int fallback) throws ModelLoadException {
        return config.has(key) ? config.getInt(key) : fallback;
    }
}
