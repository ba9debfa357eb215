package ai.tessera.gemma4;

import java.util.Optional;

import ai.tessera.api.LoadedModel;
import ai.tessera.api.ModelArchitecture;
import ai.tessera.api.ModelConfig;
import ai.tessera.api.ModelContext;
import ai.tessera.api.ModelLoadException;
import ai.tessera.nn.WeightPrefix;
import org.osgi.service.component.annotations.Component;

/**
 * {@code Gemma4ForCausalLM}: the Gemma 4 text decoder alone ({@code model_type gemma4_text}, weights under
 * {@code model.}). Also serves the text part of a multimodal checkpoint renamed to this architecture (vLLM's way):
 * its {@code text_config} and {@code model.language_model.} weights are used then.
 */
@Component(service = ModelArchitecture.class, property = ModelArchitecture.PROPERTY + "=Gemma4ForCausalLM")
public class Gemma4ForCausalLM implements ModelArchitecture {
    private static final String NESTED_EMBEDDINGS = "model.language_model.embed_tokens.weight";

    @Override
    public LoadedModel load(ModelContext context) throws ModelLoadException {
        ModelConfig root = context.config();
        Optional<ModelConfig> nested = root.section("text_config");
        Gemma4TextConfig config = Gemma4TextConfig.from(nested.orElse(root), nested.isPresent() ? "text_config." : "");
        boolean multimodalWeights = context.weights().names().contains(NESTED_EMBEDDINGS);
        WeightPrefix prefix = WeightPrefix.of(multimodalWeights ? "model.language_model" : "model");
        return Gemma4CausalLm.load(context, config, prefix, config.tieWordEmbeddings(), new long[0]);
    }
}
