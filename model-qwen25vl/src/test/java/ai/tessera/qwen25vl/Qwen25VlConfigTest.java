package ai.tessera.qwen25vl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;

import ai.tessera.api.ModelConfig;
import ai.tessera.api.ModelLoadException;
import ai.tessera.core.config.HfConfigLoader;
import ai.tessera.core.platform.CpuPlatform;
import ai.tessera.testing.ReferenceModelContext;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;

/** How Qwen2_5_VLForConditionalGeneration reads config.json, in the layouts the published checkpoints and transformers 5 write. */
class Qwen25VlConfigTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The real Qwen2.5-VL-7B-Instruct config.json, as committed for the GPU checks. */
    private static ObjectNode real7b() throws IOException {
        return (ObjectNode) JSON.readTree(Files.readString(Path.of("../tools/device/qwen2.5-vl-7b.config.json")));
    }

    private static ModelConfig config(ObjectNode json) throws ModelLoadException {
        return HfConfigLoader.fromJson(json.toString(), null);
    }

    @Test
    void readsTheRealSevenBillionConfig() throws Exception {
        Qwen2TextConfig text = Qwen2TextConfig.from(config(real7b()));
        assertEquals(152064, text.vocabSize());
        assertEquals(3584, text.hiddenSize());
        assertEquals(128, text.headDim());
        assertEquals(4, text.numKeyValueHeads());
        assertEquals(1e6, text.ropeTheta());
        assertEquals(1e-6, text.rmsNormEps());
        assertEquals(List.of(16, 24, 24), text.mropeSection());
        assertEquals(28, text.slidingWindows().size());
        assertTrue(text.slidingWindows().stream().allMatch(OptionalInt::isEmpty), "use_sliding_window is false");
        assertEquals(false, text.tieWordEmbeddings());

        VisionConfig vision = VisionConfig.from(config(real7b()));
        assertEquals(32, vision.depth());
        assertEquals(80, vision.headDim());
        assertEquals(1176, vision.patchInputSize());
        assertEquals(4, vision.mergedWindowSide());
        assertEquals(3584, vision.outHiddenSize());
        assertEquals(Set.of(7, 15, 23, 31), vision.fullAttBlockIndexes());
        assertEquals(10000.0, vision.ropeTheta());
    }

    /** transformers 5 nests the language model's keys under text_config and the rope dict under rope_parameters. */
    @Test
    void transformers5LayoutReadsLikeThePublishedOne() throws Exception {
        ObjectNode flat = real7b();
        ObjectNode nested = JSON.createObjectNode();
        nested.set("architectures", flat.get("architectures"));
        nested.set("vision_config", flat.get("vision_config"));
        ObjectNode text = nested.putObject("text_config");
        for (String key : List.of("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
                "num_attention_heads", "num_key_value_heads", "rms_norm_eps", "hidden_act", "max_window_layers",
                "sliding_window", "use_sliding_window")) {
            text.set(key, flat.get(key));
        }
        ObjectNode rope = text.putObject("rope_parameters");
        rope.put("rope_type", "default").put("rope_theta", 1e6);
        rope.putArray("mrope_section").add(16).add(24).add(24);
        text.putArray("layer_types");
        nested.put("hidden_size", 1);  // a stray top-level key: text_config wins, as in transformers
        assertEquals(Qwen2TextConfig.from(config(flat)), Qwen2TextConfig.from(config(nested)));
    }

    @Test
    void defaultsAreThoseOfTransformers() throws Exception {
        ObjectNode bare = JSON.createObjectNode();
        bare.putArray("architectures").add("Qwen2_5_VLForConditionalGeneration");
        bare.putObject("vision_config");
        Qwen2TextConfig text = Qwen2TextConfig.from(config(bare));
        assertEquals(1e6, text.ropeTheta(), "Qwen2_5_VLTextConfig.default_theta");
        assertEquals(List.of(16, 24, 24), text.mropeSection());
        assertEquals(8, text.numKeyValueHeads());
        VisionConfig vision = VisionConfig.from(config(bare));
        assertEquals(Set.of(7, 15, 23, 31), vision.fullAttBlockIndexes());
        assertEquals(3584, vision.hiddenSize());
    }

    @Test
    void errorsNameTheKeyWithExpectedAndActual() throws Exception {
        ObjectNode section = real7b();
        ((ObjectNode) section.get("rope_scaling")).putArray("mrope_section").add(16).add(24).add(16);
        String message = assertThrows(ModelLoadException.class, () -> Qwen2TextConfig.from(config(section)))
                .getMessage();
        assertTrue(message.contains("mrope_section") && message.contains("head_dim / 2 = 64")
                && message.contains("[16, 24, 16]"), message);

        ObjectNode yarn = real7b();
        ((ObjectNode) yarn.get("rope_scaling")).put("type", "yarn");
        message = assertThrows(ModelLoadException.class, () -> Qwen2TextConfig.from(config(yarn))).getMessage();
        assertTrue(message.contains("'yarn'"), message);

        ObjectNode gelu = real7b();
        ((ObjectNode) gelu.get("vision_config")).put("hidden_act", "gelu");
        message = assertThrows(ModelLoadException.class, () -> VisionConfig.from(config(gelu))).getMessage();
        assertTrue(message.contains("vision_config.hidden_act") && message.contains("'gelu'"), message);

        ObjectNode width = real7b();
        ((ObjectNode) width.get("vision_config")).put("out_hidden_size", 2048);
        ModelConfig mismatched = config(width);
        message = assertThrows(ModelLoadException.class, () -> new Qwen25VlForConditionalGeneration().load(
                new ReferenceModelContext(mismatched, new PrngWeightSource(java.util.Map.of()), new CpuPlatform(),
                        ScalarType.Float))).getMessage();
        assertTrue(message.contains("out_hidden_size (2048)") && message.contains("hidden_size (3584)"), message);
    }

    @Test
    void checkpointLayoutIsTakenFromTheTensorNames() {
        assertEquals(CheckpointLayout.PUBLISHED, CheckpointLayout.of(Set.of("visual.blocks.0.norm1.weight",
                "model.embed_tokens.weight", "lm_head.weight")));
        assertEquals(CheckpointLayout.TRANSFORMERS_5, CheckpointLayout.of(Set.of("model.visual.blocks.0.norm1.weight",
                "model.language_model.embed_tokens.weight", "lm_head.weight")));
        assertEquals(CheckpointLayout.PUBLISHED, CheckpointLayout.of(Set.of()), "random weights: published names");
    }
}
