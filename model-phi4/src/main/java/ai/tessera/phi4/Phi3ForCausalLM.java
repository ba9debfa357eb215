package ai.tessera.phi4;

import java.util.List;

import ai.tessera.api.AttentionLayerSpec;
import ai.tessera.api.ForwardBatch;
import ai.tessera.api.LoadedModel;
import ai.tessera.api.ModelArchitecture;
import ai.tessera.api.ModelContext;
import ai.tessera.api.ModelLoadException;
import ai.tessera.nn.ForwardScope;
import ai.tessera.nn.Linear;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.osgi.service.component.annotations.Component;

/**
 * {@code Phi3ForCausalLM}: the Phi-3 decoder and {@code lm_head} (the embedding matrix itself when
 * {@code tie_word_embeddings}, as in Phi-4-mini). Checked against transformers by {@code Phi3ParityTest}.
 */
@Component(service = ModelArchitecture.class, property = ModelArchitecture.PROPERTY + "=Phi3ForCausalLM")
public class Phi3ForCausalLM implements ModelArchitecture {

    @Override
    public LoadedModel load(ModelContext context) throws ModelLoadException {
        Phi3Config config = Phi3Config.from(context.config());
        Phi3Model model = Phi3Model.load(context, config);
        try {
            Linear lmHead = config.tieWordEmbeddings() ? Linear.tiedTo(model.embedTokens())
                    : Linear.load(context.weights(), WeightPrefix.of("lm_head"), config.hiddenSize(),
                            config.vocabSize(), false);
            return new CausalLm(model, lmHead);
        } catch (ModelLoadException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** The loaded model: hidden states of the wanted tokens through {@code lm_head}, as float32 logits. */
    static final class CausalLm implements LoadedModel {
        private final Phi3Model model;
        private final Linear lmHead;

        CausalLm(Phi3Model model, Linear lmHead) {
            this.model = model;
            this.lmHead = lmHead;
        }

        @Override
        public List<AttentionLayerSpec> attentionLayers() {
            return model.attentionSpecs();
        }

        @Override
        public Tensor forward(ForwardBatch batch) {
            try (ForwardScope scope = new ForwardScope()) {
                Tensor hidden = model.forward(batch);
                // Only the wanted rows go through lm_head: for decoding that is one row per sequence.
                if (batch.logitsIndices() != null) {
                    hidden = hidden.index_select(0, batch.logitsIndices());
                }
                return scope.keep(lmHead.forward(hidden).to(ScalarType.Float));
            }
        }

        /** LongRoPE models recompute a sequence that grows past {@code original_max_position_embeddings}. */
        @Override
        public int recomputeBeyond() {
            return model.rotaryEmb().recomputeBeyond();
        }

        @Override
        public void close() {
            lmHead.close();
            model.close();
        }
    }
}
