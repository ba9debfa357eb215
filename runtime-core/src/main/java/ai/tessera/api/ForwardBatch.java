package ai.tessera.api;

import org.bytedeco.pytorch.Tensor;

/**
 * The tokens of one engine step, packed sequence after sequence.
 *
 * @param inputIds      int64 {@code [tokens]}
 * @param positions     int64 {@code [tokens]}: each token's position in its sequence (models with M-RoPE get
 *                      their own position layout from their processor)
 * @param attention     where the tokens' keys and values go in the cache and which context each sequence sees
 * @param kvCache       the cache the engine allocated from {@link LoadedModel#attentionLayers()}
 * @param logitsIndices int64 indices into the packed tokens whose logits are wanted (usually each sequence's
 *                      last token); {@code null} means every token
 */
public record ForwardBatch(Tensor inputIds, Tensor positions, AttentionMetadata attention, KvCache kvCache,
                           Tensor logitsIndices) {
    public ForwardBatch {
        if (inputIds.dim() != 1 || positions.dim() != 1 || inputIds.size(0) != positions.size(0)) {
            throw new IllegalArgumentException("inputIds and positions must be 1-D of equal length, got "
                    + inputIds.dim() + "-D of " + inputIds.size(0) + " and " + positions.dim() + "-D of "
                    + positions.size(0));
        }
        long total = 0;
        for (AttentionMetadata.Sequence s : attention.sequences()) {
            total += s.queryLength();
        }
        if (total != inputIds.size(0)) {
            throw new IllegalArgumentException("the sequences' query lengths add up to " + total
                    + " but the batch has " + inputIds.size(0) + " tokens");
        }
    }

    /** Number of packed tokens. */
    public long tokens() {
        return inputIds.size(0);
    }
}
