package ai.tessera.phi4mm;

import java.util.List;
import java.util.OptionalInt;

import ai.tessera.api.ModelConfig;
import ai.tessera.api.ModelLoadException;
import ai.tessera.nn.RopeParameters;
import ai.tessera.phi4mm.vision.SiglipVisionConfig;

/**
 * The keys of the original {@code Phi4MMConfig} (microsoft/Phi-4-multimodal-instruct's config.json) that the model
 * uses: the Phi-3 decoder's (LongRoPE, partial rotary, tied embeddings), the two LoRA adapters, the image embedding
 * settings ({@code embd_layer.image_embd_layer}) and the SigLIP tower, which the checkpoint's code fixes to
 * so400m-patch14-448 (a {@code vision_config} section, absent from the real config, overrides it for tests).
 */
record Phi4MMConfig(int vocabSize, int hiddenSize, int intermediateSize, int numHiddenLayers, int numAttentionHeads,
                    int numKeyValueHeads, int headDim, double rmsNormEps, OptionalInt slidingWindow,
                    boolean tieWordEmbeddings, RopeParameters rope, List<LoraSpec> adapters,
                    SiglipVisionConfig vision, int cropSize) {

    static Phi4MMConfig from(ModelConfig config) throws ModelLoadException {
        int hidden = intOr(config, "hidden_size", 3072);
        int heads = intOr(config, "num_attention_heads", 24);
        int kvHeads = intOr(config, "num_key_value_heads", heads);
        if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0) {
            throw new ModelLoadException("config.json num_attention_heads (" + heads + ") must be a positive multiple"
                    + " of num_key_value_heads (" + kvHeads + ")");
        }
        if (!config.has("head_dim") && hidden % heads != 0) {
            throw new ModelLoadException("config.json hidden_size (" + hidden + ") must be a multiple of"
                    + " num_attention_heads (" + heads + ") when head_dim is absent");
        }
        String activation = config.getString("hidden_act").orElse("silu");
        if (!activation.equals("silu")) {
            throw new ModelLoadException("config.json hidden_act must be 'silu' for Phi4MMForCausalLM, got '"
                    + activation + "'");
        }
        String order = config.getString("embd_layer.image_embd_layer.hd_transform_order").orElse("sub_glb");
        if (!order.equals("sub_glb")) {
            throw new ModelLoadException("config.json embd_layer.image_embd_layer.hd_transform_order must be "
                    + "'sub_glb' (what the checkpoint uses), got '" + order + "'");
        }
        int cropSize = config.getInt("embd_layer.image_embd_layer.crop_size", 448);
        SiglipVisionConfig vision = SiglipVisionConfig.from(config, "vision_config");
        if (vision.imageSize() != cropSize) {
            throw new ModelLoadException("config.json embd_layer.image_embd_layer.crop_size (" + cropSize
                    + ") must equal the vision tower's image size (" + vision.imageSize() + ")");
        }
        return new Phi4MMConfig(
                intOr(config, "vocab_size", 200064),
                hidden,
                intOr(config, "intermediate_size", 8192),
                intOr(config, "num_hidden_layers", 32),
                heads,
                kvHeads,
                intOr(config, "head_dim", hidden / heads),
                config.has("rms_norm_eps") ? config.getDouble("rms_norm_eps") : 1e-5,
                config.has("sliding_window") && !config.isNull("sliding_window")
                        ? OptionalInt.of(config.getInt("sliding_window")) : OptionalInt.empty(),
                config.getBoolean("tie_word_embeddings", false),
                rope(config),
                List.of(LoraSpec.read(config, "vision"), LoraSpec.read(config, "speech")),
                vision,
                cropSize);
    }

    private static RopeParameters rope(ModelConfig config) throws ModelLoadException {
        RopeParameters rope = RopeParameters.read(config, 4096);
        if (rope.ropeType().equals("su") || rope.ropeType().equals("yarn")) {
            rope = rope.withType("longrope");
        }
        if (!rope.ropeType().equals("default") && !rope.ropeType().equals("longrope")) {
            throw new ModelLoadException("config.json rope type must be 'default' or 'longrope' for "
                    + "Phi4MMForCausalLM, got '" + rope.ropeType() + "'");
        }
        return rope;
    }

    private static int intOr(ModelConfig config, String key, int fallback) throws ModelLoadException {
        return config.has(key) ? config.getInt(key) : fallback;
    }
}
