package ai.tessera.api;

import java.util.List;

/**
 * A prompt after multimodal processing.
 *
 * @param tokenIds      the prompt with every placeholder expanded to its item's token count
 * @param items         the items in prompt order; their token ranges do not overlap
 * @param positions     for models with multi-section rotary positions (Qwen2.5-VL's M-RoPE):
 *                      {@code positions[section][token]} for every prompt token; {@code null} when positions are
 *                      simply 0, 1, 2...
 * @param positionDelta what generated tokens add to their index to get their position in every section (the
 *                      M-RoPE "rope delta"); 0 without {@code positions}
 * @param adapter       the model's adapter (a LoRA the checkpoint ships) that every step of this request runs with,
 *                      as the processor chose it from the request's media (Phi-4-multimodal: "vision" or "speech");
 *                      {@code null} for the base model
 */
public record MultimodalPrompt(int[] tokenIds, List<MultimodalItem> items, long[][] positions, long positionDelta,
                               String adapter)
        implements AutoCloseable {
    public MultimodalPrompt {
        items = List.copyOf(items);
        int end = 0;
        for (MultimodalItem item : items) {
            if (item.offset() < end || item.offset() + item.length() > tokenIds.length) {
                throw new IllegalArgumentException("the " + item.modality() + " item at tokens [" + item.offset() + ", "
                        + (item.offset() + item.length()) + ") overlaps the previous item or runs past the prompt of "
                        + tokenIds.length + " tokens");
            }
            end = item.offset() + item.length();
        }
        if (positions != null) {
            for (long[] section : positions) {
                if (section.length != tokenIds.length) {
                    throw new IllegalArgumentException("positions must have one entry per prompt token (" + tokenIds.length
                            + "), got " + section.length);
                }
            }
        }
    }

    /** A prompt that runs on the base model. */
    public MultimodalPrompt(int[] tokenIds, List<MultimodalItem> items, long[][] positions, long positionDelta) {
        this(tokenIds, items, positions, positionDelta, null);
    }

    /** A text-only prompt. */
    public static MultimodalPrompt text(int[] tokenIds) {
        return new MultimodalPrompt(tokenIds, List.of(), null, 0);
    }

    @Override
    public void close() {
        items.forEach(MultimodalItem::close);
    }
}
