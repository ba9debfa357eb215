package ai.tessera.gemma4;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import ai.tessera.api.MediaInput;
import ai.tessera.api.MediaProcessor;
import ai.tessera.api.ModelConfig;
import ai.tessera.api.ModelLoadException;
import ai.tessera.api.MultimodalProcessor;
import ai.tessera.api.MultimodalPrompt;
import org.osgi.service.component.annotations.Component;

/**
 * The multimodal processor of {@code Gemma4ForConditionalGeneration}: images (audio and video are not implemented
 * yet and are refused as modalities the model does not take). A checkpoint without {@code vision_config} loads and
 * serves text; a request with an image is then refused, naming the reason.
 */
@Component(service = MultimodalProcessor.class, property = MultimodalProcessor.PROPERTY
        + "=Gemma4ForConditionalGeneration")
public class Gemma4MultimodalProcessor implements MultimodalProcessor {

    @Override
    public List<String> modalities() {
        return List.of(Gemma4MediaProcessor.IMAGE);
    }

    @Override
    public MediaProcessor forModel(ModelConfig config, Optional<Path> modelDirectory) throws ModelLoadException {
        if (config.section("vision_config").isEmpty()) {
            return new TextOnly();
        }
        return new Gemma4MediaProcessor(Gemma4ImageSettings.from(config, modelDirectory),
                config.getInt("image_token_id", 258_880), config.getInt("boi_token_id", 255_999),
                config.getInt("eoi_token_id", 258_882));
    }

    /** The media processor of a checkpoint without a vision tower: every media item is refused. */
    private static final class TextOnly implements MediaProcessor {
        private static final String REFUSAL = "this Gemma4ForConditionalGeneration checkpoint has no vision_config: "
                + "it takes text only";

        @Override
        public String placeholderText(String modality, int index) {
            throw new IllegalArgumentException(REFUSAL + ", got " + modality + " " + index);
        }

        @Override
        public MultimodalPrompt process(int[] promptTokenIds, List<MediaInput> media, Map<String, Object> kwargs) {
            if (!media.isEmpty()) {
                throw new IllegalArgumentException(REFUSAL + ", got " + media.size() + " media item(s)");
            }
            return MultimodalPrompt.text(promptTokenIds);
        }
    }
}
