package ai.tessera.gemma4;

import java.util.Optional;
import java.util.logging.Logger;

import ai.tessera.api.LoadedModel;
import ai.tessera.api.ModelArchitecture;
import ai.tessera.api.ModelConfig;
import ai.tessera.api.ModelContext;
import ai.tessera.api.ModelLoadException;
import ai.tessera.nn.WeightPrefix;
import org.osgi.service.component.annotations.Component;

/**
 * {@code Gemma4ForConditionalGeneration}, the architecture of the released checkpoints: the text decoder from
 * {@code text_config} and the {@code model.language_model.} weights, with {@code lm_head} tied to its embeddings.
 *
 * <p>With {@code vision_config} the vision tower ({@code model.vision_tower}) and {@code model.embed_vision} are
 * loaded and images are taken; with {@code audio_config} the audio tower ({@code model.audio_tower}) and
 * {@code model.embed_audio} are loaded and audio is taken ({@link Gemma4MultimodalProcessor}). Media placeholder
 * tokens ({@code <|image|>}, {@code <|audio|>}, {@code <|video|>}) read as the pad token for the token and
 * Per-Layer Embeddings, as in transformers; the media embeddings then replace the placeholder rows.
 *
 * <p>The text decoder's attention is causal, except that with {@code text_config.use_bidirectional_attention}
 * {@code "vision"} (the larger checkpoints) an image's tokens attend to each other both ways on the sliding layers,
 * as transformers 5.17 does when given {@code mm_token_type_ids} (and vLLM does): the engine then prefills each
 * image in one chunk. An attention backend that cannot apply such spans leaves the image tokens causal, with a
 * warning.
 */
@Component(service = ModelArchitecture.class, property = ModelArchitecture.PROPERTY
        + "=Gemma4ForConditionalGeneration")
public class Gemma4ForConditionalGeneration implements ModelArchitecture {
    private static final Logger LOG = Logger.getLogger(Gemma4ForConditionalGeneration.class.getName());

    @Override
    public LoadedModel load(ModelContext context) throws ModelLoadException {
        ModelConfig root = context.config();
        ModelConfig text = root.section("text_config").orElseThrow(() -> new ModelLoadException(
                "config.json of a Gemma4ForConditionalGeneration needs a text_config object (the language model's"
                        + " configuration)"));
        Gemma4TextConfig config = Gemma4TextConfig.from(text, "text_config.");
        Optional<ModelConfig> visionSection = root.section("vision_config");
        Gemma4VisionConfig vision = visionSection.isPresent() ? Gemma4VisionConfig.from(visionSection.get()) : null;
        Optional<ModelConfig> audioSection = root.section("audio_config");
        Gemma4AudioConfig audio = audioSection.isPresent() ? Gemma4AudioConfig.from(audioSection.get()) : null;
        long[] placeholders = {
            root.getInt("image_token_id", 258_880), root.getInt("audio_token_id", 258_881),
            root.getInt("video_token_id", 258_884)};
        boolean tied = root.getBoolean("tie_word_embeddings", config.tieWordEmbeddings());
        Gemma4CausalLm model = Gemma4CausalLm.load(context, config, WeightPrefix.of("model.language_model"), tied,
                placeholders, vision, audio);
        if (vision != null && "vision".equals(text.getString("use_bidirectional_attention").orElse(null))
                && !model.attendWithinImagesBothWays()) {
            LOG.warning("Gemma4ForConditionalGeneration: text_config.use_bidirectional_attention is \"vision\", but"
                    + " the attention backend cannot let an image's tokens attend to each other both ways; they"
                    + " attend causally, so outputs with images differ from transformers'");
        }
        return model;
    }
}
