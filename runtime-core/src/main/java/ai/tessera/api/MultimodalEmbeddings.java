package ai.tessera.api;

import org.bytedeco.pytorch.Tensor;

/**
 * Encoder outputs that replace token embeddings in one engine step.
 *
 * @param embeddings   {@code [m, hidden]} in the model's dtype, on its device
 * @param tokenIndices int64 {@code [m]}: for each row, the index of the packed token it replaces
 */
public record MultimodalEmbeddings(Tensor embeddings, Tensor tokenIndices) {
    public MultimodalEmbeddings {
        if (embeddings.dim() != 2 || tokenIndices.dim() != 1 || embeddings.size(0) != tokenIndices.size(0)) {
            throw new IllegalArgumentException("multimodal embeddings must be [m, hidden] with m token indices, got "
                    + embeddings.dim() + "-D of " + embeddings.size(0) + " rows and " + tokenIndices.size(0) + " indices");
        }
    }

    /** Writes the embeddings over the rows of {@code tokenEmbeddings} ({@code [tokens, hidden]}) in place. */
    public Tensor mergeInto(Tensor tokenEmbeddings) {
        if (tokenEmbeddings.size(1) != embeddings.size(1)) {
            throw new IllegalArgumentException("multimodal embeddings have width " + embeddings.size(1)
                    + " but the model's token embeddings have width " + tokenEmbeddings.size(1));
        }
        return tokenEmbeddings.index_copy_(0, tokenIndices, embeddings.to(tokenEmbeddings.scalar_type()));
    }
}
