package ai.tessera.phi4mm;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import ai.tessera.api.AttentionLayerSpec;
import ai.tessera.api.ForwardBatch;
import ai.tessera.api.LoadedModel;
import ai.tessera.api.ModelArchitecture;
import ai.tessera.api.ModelContext;
import ai.tessera.api.ModelLoadException;
import ai.tessera.api.MultimodalItem;
import ai.tessera.nn.ForwardScope;
import ai.tessera.nn.Linear;
import ai.tessera.nn.WeightPrefix;
import ai.tessera.phi4mm.audio.AudioInputs;
import ai.tessera.phi4mm.audio.Phi4MMAudioConfig;
import ai.tessera.phi4mm.audio.Phi4MMAudioEmbedding;
import ai.tessera.phi4mm.audio.ProjectionMode;
import ai.tessera.phi4mm.vision.Phi4MMImageEmbedding;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.osgi.service.component.annotations.Component;

/**
 * {@code Phi4MMForCausalLM} (microsoft/Phi-4-multimodal-instruct), from the checkpoint's original layout as vLLM
 * loads it: the Phi-3 decoder whose attention and MLP linears carry two LoRA adapters ("vision", "speech") that
 * each request selects through its media (the processor's choice, kept by the engine for all its steps); the
 * SigLIP tower with the HD transform and projection of {@code model.embed_tokens_extend.image_embed}; the conformer
 * audio encoder and its speech/vision projections of {@code model.embed_tokens_extend.audio_embed}. Checked
 * against transformers by {@code Phi4MMParityTest}.
 */
@Component(service = ModelArchitecture.class, property = ModelArchitecture.PROPERTY + "=Phi4MMForCausalLM")
public class Phi4MMForCausalLM implements ModelArchitecture {
    static final WeightPrefix IMAGE_PREFIX = WeightPrefix.of("model.embed_tokens_extend.image_embed");

    @Override
    public LoadedModel load(ModelContext context) throws ModelLoadException {
        Phi4MMConfig config = Phi4MMConfig.from(context.config());
        Phi4MMModel model = Phi4MMModel.load(context, config);
        List<AutoCloseable> built = new ArrayList<>();
        try {
            Linear lmHead = config.tieWordEmbeddings() ? Linear.tiedTo(model.embedTokens())
                    : Linear.load(context.weights(), WeightPrefix.of("lm_head"), config.hiddenSize(),
                            config.vocabSize(), false);
            built.add(lmHead);
            Phi4MMImageEmbedding image = Phi4MMImageEmbedding.load(context.weights(), IMAGE_PREFIX, config.vision(),
                    config.cropSize(), config.hiddenSize());
            built.add(image);
            Phi4MMAudioEmbedding audio = Phi4MMAudioEmbedding.load(context.weights(), Phi4MMAudioEmbedding.PREFIX,
                    Phi4MMAudioConfig.from(context.config()));
            built.add(audio);
            return new MultimodalLm(model, lmHead, image, audio, context);
        } catch (ModelLoadException | RuntimeException e) {
            for (AutoCloseable module : built) {
                try {
                    module.close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            model.close();
            throw e;
        }
    }

    /** The loaded model: logits of the wanted tokens; the media encoders for {@link #embedMultimodal}. */
    static final class MultimodalLm implements LoadedModel {
        private final Phi4MMModel model;
        private final Linear lmHead;
        private final Phi4MMImageEmbedding image;
        private final Phi4MMAudioEmbedding audio;
        private final ModelContext context;

        MultimodalLm(Phi4MMModel model, Linear lmHead, Phi4MMImageEmbedding image, Phi4MMAudioEmbedding audio,
                     ModelContext context) {
            this.model = model;
            this.lmHead = lmHead;
            this.image = image;
            this.audio = audio;
            this.context = context;
        }

        @Override
        public List<AttentionLayerSpec> attentionLayers() {
            return model.attentionSpecs();
        }

        @Override
        public Tensor forward(ForwardBatch batch) {
            try (ForwardScope scope = new ForwardScope()) {
                Tensor hidden = model.forward(batch);
                if (batch.logitsIndices() != null) {
                    hidden = hidden.index_select(0, batch.logitsIndices());
                }
                return scope.keep(lmHead.forward(hidden).to(ScalarType.Float));
            }
        }

        /** LongRoPE: a sequence that grows past {@code original_max_position_embeddings} is recomputed. */
        @Override
        public int recomputeBeyond() {
            return model.rotaryEmb().recomputeBeyond();
        }

        /**
         * Images through the tower in one pass over all their crops, audio clips through the conformer in one pass
         * per projection mode; each item's rows returned in the items' order.
         */
        @Override
        public List<Tensor> embedMultimodal(List<MultimodalItem> items) {
            Tensor[] out = new Tensor[items.size()];
            try (ForwardScope scope = new ForwardScope()) {
                List<MultimodalItem> images = new ArrayList<>();
                List<Integer> imageSlots = new ArrayList<>();
                Map<ProjectionMode, List<Integer>> audioSlots = new EnumMap<>(ProjectionMode.class);
                for (int i = 0; i < items.size(); i++) {
                    MultimodalItem item = items.get(i);
                    switch (item.modality()) {
                        case "image" -> {
                            images.add(item);
                            imageSlots.add(i);
                        }
                        case "audio" -> audioSlots.computeIfAbsent(projectionMode(item), m -> new ArrayList<>()).add(i);
                        default -> throw new IllegalArgumentException("Phi4MMForCausalLM cannot embed a "
                                + item.modality() + " item (item at token " + item.offset() + ")");
                    }
                }
                List<Tensor> imageRows = image.embed(images, context.platform().device(), context.dtype());
                for (int k = 0; k < imageSlots.size(); k++) {
                    out[imageSlots.get(k)] = scope.keep(imageRows.get(k).contiguous());
                }
                for (Map.Entry<ProjectionMode, List<Integer>> e : audioSlots.entrySet()) {
                    List<Tensor> features = new ArrayList<>();
                    for (int slot : e.getValue()) {
                        features.add(items.get(slot).input(AudioInputs.FEATURES).to(context.platform().device(),
                                context.dtype()));
                    }
                    List<Tensor> rows = audio.embed(features, e.getKey());
                    for (int k = 0; k < rows.size(); k++) {
                        out[e.getValue().get(k)] = scope.keep(rows.get(k).contiguous());
                    }
                }
            }
            return List.of(out);
        }

        private static ProjectionMode projectionMode(MultimodalItem item) {
            long mode = item.input(AudioInputs.PROJECTION_MODE).item_long();
            if (mode < 0 || mode >= ProjectionMode.values().length) {
                throw new IllegalArgumentException("the audio item at token " + item.offset() + " has "
                        + AudioInputs.PROJECTION_MODE + " " + mode + "; 0 (speech) or 1 (vision) expected");
            }
            return ProjectionMode.values()[(int) mode];
        }

        @Override
        public void close() {
            lmHead.close();
            image.close();
            audio.close();
            model.close();
        }
    }
}
