package ai.tessera.api;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;

/**
 * The tokens of one engine step, packed sequence after sequence.
 *
 * @param inputIds      int64 {@code [tokens]}
 * @param positions     int64 {@code [tokens]}: each token's position in its sequence; for models with
 *                      {@link LoadedModel#positionSections()} {@code > 1} (M-RoPE) {@code [sections, tokens]}
 * @param attention     where the tokens' keys and values go in the cache and which context each sequence sees
 * @param kvCache       the cache the engine allocated from {@link LoadedModel#attentionLayers()}
 * @param logitsIndices int64 indices into the packed tokens whose logits are wanted (usually each sequence's
 *                      last token); {@code null} means every token
 * @param multimodal    encoder outputs that replace the embeddings of some of the step's tokens; {@code null}
 *                      when the step has none
 * @param adapters      per sequence (in {@code attention.sequences()} order) the adapter its request runs with
 *                      ({@link MultimodalPrompt#adapter()}), {@code null} entries for the base model; {@code null}
 *                      when every sequence runs on the base model
 */
public record ForwardBatch(Tensor inputIds, Tensor positions, AttentionMetadata attention, KvCache kvCache,
                           Tensor logitsIndices, MultimodalEmbeddings multimodal, List<String> adapters) {
    public ForwardBatch {
        long tokens = inputIds.size(0);
        if (inputIds.dim() != 1 || positions.dim() < 1 || positions.dim() > 2
                || positions.size(positions.dim() - 1) != tokens) {
            throw new IllegalArgumentException("inputIds must be 1-D and positions [tokens] or [sections, tokens] of "
                    + "the same length, got inputIds " + inputIds.dim() + "-D of " + tokens + " and positions "
                    + positions.dim() + "-D of " + positions.size(positions.dim() - 1));
        }
        long total = 0;
        for (AttentionMetadata.Sequence s : attention.sequences()) {
            total += s.queryLength();
        }
        if (total != inputIds.size(0)) {
            throw new IllegalArgumentException("the sequences' query lengths add up to " + total
                    + " but the batch has " + inputIds.size(0) + " tokens");
        }
        if (adapters != null) {
            if (adapters.size() != attention.sequences().size()) {
                throw new IllegalArgumentException("adapters must name one adapter (or null) per sequence: "
                        + attention.sequences().size() + " sequences, got " + adapters.size());
            }
            adapters = Collections.unmodifiableList(new ArrayList<>(adapters));
        }
    }

    /** A step whose sequences all run on the base model. */
    public ForwardBatch(Tensor inputIds, Tensor positions, AttentionMetadata attention, KvCache kvCache,
                        Tensor logitsIndices, MultimodalEmbeddings multimodal) {
        this(inputIds, positions, attention, kvCache, logitsIndices, multimodal, null);
    }

    /** A step with no multimodal embeddings. */
    public ForwardBatch(Tensor inputIds, Tensor positions, AttentionMetadata attention, KvCache kvCache,
                        Tensor logitsIndices) {
        this(inputIds, positions, attention, kvCache, logitsIndices, null);
    }

    /** The same batch with other attention metadata (e.g. {@link AttentionMetadata#causal()} for some layers). */
    public ForwardBatch withAttention(AttentionMetadata other) {
        return new ForwardBatch(inputIds, positions, other, kvCache, logitsIndices, multimodal, adapters);
    }

    /**
     * The adapters this step uses and, for each, the packed indices of the tokens that run with it (ascending);
     * empty when every sequence runs on the base model.
     */
    public Map<String, long[]> adapterTokens() {
        Map<String, List<Long>> rows = new LinkedHashMap<>();
        if (adapters != null) {
            List<AttentionMetadata.Sequence> sequences = attention.sequences();
            for (int i = 0; i < sequences.size(); i++) {
                String adapter = adapters.get(i);
                if (adapter == null) {
                    continue;
                }
                AttentionMetadata.Sequence s = sequences.get(i);
                List<Long> list = rows.computeIfAbsent(adapter, k -> new ArrayList<>());
                for (int t = 0; t < s.queryLength(); t++) {
                    list.add((long) s.queryStart() + t);
                }
            }
        }
        Map<String, long[]> out = new LinkedHashMap<>();
        rows.forEach((k, v) -> out.put(k, v.stream().mapToLong(Long::longValue).toArray()));
        return out;
    }

    /** Number of packed tokens. */
    public long tokens() {
        return inputIds.size(0);
    }
}
