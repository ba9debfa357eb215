package ai.tessera.api;

import java.util.Map;

import org.bytedeco.pytorch.Tensor;

/**
 * One preprocessed media item of a prompt: the encoder inputs, and where its embeddings go in the prompt.
 *
 * @param modality    {@code image}, {@code audio} or {@code video}
 * @param offset      index in the expanded prompt of the first token that takes this item's embeddings
 * @param length      how many consecutive tokens take them (the encoder must return exactly this many rows)
 * @param inputs      the encoder inputs by the Hugging Face processor's names ({@code pixel_values},
 *                    {@code image_grid_thw}...), on the CPU; owned by this item
 * @param contentHash a digest of the item's content and processing, so that equal prefixes with equal media can
 *                    share cached keys and values
 */
public record MultimodalItem(String modality, int offset, int length, Map<String, Tensor> inputs, String contentHash)
        implements AutoCloseable {
    public MultimodalItem {
        if (offset < 0 || length <= 0) {
            throw new IllegalArgumentException("a " + modality + " item needs offset >= 0 and length > 0, got offset "
                    + offset + " length " + length);
        }
        inputs = Map.copyOf(inputs);
    }

    /** The input {@code name}; the exception names the item and the inputs it has. */
    public Tensor input(String name) {
        Tensor t = inputs.get(name);
        if (t == null) {
            throw new IllegalArgumentException("the " + modality + " item at token " + offset + " has no input '" + name
                    + "'; it has " + inputs.keySet());
        }
        return t;
    }

    @Override
    public void close() {
        inputs.values().forEach(Tensor::close);
    }
}
