package ai.tessera.gemma4;

import java.util.ArrayList;
import java.util.List;
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
 * <p>This bundle serves text: the vision and audio towers ({@code model.vision_tower}, {@code model.audio_tower},
 * {@code model.embed_vision}, {@code model.embed_audio}) are not loaded, and the media placeholder tokens
 * ({@code <|image|>}, {@code <|audio|>}, {@code <|video|>}) read as the pad token, as in transformers when a prompt
 * carries them without media.
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
        List<String> towers = new ArrayList<>();
        for (String tower : new String[] {"vision_config", "audio_config"}) {
            if (root.has(tower)) {
                towers.add(tower);
            }
        }
        if (!towers.isEmpty()) {
            LOG.warning("Gemma4ForConditionalGeneration: the checkpoint has " + String.join(" and ", towers)
                    + ", but this bundle loads the text decoder only; images, audio and video are not supported");
        }
        long[] placeholders = {
            root.getInt("image_token_id", 258_880), root.getInt("audio_token_id", 258_881),
            root.getInt("video_token_id", 258_884)};
        boolean tied = root.getBoolean("tie_word_embeddings", config.tieWordEmbeddings());
        return Gemma4CausalLm.load(context, config, WeightPrefix.of("model.language_model"), tied, placeholders);
    }
}
