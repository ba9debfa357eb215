package ai.tessera.examples.vision;

import java.util.ArrayList;
import java.util.List;

import ai.tessera.api.AttentionBackend;
import ai.tessera.api.AttentionLayerSpec;
import ai.tessera.api.ForwardBatch;
import ai.tessera.api.LoadedModel;
import ai.tessera.api.ModelArchitecture;
import ai.tessera.api.ModelConfig;
import ai.tessera.api.ModelContext;
import ai.tessera.api.ModelLoadException;
import ai.tessera.api.MultimodalItem;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.osgi.service.component.annotations.Component;

/**
 * A third-party vision-language model written against Tessera's exported API alone, to show (and test) how media
 * reach a model: each image becomes {@value QuadrantImageProcessor#TOKENS_PER_IMAGE} embeddings, a linear
 * projection of the mean colour of its four quadrants, which replace the image's placeholder tokens. One
 * single-head attention layer lets later tokens see them: {@code logits = lm_head(h + attention(h))}.
 *
 * <p>config.json: {@code {"architectures":["TesseraExampleVisionLM"], "vocab_size": V, "hidden_size": H,
 * "image_token_id": I, "image_token": "<|image|>"}}; weights {@code model.embed_tokens.weight [V, H]},
 * {@code vision.proj.weight [H, 3]}, {@code lm_head.weight [V, H]}.
 */
@Component(service = ModelArchitecture.class, property = ModelArchitecture.PROPERTY + "=TesseraExampleVisionLM")
public class QuadrantVisionModel implements ModelArchitecture {

    @Override
    public LoadedModel load(ModelContext context) throws ModelLoadException {
        ModelConfig config = context.config();
        int vocab = config.getInt("vocab_size");
        int hidden = config.getInt("hidden_size");
        AttentionLayerSpec spec = AttentionLayerSpec.causal(hidden, 1, 1, context.dtype());
        return new Loaded(context.weights().load("model.embed_tokens.weight", vocab, hidden),
                context.weights().load("vision.proj.weight", hidden, 3),
                context.weights().load("lm_head.weight", vocab, hidden), spec, context.attentionFor(spec));
    }

    private static final class Loaded implements LoadedModel {
        private final Tensor embedTokens;
        private final Tensor visionProj;
        private final Tensor lmHead;
        private final AttentionLayerSpec spec;
        private final AttentionBackend attention;

        Loaded(Tensor embedTokens, Tensor visionProj, Tensor lmHead, AttentionLayerSpec spec, AttentionBackend attention) {
            this.embedTokens = embedTokens;
            this.visionProj = visionProj;
            this.lmHead = lmHead;
            this.spec = spec;
            this.attention = attention;
        }

        @Override
        public List<AttentionLayerSpec> attentionLayers() {
            return List.of(spec);
        }

        @Override
        public List<Tensor> embedMultimodal(List<MultimodalItem> items) {
            List<Tensor> out = new ArrayList<>();
            for (MultimodalItem item : items) {
                Tensor means = item.input(QuadrantImageProcessor.INPUT);
                if (means.dim() != 2 || means.size(0) != item.length() || means.size(1) != 3) {
                    throw new IllegalArgumentException(QuadrantImageProcessor.INPUT + " must be [" + item.length()
                            + ", 3], got " + java.util.Arrays.toString(means.shape()));
                }
                out.add(torch.matmul(means.to(embedTokens.device(), visionProj.scalar_type()), visionProj.t()));
            }
            return out;
        }

        @Override
        public Tensor forward(ForwardBatch batch) {
            long tokens = batch.tokens();
            int hidden = spec.headDim();
            Tensor h = torch.embedding(embedTokens, batch.inputIds());
            if (batch.multimodal() != null) {
                batch.multimodal().mergeInto(h);
            }
            Tensor qkv = h.view(tokens, 1, hidden);
            Tensor seen = attention.forward(qkv, qkv, qkv, batch.kvCache().layer(0), batch.attention(), spec,
                    1.0 / Math.sqrt(hidden));
            Tensor out = h.add(seen.view(tokens, hidden));
            if (batch.logitsIndices() != null) {
                out = out.index_select(0, batch.logitsIndices());
            }
            return torch.matmul(out, lmHead.t()).to(ScalarType.Float);
        }

        @Override
        public void close() {
            embedTokens.close();
            visionProj.close();
            lmHead.close();
        }
    }
}
