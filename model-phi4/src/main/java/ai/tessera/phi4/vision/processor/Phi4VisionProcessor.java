package ai.tessera.phi4.vision.processor;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import ai.tessera.api.MediaProcessor;
import ai.tessera.api.ModelConfig;
import ai.tessera.api.ModelLoadException;
import ai.tessera.api.MultimodalProcessor;
import org.osgi.service.component.annotations.Component;

/**
 * The multimodal processor of {@code Phi4ForCausalLMV} (microsoft/Phi-4-reasoning-vision-15B): images only, each
 * a SigLIP2 NaFlex patch sequence whose projected features replace that many image placeholder tokens.
 */
@Component(service = MultimodalProcessor.class, property = MultimodalProcessor.PROPERTY + "=Phi4ForCausalLMV")
public class Phi4VisionProcessor implements MultimodalProcessor {

    @Override
    public List<String> modalities() {
        return List.of(Phi4VisionMediaProcessor.IMAGE);
    }

    @Override
    public MediaProcessor forModel(ModelConfig config, Optional<Path> modelDirectory) throws ModelLoadException {
        int vocab = config.getInt("vocab_size", 100352);
        if (Phi4VisionMediaProcessor.IMAGE_TOKEN_ID >= vocab) {
            throw new ModelLoadException("config.json vocab_size must exceed the image placeholder id "
                    + Phi4VisionMediaProcessor.IMAGE_TOKEN_ID + " (<|dummy_0|>), got " + vocab);
        }
        return new Phi4VisionMediaProcessor(ProcessorSettings.from(config, modelDirectory));
    }
}
