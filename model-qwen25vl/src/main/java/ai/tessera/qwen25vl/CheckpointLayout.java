package ai.tessera.qwen25vl;

import java.util.Set;

import ai.tessera.nn.WeightPrefix;

/**
 * Where the two halves of the model live in a checkpoint. The published Qwen2.5-VL checkpoints (Qwen/Qwen2.5-VL-*)
 * name them {@code visual.*} and {@code model.*}; transformers 5 saves {@code model.visual.*} and
 * {@code model.language_model.*}. {@code lm_head.*} is the same in both. vLLM reads both; so does this.
 */
enum CheckpointLayout {
    PUBLISHED("visual", "model"),
    TRANSFORMERS_5("model.visual", "model.language_model");

    private final WeightPrefix visual;
    private final WeightPrefix languageModel;

    CheckpointLayout(String visual, String languageModel) {
        this.visual = WeightPrefix.of(visual);
        this.languageModel = WeightPrefix.of(languageModel);
    }

    /** The layout of a checkpoint holding {@code names}; the published one when nothing tells (random weights). */
    static CheckpointLayout of(Set<String> names) {
        for (String name : names) {
            if (name.startsWith("model.language_model.") || name.startsWith("model.visual.")) {
                return TRANSFORMERS_5;
            }
        }
        return PUBLISHED;
    }

    WeightPrefix visual() {
        return visual;
    }

    WeightPrefix languageModel() {
        return languageModel;
    }

    static WeightPrefix lmHead() {
        return WeightPrefix.of("lm_head");
    }
}
