package ai.tessera.qwen25vl;

import java.util.ArrayList;
import java.util.List;

import ai.tessera.api.AttentionLayerSpec;
import ai.tessera.api.ForwardBatch;
import ai.tessera.api.LoadedModel;
import ai.tessera.api.ModelArchitecture;
import ai.tessera.api.ModelContext;
import ai.tessera.api.ModelLoadException;
import ai.tessera.api.MultimodalItem;
import ai.tessera.nn.ForwardScope;
import ai.tessera.nn.Linear;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.osgi.service.component.annotations.Component;

/**
 * {@code Qwen2_5_VLForConditionalGeneration}: the vision tower, whose merged patch tokens replace the expanded
 * {@code <|image_pad|>} / {@code <|video_pad|>} embeddings, and the Qwen2 language model with M-RoPE and
 * {@code lm_head}. Reads the published checkpoints ({@code visual.*}, {@code model.*}) and those transformers 5 saves
 * ({@code model.visual.*}, {@code model.language_model.*}). Checked against transformers by
 * {@code Qwen25VlParityTest}.
 */
@Component(service = ModelArchitecture.class,
        property = ModelArchitecture.PROPERTY + "=Qwen2_5_VLForConditionalGeneration")
public class Qwen25VlForConditionalGeneration implements ModelArchitecture {

    @Override
    public LoadedModel load(ModelContext context) throws ModelLoadException {
        Qwen2TextConfig textConfig = Qwen2TextConfig.from(context.config());
        VisionConfig visionConfig = VisionConfig.from(context.config());
        if (visionConfig.outHiddenSize() != textConfig.hiddenSize()) {
            throw new ModelLoadException("config.json vision_config.out_hidden_size (" + visionConfig.outHiddenSize()
                    + ") must equal the language model's hidden_size (" + textConfig.hiddenSize() + ")");
        }
        CheckpointLayout layout = CheckpointLayout.of(context.weights().names());
        List<AutoCloseable> built = new ArrayList<>();
        try {
            VisionTransformer visual = Modules.track(built, VisionTransformer.load(context, visionConfig,
                    layout.visual()));
            Qwen2TextModel languageModel = Modules.track(built, Qwen2TextModel.load(context, textConfig,
                    layout.languageModel()));
            Linear lmHead = textConfig.tieWordEmbeddings() ? Linear.tiedTo(languageModel.embedTokens())
                    : Linear.load(context.weights(), CheckpointLayout.lmHead(), textConfig.hiddenSize(),
                            textConfig.vocabSize(), false);
            return new ConditionalGeneration(visual, languageModel, lmHead, context.platform().device(),
                    context.dtype());
        } catch (ModelLoadException | RuntimeException e) {
            Modules.closeAll(built, e);
            throw e;
        }
    }

    /** The loaded model: media items through the vision tower, token steps through the language model. */
    static final class ConditionalGeneration implements LoadedModel {
        private final VisionTransformer visual;
        private final Qwen2TextModel languageModel;
        private final Linear lmHead;
        private final Device device;
        private final ScalarType dtype;

        ConditionalGeneration(VisionTransformer visual, Qwen2TextModel languageModel, Linear lmHead, Device device,
                              ScalarType dtype) {
            this.visual = visual;
            this.languageModel = languageModel;
            this.lmHead = lmHead;
            this.device = device;
            this.dtype = dtype;
        }

        @Override
        public List<AttentionLayerSpec> attentionLayers() {
            return languageModel.attentionSpecs();
        }

        /** Temporal, height and width positions (M-RoPE). */
        @Override
        public int positionSections() {
            return 3;
        }

        @Override
        public Tensor forward(ForwardBatch batch) {
            try (ForwardScope scope = new ForwardScope()) {
                Tensor embeds = languageModel.embedTokens().forward(batch.inputIds());
                if (batch.multimodal() != null) {
                    embeds = batch.multimodal().mergeInto(embeds);
                }
                Tensor hidden = languageModel.forward(batch, embeds);
                // Only the wanted rows go through lm_head: for decoding that is one row per sequence.
                if (batch.logitsIndices() != null) {
                    hidden = hidden.index_select(0, batch.logitsIndices());
                }
                return scope.keep(lmHead.forward(hidden).to(ScalarType.Float));
            }
        }

        /**
         * All items' patches through one vision tower call (each image or frame attends only to itself, so batching
         * changes nothing), then split per item.
         */
        @Override
        public List<Tensor> embedMultimodal(List<MultimodalItem> items) {
            if (items.isEmpty()) {
                return List.of();
            }
            try (ForwardScope scope = new ForwardScope()) {
                List<VisionInput> inputs = VisionInput.of(items, visual.config());
                TensorVector pixels = new TensorVector();
                List<VisionGrid> grids = new ArrayList<>();
                for (VisionInput input : inputs) {
                    pixels.push_back(input.pixels());
                    grids.add(input.grid());
                }
                Tensor merged = visual.forward(torch.cat(pixels, 0).to(device, dtype), grids);
                List<Tensor> embeddings = new ArrayList<>();
                long offset = 0;
                for (VisionInput input : inputs) {
                    long length = input.item().length();
                    Tensor rows = merged.narrow(0, offset, length);
                    // Each item's rows get storage of their own, so that one request's embeddings can be freed
                    // while another's from the same call are still in use.
                    embeddings.add(scope.keep(inputs.size() == 1 ? rows : rows.clone()));
                    offset += length;
                }
                return embeddings;
            }
        }

        VisionTransformer visual() {
            return visual;
        }

        Qwen2TextModel languageModel() {
            return languageModel;
        }

        @Override
        public void close() {
            lmHead.close();
            languageModel.close();
            visual.close();
        }
    }
}
