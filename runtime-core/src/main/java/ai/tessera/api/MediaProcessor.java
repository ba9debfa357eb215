package ai.tessera.api;

import java.util.List;
import java.util.Map;

import org.osgi.annotation.versioning.ConsumerType;

/** A {@link MultimodalProcessor} bound to one model's settings. Thread-safe: requests call it concurrently. */
@ConsumerType
public interface MediaProcessor {
    /**
     * The text that stands for one media item in a prompt, as the model's chat template would write it, e.g.
     * {@code <|vision_start|><|image_pad|><|vision_end|>} for Qwen2.5-VL. The server puts it into the message
     * text where a content part carried the item.
     *
     * @param index 1-based number of the item among the prompt's items of that modality
     */
    String placeholderText(String modality, int index);

    /**
     * Decodes and preprocesses the media of one prompt and expands their placeholders in the tokenized prompt,
     * exactly as the Hugging Face processor does.
     *
     * @param promptTokenIds the templated, tokenized prompt, holding one placeholder per item in {@code media}
     *                       order
     * @param kwargs         {@code mm_processor_kwargs} of the request merged over the server's (may be empty)
     * @throws IllegalArgumentException when an item cannot be decoded, exceeds a size limit or does not match
     *                                  the placeholders; the message names the item and expected vs actual values
     */
    MultimodalPrompt process(int[] promptTokenIds, List<MediaInput> media, Map<String, Object> kwargs);

    /**
     * {@link #process(int[], List, Map)} for processors whose placeholder expansions hold text, which they tokenize
     * with {@code text} (Gemma 4 writes each video frame's {@code mm:ss} timestamp). The server calls this form; the
     * default ignores {@code text}.
     *
     * @param text the served model's tokenizer (no special tokens added)
     */
    default MultimodalPrompt process(int[] promptTokenIds, List<MediaInput> media, Map<String, Object> kwargs,
                                     TextEncoder text) {
        return process(promptTokenIds, media, kwargs);
    }
}
