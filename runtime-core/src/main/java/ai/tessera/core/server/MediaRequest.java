package ai.tessera.core.server;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import ai.tessera.api.MediaInput;
import ai.tessera.api.MultimodalPrompt;
import ai.tessera.api.TextEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The media of one chat request, fetched, with the {@code mm_processor_kwargs} that apply to it. Every failure is a
 * 400 naming the content part.
 */
final class MediaRequest {
    private final List<MediaInput> inputs;
    private final Map<String, Object> kwargs;
    private final MediaSupport support;

    private MediaRequest(List<MediaInput> inputs, Map<String, Object> kwargs, MediaSupport support) {
        this.inputs = inputs;
        this.kwargs = kwargs;
        this.support = support;
    }

    static MediaRequest read(ChatMessages chat, ObjectNode body, MediaSupport support) {
        Map<String, Object> kwargs = new LinkedHashMap<>(support.processorKwargs());
        JsonNode own = body.get("mm_processor_kwargs");
        if (own != null && !own.isNull()) {
            if (!own.isObject()) {
                throw Fields.wrongType("mm_processor_kwargs", "an object", own);
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> map = Json.MAPPER.convertValue(own, LinkedHashMap.class);
            kwargs.putAll(map);
        }
        List<MediaInput> inputs = new ArrayList<>();
        for (ChatMessages.MediaPart part : chat.media) {
            try {
                inputs.add(fetch(part, support.fetcher()));
            } catch (IllegalArgumentException e) {
                throw OpenAiException.badRequest(part.where(), part.where() + ": " + e.getMessage());
            }
        }
        return new MediaRequest(inputs, kwargs, support);
    }

    private static MediaInput fetch(ChatMessages.MediaPart part, MediaFetcher fetcher) {
        String type = part.part().get("type").asText();
        JsonNode value = part.part().get(type);
        if (type.equals("input_audio")) {
            if (value == null || !value.isObject() || !value.path("data").isTextual()) {
                throw new IllegalArgumentException("'input_audio' must be an object with base64 'data' and a 'format'");
            }
            String format = value.path("format").isTextual() ? value.get("format").asText() : null;
            return fetcher.base64(part.modality(), value.get("data").asText(), format, part.where() + ".input_audio");
        }
        JsonNode url = value != null && value.isObject() ? value.get("url") : value;
        if (url == null || !url.isTextual() || url.asText().isBlank()) {
            throw new IllegalArgumentException("'" + type + "' must be an object with a 'url'");
        }
        return fetcher.fetch(part.modality(), url.asText());
    }

    /**
     * The prompt with its media processed; a fresh one per call (each engine request owns and frees its own).
     *
     * @param text the model's tokenizer, for processors that write text into placeholder expansions
     */
    MultimodalPrompt process(int[] promptIds, TextEncoder text) {
        try {
            return support.processor().process(promptIds, inputs, kwargs, text);
        } catch (IllegalArgumentException e) {
            throw OpenAiException.badRequest("messages", "The media could not be processed: " + e.getMessage());
        }
    }
}
