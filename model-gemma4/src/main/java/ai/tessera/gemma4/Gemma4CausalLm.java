package ai.tessera.gemma4;

import java.util.ArrayList;
import java.util.Arrays;
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
    private final Gemma4AudioModel audio;
    private final ScalarType dtype;
    /** Whether an image's tokens attend to each other both ways on the sliding layers. */
    private boolean bidirectionalImages;

    private Gemma4CausalLm(Gemma4TextModel model, Linear lmHead, OptionalDouble softcap, Tensor placeholderIds,
                           long padTokenId, Gemma4VisionModel vision, Gemma4AudioModel audio, ScalarType dtype) {
        this.model = model;
        this.lmHead = lmHead;
        this.softcap = softcap;
        this.placeholderIds = Held.hold(placeholderIds);
        this.padTokenId = padTokenId;
        this.vision = vision;
        this.audio = audio;
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
        return load(context, config, prefix, tied, placeholders, null, null);
    }

    /**
     * @param visionConfig the tower to load from {@code model.vision_tower} and {@code model.embed_vision}, or
     *                     {@code null} for none
     * @param audioConfig  the tower to load from {@code model.audio_tower} and {@code model.embed_audio}, or
     *                     {@code null} for none
     */
    static Gemma4CausalLm load(ModelContext context, Gemma4TextConfig config, WeightPrefix prefix, boolean tied,
                               long[] placeholders, Gemma4VisionConfig visionConfig, Gemma4AudioConfig audioConfig)
            throws ModelLoadException {
        try (LoadGuard guard = new LoadGuard()) {
            Gemma4VisionModel vision = visionConfig == null ? null
                    : guard.add(Gemma4VisionModel.load(context.weights(), visionConfig,
                            WeightPrefix.of("model.vision_tower"), WeightPrefix.of("model.embed_vision"),
                            config.hiddenSize(), context.platform().device()));
            Gemma4AudioModel audio = audioConfig == null ? null
                    : guard.add(Gemma4AudioModel.load(context.weights(), audioConfig,
                            WeightPrefix.of("model.audio_tower"), WeightPrefix.of("model.embed_audio"),
                            config.hiddenSize()));
            Gemma4TextModel model = guard.add(Gemma4TextModel.load(context, config, prefix));
            Linear lmHead = tied ? Linear.tiedTo(model.embedTokens().embedding())
                    : Linear.load(context.weights(), WeightPrefix.of("lm_head"), config.hiddenSize(),
                            config.vocabSize(), false);
            Tensor ids = placeholders.length == 0 ? null
                    : torch.tensor(placeholders).to(context.platform().device(), ScalarType.Long);
            return guard.done(new Gemma4CausalLm(model, lmHead, config.finalLogitSoftcapping(), ids,
                    config.padTokenId(), vision, audio, context.dtype()));
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

    /** The audio tower, or {@code null} when the checkpoint has none. */
    Gemma4AudioModel audio() {
        return audio;
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
        List<Tensor> out = new ArrayList<>();
        try {
            for (MultimodalItem item : items) {
                out.add(switch (item.modality()) {
                    case Gemma4MediaProcessor.IMAGE -> embedImage(item, Gemma4MediaProcessor.PIXEL_VALUES,
                            Gemma4MediaProcessor.IMAGE_POSITION_IDS);
                    // a video frame is an image to the vision tower (Gemma4Model.get_video_features)
                    case Gemma4MediaProcessor.VIDEO -> embedImage(item, Gemma4MediaProcessor.PIXEL_VALUES_VIDEOS,
                            Gemma4MediaProcessor.VIDEO_POSITION_IDS);
                    case Gemma4MediaProcessor.AUDIO -> embedAudio(item);
                    default -> throw new IllegalArgumentException("Gemma4ForConditionalGeneration encodes images, "
                            + "video frames and audio, got a " + item.modality() + " item");
                });
            }
            return out;
        } catch (RuntimeException e) {
            out.forEach(Tensor::close);
            throw e;
        }
    }

    /** One audio item's soft tokens {@code [item.length(), hidden]} in the model's dtype on its device. */
    Tensor embedAudio(MultimodalItem item) {
        if (audio == null) {
            throw new UnsupportedOperationException("this Gemma 4 checkpoint has no audio_config: it does not take "
                    + "audio");
        }
        try (ForwardScope scope = new ForwardScope()) {
            Tensor features = item.input(Gemma4MediaProcessor.INPUT_FEATURES);
            Tensor mask = item.input(Gemma4MediaProcessor.INPUT_FEATURES_MASK);
            if (features.dim() != 3 || features.size(0) != 1 || mask.dim() != 2
                    || mask.size(1) != features.size(1)) {
                throw new IllegalArgumentException("an audio item needs input_features [1, frames, mel] and "
                        + "input_features_mask [1, frames], got " + Arrays.toString(features.sizes().vec().get())
                        + " and " + Arrays.toString(mask.sizes().vec().get()));
            }
            int valid = (int) mask.to(ScalarType.Long).sum().item_long();
            Device device = lmHead.weight().device();
            Tensor embeds = audio.embedAudio(features.select(0, 0).to(device, ScalarType.Float), valid, dtype,
                    Gemma4AudioModel.Tap.NONE);
            if (embeds.size(0) != item.length()) {
                throw new IllegalArgumentException("the audio gives " + embeds.size(0) + " soft tokens but its item "
                        + "takes " + item.length() + " tokens of the prompt");
            }
            return scope.keep(embeds);
        }
    }

    /** One image item's soft tokens {@code [item.length(), hidden]} in the model's dtype on its device. */
    Tensor embedImage(MultimodalItem item) {
        return embedImage(item, Gemma4MediaProcessor.PIXEL_VALUES, Gemma4MediaProcessor.IMAGE_POSITION_IDS);
    }

    /** An image or video frame item's soft tokens, its pixels and positions read from the inputs so named. */
    private Tensor embedImage(MultimodalItem item, String pixelsName, String positionsName) {
        if (vision == null) {
            throw new UnsupportedOperationException("this Gemma 4 checkpoint has no vision_config: it does not take "
                    + "images or videos");
        }
        try (ForwardScope scope = new ForwardScope()) {
            Tensor pixels = item.input(pixelsName);
            Tensor positions = item.input(positionsName);
            ImageInput input = ImageInput.of(pixels, positions, vision.config());
            Device device = lmHead.weight().device();
            Tensor embeds = vision.embedImage(input.pixelValues().to(device, dtype), input.positions().to(device,
                    ScalarType.Long), dtype, Gemma4VisionModel.Tap.NONE);
            if (embeds.size(0) != item.length()) {
                throw new IllegalArgumentException("the " + item.modality() + " gives " + embeds.size(0)
                        + " soft tokens but its item "
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
        if (audio != null) {
            audio.close();
        }
        lmHead.close();
        model.close();
        Held.release(placeholderIds);
    }
}
