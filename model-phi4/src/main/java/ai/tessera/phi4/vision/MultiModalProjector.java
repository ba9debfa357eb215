package ai.tessera.phi4.vision;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.Linear;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The LLaVA-style {@code mlp2x_gelu} projector from vision features into the language model's embedding space:
 * {@code Linear(mm_hidden, hidden)}, exact GELU, {@code Linear(hidden, hidden)}, stored as the checkpoint's
 * {@code nn.Sequential} ({@code mm_projector.0} and {@code mm_projector.2}).
 */
public final class MultiModalProjector implements AutoCloseable {
    public static final String TYPE = "mlp2x_gelu";
    private final Linear linear1;
    private final Linear linear2;

    private MultiModalProjector(Linear linear1, Linear linear2) {
        this.linear1 = linear1;
        this.linear2 = linear2;
    }

    public static MultiModalProjector load(WeightSource weights, WeightPrefix prefix, long visionHidden,
                                           long textHidden) throws ModelLoadException {
        Linear first = Linear.load(weights, prefix.child(0), visionHidden, textHidden, true);
        try {
            return new MultiModalProjector(first, Linear.load(weights, prefix.child(2), textHidden, textHidden, true));
        } catch (ModelLoadException | RuntimeException e) {
            first.close();
            throw e;
        }
    }

    public Tensor forward(Tensor features) {
        return linear2.forward(torch.gelu(linear1.forward(features)));
    }

    @Override
    public void close() {
        linear1.close();
        linear2.close();
    }
}
