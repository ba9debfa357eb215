package ai.tessera.gemma4;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import ai.tessera.api.MediaProcessor;
import ai.tessera.api.ModelConfig;
import ai.tessera.api.ModelLoadException;
import ai.tessera.api.MultimodalProcessor;
import org.osgi.service.component.annotations.Component;

/**
 * The multimodal processor of {@code Gemma4ForConditionalGeneration}: images (audio and video are not implemented
 * yet and are refused as modalities the model does not take). A checkpoint without {@code vision_config} is refused
 * here, so such a model serves text only.
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
            throw new ModelLoadException("this Gemma4ForConditionalGeneration checkpoint has no vision_config, so it "
                    + "takes no images");
        }
        return new Gemma4MediaProcessor(Gemma4ImageSettings.from(config, modelDirectory),
                config.getInt("image_token_id", 258_880), config.getInt("boi_token_id", 255_999),
                config.getInt("eoi_token_id", 258_882));
    }
}
