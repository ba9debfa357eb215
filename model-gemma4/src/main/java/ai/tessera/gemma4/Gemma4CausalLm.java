package ai.tessera.gemma4;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

import ai.tessera.api.AttentionLayerSpec;
import ai.tessera.api.ForwardBatch;
import ai.tessera.api.LoadedModel;
import ai.tessera.api.ModelContext;
import ai.tessera.api.ModelLoadException;
import ai.tessera.api.MultimodalItem;
import ai.tessera.nn.ForwardScope;
import ai.tessera.nn.Linear;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Device;
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
    private final Gemma4VisionModel vision;
    private final ScalarType dtype;
    /** Whether an image's tokens attend to each other both ways on the sliding layers. */
    private boolean bidirectionalImages;

    private Gemma4CausalLm(Gemma4TextModel model, Linear lmHead, OptionalDouble softcap, Tensor placeholderIds,
                           long padTokenId, Gemma4VisionModel vision, ScalarType dtype) {
        this.model = model;
        this.lmHead = lmHead;
        this.softcap = softcap;
        this.placeholderIds = Held.hold(placeholderIds);
        this.padTokenId = padTokenId;
        this.vision = vision;
        this.dtype = dtype;
    }

    /**
     * @param prefix       where the decoder's weights are ({@code model} or {@code model.language_model})
     * @param tied         whether {@code lm_head} is the embedding matrix
     * @param placeholders token ids that stand for media (read as the pad token, as transformers does when no media
     *                     fills them); empty for a text-only model
     */
    static Gemma4CausalLm load(ModelContext context, Gemma4TextConfig config, WeightPrefix prefix, boolean tied,
                               long[] placeholders) throws ModelLoadException {
        return load(context, config, prefix, tied, placeholders, null);
    }

    /**
     * @param visionConfig the tower to load from {@code model.vision_tower} and {@code model.embed_vision}, or
     *                     {@code null} for text only
     */
    static Gemma4CausalLm load(ModelContext context, Gemma4TextConfig config, WeightPrefix prefix, boolean tied,
                               long[] placeholders, Gemma4VisionConfig visionConfig) throws ModelLoadException {
        try (LoadGuard guard = new LoadGuard()) {
            Gemma4VisionModel vision = visionConfig == null ? null
                    : guard.add(Gemma4VisionModel.load(context.weights(), visionConfig,
                            WeightPrefix.of("model.vision_tower"), WeightPrefix.of("model.embed_vision"),
                            config.hiddenSize(), context.platform().device()));
            Gemma4TextModel model = guard.add(Gemma4TextModel.load(context, config, prefix));
            Linear lmHead = tied ? Linear.tiedTo(model.embedTokens().embedding())
                    : Linear.load(context.weights(), WeightPrefix.of("lm_head"), config.hiddenSize(),
                            config.vocabSize(), false);
            Tensor ids = placeholders.length == 0 ? null
                    : torch.tensor(placeholders).to(context.platform().device(), ScalarType.Long);
            return guard.done(new Gemma4CausalLm(model, lmHead, config.finalLogitSoftcapping(), ids,
                    config.padTokenId(), vision, context.dtype()));
        }
    }

    Gemma4TextModel model() {
        return model;
    }

    /**
     * Lets each image's (and video frame's) tokens attend to each other both ways, as transformers does for
     * {@code use_bidirectional_attention: "vision"}: the engine keeps each image in one prefill chunk and passes
     * its span, which the sliding layers apply.
     *
     * @return false, changing nothing, when the attention backend cannot apply spans
     */
    boolean attendWithinImagesBothWays() {
        bidirectionalImages = model.spansSupported();
        return bidirectionalImages;
    }

    @Override
    public boolean bidirectionalWithin(String modality) {
        return bidirectionalImages && (modality.equals("image") || modality.equals("video"));
    }

    /** The vision tower, or {@code null} for a text-only model. */
    Gemma4VisionModel vision() {
        return vision;
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
            Tensor hidden;
            if (batch.multimodal() == null) {
                hidden = model.forward(batch, ids);
            } else {
                // Image rows replace the (pad) token embeddings; the Per-Layer Embeddings then take the pad id's
                // table rows and project the merged embeddings, as transformers' Gemma4Model does.
                Tensor merged = batch.multimodal().mergeInto(model.embedTokens().forward(ids));
                hidden = model.forward(batch, ids, merged, Gemma4TextModel.Tap.NONE);
            }
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
    public List<Tensor> embedMultimodal(List<MultimodalItem> items) {
        if (vision == null) {
            throw new UnsupportedOperationException("this Gemma 4 checkpoint has no vision_config: it takes text only, "
                    + "got " + items.size() + " media item(s)");
        }
        List<Tensor> out = new ArrayList<>();
        try {
            for (MultimodalItem item : items) {
                out.add(embedImage(item));
            }
            return out;
        } catch (RuntimeException e) {
            out.forEach(Tensor::close);
            throw e;
        }
    }

    /** One image item's soft tokens {@code [item.length(), hidden]} in the model's dtype on its device. */
    Tensor embedImage(MultimodalItem item) {
        if (!"image".equals(item.modality())) {
            throw new IllegalArgumentException("Gemma4ForConditionalGeneration encodes images only here, got a "
                    + item.modality() + " item");
        }
        try (ForwardScope scope = new ForwardScope()) {
            Tensor pixels = item.input(Gemma4MediaProcessor.PIXEL_VALUES);
            Tensor positions = item.input(Gemma4MediaProcessor.IMAGE_POSITION_IDS);
            ImageInput input = ImageInput.of(pixels, positions, vision.config());
            Device device = lmHead.weight().device();
            Tensor embeds = vision.embedImage(input.pixelValues().to(device, dtype), input.positions().to(device,
                    ScalarType.Long), dtype, Gemma4VisionModel.Tap.NONE);
            if (embeds.size(0) != item.length()) {
                throw new IllegalArgumentException("the image gives " + embeds.size(0) + " soft tokens but its item "
                        + "takes " + item.length() + " tokens of the prompt");
            }
            return scope.keep(embeds);
        }
    }

    @Override
    public void close() {
        if (vision != null) {
            vision.close();
        }
        lmHead.close();
        model.close();
        Held.release(placeholderIds);
    }
}
