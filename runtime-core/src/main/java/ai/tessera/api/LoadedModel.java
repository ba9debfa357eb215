package ai.tessera.api;

import java.util.List;

import org.bytedeco.pytorch.Tensor;
import org.osgi.annotation.versioning.ConsumerType;

/** A model ready to run: its attention layers (for sizing the KV cache) and a forward pass to logits. */
@ConsumerType
public interface LoadedModel extends AutoCloseable {
    /**
     * One entry per layer of the KV cache, in order; models with mixed layers (Gemma 4) give mixed specs. A layer
     * that attends over another layer's keys and values (Gemma 4's KV sharing) has no cache layer of its own.
     */
    List<AttentionLayerSpec> attentionLayers();

    /**
     * Runs the model over a batch of tokens.
     *
     * @return float32 logits {@code [n, vocab]} for the {@code n} tokens of {@link ForwardBatch#logitsIndices()}
     */
    Tensor forward(ForwardBatch batch);

    /**
     * The sequence length beyond which the model computes every position differently (Phi-3's LongRoPE switches
     * to its long factors for the whole sequence), so keys and values cached while the sequence was shorter are
     * stale. The engine then computes the whole sequence again, and shares prefix-cache blocks only among
     * sequences on the same side of it. 0 when the model has no such length.
     */
    default int recomputeBeyond() {
        return 0;
    }

    /** Frees the model's native memory. */
    @Override
    void close();
}
