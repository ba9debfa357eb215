package ${package};

import java.util.List;

import ai.tessera.api.AttentionLayerSpec;
import ai.tessera.api.ForwardBatch;
import ai.tessera.api.LoadedModel;
import ai.tessera.api.ModelArchitecture;
import ai.tessera.api.ModelConfig;
import ai.tessera.api.ModelContext;
import ai.tessera.api.ModelLoadException;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.osgi.service.component.annotations.Component;

/**
 * The {@code ${architecture}} architecture, written against Tessera's exported API alone. Tessera serves a model
 * folder with it when {@code architectures[0]} of the folder's config.json is {@code ${architecture}}.
 *
 * <p>As generated it is the smallest working language model, a bigram model: the next token's logits depend only on
 * the current token, {@code logits = lm_head(embed_tokens(x))}. Grow it into your model with the shared layers of
 * {@code ai.tessera.nn} (Linear, Embedding, RmsNorm, RotaryEmbedding, Attention, ForwardScope), and list its attention
 * layers in {@code attentionLayers()} so that the engine sizes the KV cache for them.
 *
 * <p>config.json: {@code {"architectures":["${architecture}"], "vocab_size": V, "hidden_size": H}}; weights
 * {@code model.embed_tokens.weight [V, H]} and {@code lm_head.weight [V, H]}.
 */
@Component(service = ModelArchitecture.class, property = ModelArchitecture.PROPERTY + "=${architecture}")
public class ${className} implements ModelArchitecture {

    @Override
    public LoadedModel load(ModelContext context) throws ModelLoadException {
        ModelConfig config = context.config();
        int vocab = config.getInt("vocab_size");
        int hidden = config.getInt("hidden_size");
        Tensor embedTokens = context.weights().load("model.embed_tokens.weight", vocab, hidden);
        Tensor lmHead = context.weights().load("lm_head.weight", vocab, hidden);
        return new Loaded(embedTokens, lmHead);
    }

    /** The loaded weights; no attention layers, so no KV cache. */
    private static final class Loaded implements LoadedModel {
        private final Tensor embedTokens;
        private final Tensor lmHead;

        Loaded(Tensor embedTokens, Tensor lmHead) {
            this.embedTokens = embedTokens;
            this.lmHead = lmHead;
        }

        @Override
        public List<AttentionLayerSpec> attentionLayers() {
            return List.of();
        }

        @Override
        public Tensor forward(ForwardBatch batch) {
            Tensor ids = batch.logitsIndices() == null ? batch.inputIds()
                    : batch.inputIds().index_select(0, batch.logitsIndices());
            Tensor hidden = torch.embedding(embedTokens, ids);
            return torch.matmul(hidden, lmHead.t()).to(ScalarType.Float);
        }

        @Override
        public void close() {
            embedTokens.close();
            lmHead.close();
        }
    }
}
