package ai.tessera.gemma4;

import java.util.List;
import java.util.OptionalDouble;

import ai.tessera.api.AttentionLayerSpec;
import ai.tessera.api.ForwardBatch;
import ai.tessera.api.LoadedModel;
import ai.tessera.api.ModelContext;
import ai.tessera.api.ModelLoadException;
import ai.tessera.nn.ForwardScope;
import ai.tessera.nn.Linear;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * A loaded Gemma 4 language model: the decoder stack, {@code lm_head} (the embedding matrix itself when tied, as in
 * every released checkpoint) and the final soft-cap {@code cap * tanh(logits / cap)}.
 */
final class Gemma4CausalLm implements LoadedModel {
    private final Gemma4TextModel model;
    private final Linear lmHead;
    private final OptionalDouble softcap;
    private final Tensor placeholderIds;
    private final long padTokenId;

    private Gemma4CausalLm(Gemma4TextModel model, Linear lmHead, OptionalDouble softcap, Tensor placeholderIds,
                           long padTokenId) {
        this.model = model;
        this.lmHead = lmHead;
        this.softcap = softcap;
        this.placeholderIds = Held.hold(placeholderIds);
        this.padTokenId = padTokenId;
    }

    /**
     * @param prefix       where the decoder's weights are ({@code model} or {@code model.language_model})
     * @param tied         whether {@code lm_head} is the embedding matrix
     * @param placeholders token ids that stand for media (read as the pad token, as transformers does when no media
     *                     fills them); empty for a text-only model
     */
    static Gemma4CausalLm load(ModelContext context, Gemma4TextConfig config, WeightPrefix prefix, boolean tied,
                               long[] placeholders) throws ModelLoadException {
        try (LoadGuard guard = new LoadGuard()) {
            Gemma4TextModel model = guard.add(Gemma4TextModel.load(context, config, prefix));
            Linear lmHead = tied ? Linear.tiedTo(model.embedTokens().embedding())
                    : Linear.load(context.weights(), WeightPrefix.of("lm_head"), config.hiddenSize(),
                            config.vocabSize(), false);
            Tensor ids = placeholders.length == 0 ? null
                    : torch.tensor(placeholders).to(context.platform().device(), ScalarType.Long);
            return guard.done(new Gemma4CausalLm(model, lmHead, config.finalLogitSoftcapping(), ids,
                    config.padTokenId()));
        }
    }

    Gemma4TextModel model() {
        return model;
    }

    @Override
    public List<AttentionLayerSpec> attentionLayers() {
        return model.layout().cacheLayers();
    }

    @Override
    public Tensor forward(ForwardBatch batch) {
        try (ForwardScope scope = new ForwardScope()) {
            Tensor ids = batch.inputIds();
            if (placeholderIds != null) {
                ids = ids.masked_fill(torch.isin(ids, placeholderIds), new Scalar(padTokenId));
            }
            Tensor hidden = model.forward(batch, ids);
            // Only the wanted rows go through lm_head: for decoding that is one row per sequence.
            if (batch.logitsIndices() != null) {
                hidden = hidden.index_select(0, batch.logitsIndices());
            }
            Tensor logits = lmHead.forward(hidden);
            if (softcap.isPresent()) {
                Scalar cap = new Scalar(softcap.getAsDouble());
                logits = logits.div(cap).tanh().mul(cap);
            }
            return scope.keep(logits.to(ScalarType.Float));
        }
    }

    @Override
    public void close() {
        lmHead.close();
        model.close();
        Held.release(placeholderIds);
    }
}
