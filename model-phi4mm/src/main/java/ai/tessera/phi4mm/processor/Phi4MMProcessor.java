package ai.tessera.phi4mm.processor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import ai.tessera.api.MediaProcessor;
import ai.tessera.api.ModelConfig;
import ai.tessera.api.ModelLoadException;
import ai.tessera.api.MultimodalProcessor;
import ai.tessera.phi4mm.audio.AudioFeatureSettings;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.osgi.service.component.annotations.Component;

/**
 * The multimodal processor of {@code Phi4MMForCausalLM} (microsoft/Phi-4-multimodal-instruct): images through
 * transformers' dynamic-HD image processor ({@code dynamic_hd} from preprocessor_config.json, 36 by default,
 * {@code mm_processor_kwargs} may override it), audio through transformers' log-mel feature extractor (16 kHz,
 * 80 bins), placeholders {@code <|image_N|>} / {@code <|audio_N|>} as vLLM writes them.
 */
@Component(service = MultimodalProcessor.class, property = MultimodalProcessor.PROPERTY + "=Phi4MMForCausalLM")
public class Phi4MMProcessor implements MultimodalProcessor {
    static final int DEFAULT_DYNAMIC_HD = 36;

    @Override
    public List<String> modalities() {
        return List.of(Phi4MMMediaProcessor.IMAGE, Phi4MMMediaProcessor.AUDIO);
    }

    @Override
    public MediaProcessor forModel(ModelConfig config, Optional<Path> modelDirectory) throws ModelLoadException {
        int vocab = config.getInt("vocab_size", 200064);
        if (Phi4MMMediaProcessor.AUDIO_TOKEN_ID >= vocab) {
            throw new ModelLoadException("config.json vocab_size must exceed the placeholder ids "
                    + Phi4MMMediaProcessor.IMAGE_TOKEN_ID + " and " + Phi4MMMediaProcessor.AUDIO_TOKEN_ID
                    + ", got " + vocab);
        }
        int crop = config.getInt("embd_layer.image_embd_layer.crop_size", 448);
        int patch = config.getInt("vision_config.patch_size", 14);
        JsonNode pre = preprocessorConfig(modelDirectory);
        int dynamicHd = positiveInt(pre, "dynamic_hd", DEFAULT_DYNAMIC_HD);
        AudioFeatureSettings audio = AudioFeatureSettings.phi4Multimodal(positiveInt(pre, "audio_compression_rate", 8),
                positiveInt(pre, "audio_downsample_rate", 1), positiveInt(pre, "audio_feat_stride", 1));
        return new Phi4MMMediaProcessor(PlaceholderScanner.forModel(modelDirectory), crop, patch, dynamicHd, audio);
    }

    /** The model folder's preprocessor_config.json, or an empty object (the checkpoint's defaults). */
    private static JsonNode preprocessorConfig(Optional<Path> modelDirectory) throws ModelLoadException {
        if (modelDirectory.isPresent()) {
            Path file = modelDirectory.get().resolve("preprocessor_config.json");
            if (Files.isRegularFile(file)) {
                try {
                    return new ObjectMapper().readTree(file.toFile());
                } catch (IOException e) {
                    throw new ModelLoadException("cannot read " + file + ": " + e.getMessage(), e);
                }
            }
        }
        return new ObjectMapper().createObjectNode();
    }

    private static int positiveInt(JsonNode pre, String key, int fallback) throws ModelLoadException {
        if (!pre.has(key)) {
            return fallback;
        }
        JsonNode v = pre.get(key);
        if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < 1) {
            throw new ModelLoadException("preprocessor_config.json " + key + " must be a positive integer, got " + v);
        }
        return v.asInt();
    }
}
