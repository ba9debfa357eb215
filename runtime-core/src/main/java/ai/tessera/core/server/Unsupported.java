package ai.tessera.core.server;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Request fields that vLLM honours and Tessera cannot yet. A client that sets one relies on it (JSON output, a
 * biased or constrained vocabulary), so it gets a 400 that names the field rather than an answer that silently
 * ignores it. Left at their neutral values (absent, null, empty, {@code response_format: text}) they are accepted.
 */
final class Unsupported {
    private static final String GUIDED = " needs guided (structured) decoding, which this server does not support yet";

    /** OpenAI's response_format types; only {@code text} needs no guided decoding. */
    private static final java.util.List<String> FORMATS = java.util.List.of("text", "json_object", "json_schema");

    /** Fields of both endpoints, with why they are refused. */
    private static final Map<String, String> COMMON = common();

    private static Map<String, String> common() {
        Map<String, String> m = new LinkedHashMap<>();
        for (String guided : new String[] {"guided_json", "guided_regex", "guided_choice", "guided_grammar",
            "structured_outputs"}) {
            m.put(guided, GUIDED);
        }
        m.put("logit_bias", " is not supported yet");
        m.put("allowed_token_ids", " is not supported yet");
        m.put("bad_words", " is not supported yet");
        m.put("prompt_logprobs", " is not supported yet (no prompt logprobs)");
        m.put("min_tokens", " is not supported yet");
        m.put("truncate_prompt_tokens", " is not supported yet; shorten the prompt instead");
        m.put("use_beam_search", " is not supported (no beam search)");
        m.put("return_tokens_as_token_ids", " is not supported yet");
        return Collections.unmodifiableMap(m);
    }

    private Unsupported() {
    }

    static void checkChat(Fields f) {
        checkCommon(f);
        if (f.bool("continue_final_message", false)) {
            throw OpenAiException.badRequest("continue_final_message", "'continue_final_message' is not supported yet");
        }
    }

    /** @param echoLogprobs {@code echo} with {@code logprobs}, which asks for the prompt's logprobs */
    static void checkCompletion(Fields f, boolean echoLogprobs) {
        checkCommon(f);
        if (f.has("suffix")) {
            throw OpenAiException.badRequest("suffix", "'suffix' is not supported");
        }
        if (f.optionalInt("best_of", 1, Integer.MAX_VALUE).orElse(1) > 1) {
            throw OpenAiException.badRequest("best_of", "'best_of' greater than 1 is not supported (as in vLLM's V1"
                    + " engine); use 'n'");
        }
        if (echoLogprobs) {
            throw OpenAiException.badRequest("echo", "'echo' with 'logprobs' needs prompt logprobs, which this"
                    + " server does not support yet");
        }
    }

    private static void checkCommon(Fields f) {
        JsonNode format = f.raw("response_format");
        if (format != null && !format.isNull()) {
            String type = format.path("type").asText("");
            if (!FORMATS.contains(type)) {
                throw OpenAiException.badRequest("response_format", "response_format type must be one of " + FORMATS
                        + ", got " + format.path("type"));
            }
            if (!type.equals("text")) {
                throw OpenAiException.badRequest("response_format", "response_format '" + type + "'" + GUIDED
                        + "; leave it out or use {\"type\":\"text\"}");
            }
        }
        for (Map.Entry<String, String> e : COMMON.entrySet()) {
            JsonNode v = f.raw(e.getKey());
            // a guided field constrains the output whatever its value (an empty schema still asks for JSON)
            boolean guided = e.getValue().equals(GUIDED);
            boolean neutral = v == null || v.isNull() || (!guided && ((v.isContainerNode() && v.isEmpty())
                    || (v.isNumber() && v.asDouble() == 0) || (v.isBoolean() && !v.asBoolean())));
            if (!neutral) {
                throw OpenAiException.badRequest(e.getKey(), "'" + e.getKey() + "'" + e.getValue());
            }
        }
    }
}
