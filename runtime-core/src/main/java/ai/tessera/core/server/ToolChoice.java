package ai.tessera.core.server;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import ai.tessera.api.ToolParser;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * {@code tools} and {@code tool_choice} as vLLM handles them: tools go to the chat template; with
 * {@code tool_choice: "auto"} the model's output is parsed for calls, which needs {@code --enable-auto-tool-choice}
 * and {@code --tool-call-parser}. {@code "required"} and named choices need guided decoding, which Tessera does not
 * have yet: those are refused with a 400 rather than silently ignored.
 */
record ToolChoice(List<Map<String, Object>> templateTools, ToolParser parser) {

    boolean parse() {
        return parser != null;
    }

    static ToolChoice read(Fields f, ServedModel model) {
        JsonNode tools = f.raw("tools");
        List<Map<String, Object>> list = new ArrayList<>();
        if (tools != null) {
            if (!tools.isArray()) {
                throw Fields.wrongType("tools", "a list of tools", tools);
            }
            int i = 0;
            for (JsonNode tool : tools) {
                JsonNode fn = tool.get("function");
                if (!tool.isObject() || !"function".equals(tool.path("type").asText()) || fn == null
                        || !fn.path("name").isTextual()) {
                    throw OpenAiException.badRequest("tools[" + i + "]", "tools[" + i + "] must be "
                            + "{\"type\":\"function\",\"function\":{\"name\":...}}");
                }
                @SuppressWarnings("unchecked")
                Map<String, Object> map = Json.MAPPER.convertValue(tool, LinkedHashMap.class);
                list.add(map);
                i++;
            }
        }
        JsonNode choice = f.raw("tool_choice");
        String mode = choice == null ? (list.isEmpty() ? "none" : "auto") : choice.isTextual() ? choice.asText() : "named";
        switch (mode) {
            case "none":
                return new ToolChoice(list.isEmpty() ? null : list, null);
            case "auto":
                if (list.isEmpty()) {
                    return new ToolChoice(null, null);
                }
                if (!model.autoToolChoice() || model.tools().isEmpty()) {
                    throw OpenAiException.badRequest("tool_choice", "\"auto\" tool choice requires "
                            + "--enable-auto-tool-choice and --tool-call-parser to be set");
                }
                return new ToolChoice(list, model.tools().get());
            case "required":
            case "named":
                throw OpenAiException.badRequest("tool_choice", "tool_choice '" + (choice.isTextual() ? mode
                        : choice.toString()) + "' needs guided decoding, which this server does not support yet; use "
                        + "\"auto\" or \"none\"");
            default:
                throw OpenAiException.badRequest("tool_choice", "tool_choice must be \"none\", \"auto\", \"required\""
                        + " or a named function, got \"" + mode + "\"");
        }
    }

    /** Calls as the API returns them. */
    static List<Map<String, Object>> wire(List<ToolParser.ToolCall> calls) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (ToolParser.ToolCall call : calls) {
            Map<String, Object> fn = new LinkedHashMap<>();
            fn.put("name", call.name());
            fn.put("arguments", call.argumentsJson());
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("id", call.id());
            c.put("type", "function");
            c.put("function", fn);
            out.add(c);
        }
        return out;
    }
}
