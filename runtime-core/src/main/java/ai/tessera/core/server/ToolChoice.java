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
 * and {@code --tool-call-parser}. vLLM forces {@code "required"} and a named function with guided decoding, which
 * Tessera does not have: it honours them when the tool-call parser has a {@link ToolParser#callOpening call
 * opening} (Gemma 4's {@code <|tool_call>call:NAME{}), appended to the prompt so that the model writes the call;
 * otherwise they are refused with a 400 rather than silently ignored.
 *
 * @param opening        text appended to the prompt that the output continues, or null
 * @param firstCallOnly  whether only the first call counts (a named function)
 */
record ToolChoice(List<Map<String, Object>> templateTools, ToolParser parser, String opening, boolean firstCallOnly) {

    ToolChoice(List<Map<String, Object>> templateTools, ToolParser parser) {
        this(templateTools, parser, null, false);
    }

    boolean parse() {
        return parser != null;
    }

    static ToolChoice read(Fields f, ServedModel model) {
        JsonNode tools = f.raw("tools");
        List<Map<String, Object>> list = new ArrayList<>();
        List<String> names = new ArrayList<>();
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
                names.add(fn.get("name").asText());
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
                String function = mode.equals("named") ? namedFunction(choice, names) : null;
                if (list.isEmpty()) {
                    throw OpenAiException.badRequest("tool_choice", "tool_choice '" + mode + "' needs 'tools'");
                }
                ToolParser parser = model.tools().orElse(null);
                String opening = parser == null ? null : parser.callOpening(function).orElse(null);
                if (opening == null) {
                    throw OpenAiException.badRequest("tool_choice", "tool_choice '" + (choice.isTextual() ? mode
                            : choice.toString()) + "' needs guided decoding, which this server does not support yet,"
                            + " or a --tool-call-parser that can open a call (gemma4); use \"auto\" or \"none\"");
                }
                return new ToolChoice(list, parser, opening, function != null);
            default:
                throw OpenAiException.badRequest("tool_choice", "tool_choice must be \"none\", \"auto\", \"required\""
                        + " or a named function, got \"" + mode + "\"");
        }
    }

    /** The function of {@code {"type":"function","function":{"name":...}}}, which must be one of the tools. */
    private static String namedFunction(JsonNode choice, List<String> names) {
        String name = choice.path("function").path("name").asText(null);
        if (!"function".equals(choice.path("type").asText()) || name == null) {
            throw OpenAiException.badRequest("tool_choice", "a named tool_choice must be {\"type\":\"function\","
                    + "\"function\":{\"name\":...}}, got " + choice);
        }
        if (!names.contains(name)) {
            throw OpenAiException.badRequest("tool_choice", "Tool '" + name + "' has not been passed in 'tools' "
                    + names);
        }
        return name;
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
