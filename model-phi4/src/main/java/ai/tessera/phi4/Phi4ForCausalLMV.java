package ai.tessera.phi4;

import java.util.List;

import ai.tessera.api.AttentionLayerSpec;
import ai.tessera.api.ForwardBatch;
import ai.tessera.api.LoadedModel;
import ai.tessera.api.ModelArchitecture;
import ai.tessera.api.ModelConfig;
import ai.tessera.api.ModelContext;
import ai.tessera.api.ModelLoadException;
import ai.tessera.api.MultimodalItem;
import ai.tessera.nn.ForwardScope;
import ai.tessera.nn.Linear;
import ai.tessera.nn.WeightPrefix;
import ai.tessera.phi4.vision.ImageInputs;
import ai.tessera.phi4.vision.MultiModalProjector;
import ai.tessera.phi4.vision.PackedImages;
import ai.tessera.phi4.vision.Siglip2VisionConfig;
import ai.tessera.phi4.vision.Siglip2VisionModel;
import org.bytedeco.pytorch.Tensor;
import org.osgi.service.component.annotations.Component;

/**
 * {@code Phi4ForCausalLMV} (microsoft/Phi-4-reasoning-vision-15B), as vLLM serves it (phi4siglip.py, PR #38306): a
 * SigLIP2 NaFlex vision tower read at its last-but-one layer, the {@code mlp2x_gelu} projector, and the Phi-3
 * decoder of {@link Phi3ForCausalLM}, whose image placeholder tokens take the projected patch features.
 * Checked against transformers by {@code Phi4VisionParityTest}.
 */
@Component(service = ModelArchitecture.class, property = ModelArchitecture.PROPERTY + "=Phi4ForCausalLMV")
public class Phi4ForCausalLMV implements ModelArchitecture {
    /** {@code hidden_states[-2]}: the checkpoint's {@code Siglip2VisionTower.select_layer}, vLLM's {@code -2}. */
    static final int VISION_FEATURE_LAYER = -2;
    static final WeightPrefix VISION_PREFIX = WeightPrefix.of("model.vision_tower.vision_tower.vision_model");
    static final WeightPrefix PROJECTOR_PREFIX = WeightPrefix.of("model.mm_projector");

    @Override
    public LoadedModel load(ModelContext context) throws ModelLoadException {
        ModelConfig config = context.config();
        Phi3Config text = Phi3Config.from(config);
        Siglip2VisionConfig vision = Siglip2VisionConfig.from(config, "vision_config");
        String projectorType = config.getString("mm_projector_type").orElse(MultiModalProjector.TYPE);
        if (!projectorType.equals(MultiModalProjector.TYPE)) {
            throw new ModelLoadException("config.json mm_projector_type must be '" + MultiModalProjector.TYPE
                    + "' for Phi4ForCausalLMV, got '" + projectorType + "'");
        }
        int mmHidden = config.getInt("mm_hidden_size", 1152);
        if (mmHidden != vision.hiddenSize()) {
            throw new ModelLoadException("config.json mm_hidden_size (" + mmHidden + ") must equal "
                    + "vision_config.hidden_size (" + vision.hiddenSize() + ")");
        }
        Phi3Model model = Phi3Model.load(context, text);
        Linear lmHead = null;
        Siglip2VisionModel tower = null;
        try {
            lmHead = text.tieWordEmbeddings() ? Linear.tiedTo(model.embedTokens())
                    : Linear.load(context.weights(), WeightPrefix.of("lm_head"), text.hiddenSize(), text.vocabSize(),
                            false);
            tower = Siglip2VisionModel.load(context.weights(), VISION_PREFIX, vision, VISION_FEATURE_LAYER);
            MultiModalProjector projector = MultiModalProjector.load(context.weights(), PROJECTOR_PREFIX,
                    vision.hiddenSize(), text.hiddenSize());
            return new VisionLanguageModel(new Phi3ForCausalLM.CausalLm(model, lmHead), tower, projector, vision,
                    context);
        } catch (ModelLoadException | RuntimeException e) {
            if (tower != null) {
                tower.close();
            }
            if (lmHead != null) {
                lmHead.close();
            }
            model.close();
            throw e;
        }
    }

    /** The decoder with the vision tower and projector that turn media items into placeholder embeddings. */
    static final class VisionLanguageModel implements LoadedModel {
        private final Phi3ForCausalLM.CausalLm languageModel;
        private final Siglip2VisionModel visionTower;
        private final MultiModalProjector projector;
        private final Siglip2VisionConfig visionConfig;
        private final ModelContext context;

        VisionLanguageModel(Phi3ForCausalLM.CausalLm languageModel, Siglip2VisionModel visionTower,
                            MultiModalProjector projector, Siglip2VisionConfig visionConfig, ModelContext context) {
            this.languageModel = languageModel;
            this.visionTower = visionTower;
            this.projector = projector;
            this.visionConfig = visionConfig;
            this.context = context;
        }

        @Override
        public List<AttentionLayerSpec> attentionLayers() {
            return languageModel.attentionLayers();
        }

        @Override
        public Tensor forward(ForwardBatch batch) {
            return languageModel.forward(batch);
        }

        @Override
        public int recomputeBeyond() {
            return languageModel.recomputeBeyond();
        }

        /**
         * All items' images in one packed pass through the tower and the projector: checked and packed on the CPU
         * (padding dropped before anything moves), then split back into one {@code [length, hidden]} per item.
         */
        @Override
        public List<Tensor> embedMultimodal(List<MultimodalItem> items) {
            if (items.isEmpty()) {
                return List.of();
            }
            try (ForwardScope scope = new ForwardScope()) {
                PackedImages images = ImageInputs.pack(items, visionConfig);
                Tensor pixels = images.pixels().to(context.platform().device(), context.dtype());
                Tensor features = projector.forward(visionTower.forward(images, pixels));
                return images.splitByItem(features).stream().map(t -> scope.keep(t.contiguous())).toList();
            }
        }

        @Override
        public void close() {
            languageModel.close();
            visionTower.close();
            projector.close();
        }
    }
}
