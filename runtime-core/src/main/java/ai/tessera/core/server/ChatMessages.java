package ai.tessera.core.server;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The {@code messages} of a chat request, checked and turned into what chat templates expect: text content parts
 * joined into a string (as vLLM does for templates that take strings), media parts counted per modality and, for a
 * model that takes media, replaced by the model's placeholder text (placeholders first, then the text, as vLLM's
 * "string" content format does).
 */
final class ChatMessages {
    /** A media content part, in prompt order. */
    record MediaPart(String modality, JsonNode part, String where) {
    }

    /** The placeholder text of the {@code index}-th (1-based) item of a modality. */
    interface Placeholders {
        String text(String modality, int index);
    }

    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool");
    private static final Map<String, String> PART_MODALITY = Map.of("image_url", "image", "input_audio", "audio",
            "audio_url", "audio", "video_url", "video");

    final List<Map<String, Object>> messages = new ArrayList<>();
    final Map<String, Integer> mediaCounts = new HashMap<>();
    final List<MediaPart> media = new ArrayList<>();
    private final Placeholders placeholders;

    private ChatMessages(Placeholders placeholders) {
        this.placeholders = placeholders;
    }

    static ChatMessages read(JsonNode node) {
        return read(node, null);
    }

    /** @param placeholders the model's placeholder texts, or null when it takes text only */
    static ChatMessages read(JsonNode node, Placeholders placeholders) {
        if (node == null || node.isNull()) {
            throw OpenAiException.badRequest("messages", "'messages' is required");
        }
        if (!node.isArray() || node.isEmpty()) {
            throw OpenAiException.badRequest("messages", "'messages' must be a non-empty list of messages");
        }
        ChatMessages result = new ChatMessages(placeholders);
        int i = 0;
        for (JsonNode m : node) {
            result.messages.add(result.message(m, "messages[" + i++ + "]"));
        }
        return result;
    }

    private Map<String, Object> message(JsonNode m, String where) {
        if (!m.isObject()) {
            throw OpenAiException.badRequest(where, where + " must be an object with 'role' and 'content'");
        }
        JsonNode role = m.get("role");
        if (role == null || !role.isTextual() || !ROLES.contains(role.asText())) {
            throw OpenAiException.badRequest(where + ".role", where + ".role must be one of " + ROLES + ", got " + role);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("role", role.asText());
        JsonNode content = m.get("content");
        boolean hasToolCalls = m.hasNonNull("tool_calls");
        if (content == null || content.isNull()) {
            if (!role.asText().equals("assistant") || !hasToolCalls) {
                throw OpenAiException.badRequest(where + ".content", where + ".content is required");
            }
            out.put("content", null);
        } else if (content.isTextual()) {
            out.put("content", content.asText());
        } else if (content.isArray()) {
            out.put("content", joinParts(content, where + ".content"));
        } else {
            throw Fields.wrongType(where + ".content", "a string or a list of content parts", content);
        }
        for (String key : List.of("name", "tool_call_id", "reasoning_content")) {
            if (m.hasNonNull(key)) {
                out.put(key, m.get(key).asText());
            }
        }
        if (hasToolCalls) {
            out.put("tool_calls", toolCalls(m.get("tool_calls"), where + ".tool_calls"));
        }
        return out;
    }

    private String joinParts(JsonNode parts, String where) {
        StringBuilder text = new StringBuilder();
        List<String> placed = new ArrayList<>();
        int i = 0;
        for (JsonNode part : parts) {
            String at = where + "[" + i++ + "]";
            JsonNode type = part.get("type");
            if (!part.isObject() || type == null || !type.isTextual()) {
                throw OpenAiException.badRequest(at, at + " must be an object with a 'type'");
            }
            if (type.asText().equals("text")) {
                JsonNode t = part.get("text");
                if (t == null || !t.isTextual()) {
                    throw OpenAiException.badRequest(at + ".text", at + ".text must be a string");
                }
                if (text.length() > 0) {
                    text.append('\n');
                }
                text.append(t.asText());
            } else if (PART_MODALITY.containsKey(type.asText())) {
                String modality = PART_MODALITY.get(type.asText());
                int index = mediaCounts.merge(modality, 1, Integer::sum);
                media.add(new MediaPart(modality, part, at));
                if (placeholders != null) {
                    placed.add(placeholders.text(modality, index));
                }
            } else {
                throw OpenAiException.badRequest(at + ".type", "unknown content part type '" + type.asText()
                        + "'; expected text, image_url, input_audio, audio_url or video_url");
            }
        }
        if (placed.isEmpty()) {
            return text.toString();
        }
        if (text.length() > 0) {
            placed.add(text.toString());
        }
        return String.join("\n", placed);
    }

    /** Assistant tool calls as templates expect them: arguments parsed back into objects where they are JSON. */
    private static List<Object> toolCalls(JsonNode calls, String where) {
        if (!calls.isArray()) {
            throw Fields.wrongType(where, "a list", calls);
        }
        List<Object> out = new ArrayList<>();
        for (JsonNode call : calls) {
            @SuppressWarnings("unchecked")
            Map<String, Object> c = Json.MAPPER.convertValue(call, Map.class);
            Object fn = c.get("function");
            if (fn instanceof Map) {
                @SuppressWarnings("unchecked")
                Map<String, Object> f = (Map<String, Object>) fn;
                Object args = f.get("arguments");
                if (args instanceof String) {
                    try {
                        f.put("arguments", Json.MAPPER.readValue((String) args, Map.class));
                    } catch (com.fasterxml.jackson.core.JsonProcessingException notJson) {
                        // Arguments that are not a JSON object reach the template as the string they are.
                        f.put("arguments", args);
                    }
                }
            }
            out.add(c);
        }
        return out;
    }
}
