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

    /**
     * How many rows of positions the model takes: 1 for plain rotary positions, 3 for Qwen2.5-VL's M-RoPE
     * (temporal, height, width). The engine then passes {@link ForwardBatch#positions()} as
     * {@code [sections, tokens]}, from {@link MultimodalPrompt#positions()} for prompts that have them.
     */
    default int positionSections() {
        return 1;
    }

    /**
     * Runs the encoders over media items (several at once, so the model can batch them).
     *
     * @return for each item, its embeddings {@code [item.length(), hidden]} in the model's dtype on its device
     * @throws IllegalArgumentException when an item's inputs are inconsistent, naming the input and the expected
     *                                  vs actual shape
     */
    /**
     * Whether the tokens of one media item of {@code modality} attend to each other both ways (Gemma 3 and the
     * larger Gemma 4 do so for images). The engine then computes each such item's tokens in one prefill step, never
     * splitting it across chunks, and gives its positions as a {@link AttentionMetadata.Span} of the sequence; the
     * model applies the spans in the layers that use them. Default: causal for every token.
     */
    default boolean bidirectionalWithin(String modality) {
        return false;
    }

    default List<Tensor> embedMultimodal(List<MultimodalItem> items) {
        throw new UnsupportedOperationException("this model takes text only, got " + items.size() + " media item(s)");
    }

    /** Frees the model's native memory. */
    @Override
    void close();
}
