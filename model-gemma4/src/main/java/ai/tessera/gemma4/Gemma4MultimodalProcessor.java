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
 * The multimodal processor of {@code Gemma4ForConditionalGeneration}: images when the checkpoint has
 * {@code vision_config} and videos with them (frames through the vision tower), audio when it has
 * {@code audio_config}. A checkpoint without either loads and serves text; a request with a modality its checkpoint
 * lacks is refused, naming the reason.
 */
@Component(service = MultimodalProcessor.class, property = MultimodalProcessor.PROPERTY
        + "=Gemma4ForConditionalGeneration")
public class Gemma4MultimodalProcessor implements MultimodalProcessor {

    @Override
    public List<String> modalities() {
        return List.of(Gemma4MediaProcessor.IMAGE, Gemma4MediaProcessor.AUDIO, Gemma4MediaProcessor.VIDEO);
    }

    @Override
    public MediaProcessor forModel(ModelConfig config, Optional<Path> modelDirectory) throws ModelLoadException {
        Gemma4ImageSettings images = config.section("vision_config").isPresent()
                ? Gemma4ImageSettings.from(config, modelDirectory) : null;
        boolean audio = config.section("audio_config").isPresent();
        // transformers' Gemma4Config names the end-of-audio id eoa_token_index
        int eoa = config.getInt("eoa_token_index", config.getInt("eoa_token_id", 258_883));
        int boi = config.getInt("boi_token_id", 255_999);
        int eoi = config.getInt("eoi_token_id", 258_882);
        return new Gemma4MediaProcessor(images,
                new Gemma4MediaProcessor.Tokens(config.getInt("image_token_id", 258_880), boi, eoi),
                audio, new Gemma4MediaProcessor.Tokens(config.getInt("audio_token_id", 258_881),
                        config.getInt("boa_token_id", 256_000), eoa),
                // a video frame sits between the image's begin and end tokens
                new Gemma4MediaProcessor.Tokens(config.getInt("video_token_id", 258_884), boi, eoi),
                Gemma4Video.UNKNOWN_FPS);
    }
}
