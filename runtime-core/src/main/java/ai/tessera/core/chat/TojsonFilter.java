package ai.tessera.core.chat;

import java.util.List;
import java.util.Map;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.AdvancedFilter;

/**
 * transformers' {@code tojson} filter, {@code json.dumps(x, ensure_ascii=False, indent=None, separators=None,
 * sort_keys=False)}, in place of Jinjava's (Jackson's compact output) and Jinja2's (HTML-escaped, sorted keys).
 * Arguments may be positional in that order or named.
 */
final class TojsonFilter implements AdvancedFilter {
    private static final List<String> PARAMETERS = List.of("ensure_ascii", "indent", "separators", "sort_keys");

    @Override
    public String getName() {
        return "tojson";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
        Object[] values = new Object[PARAMETERS.size()];
        if (args.length > values.length) {
            throw new ChatTemplateException("tojson takes at most " + values.length + " positional arguments ("
                    + String.join(", ", PARAMETERS) + "), got " + args.length);
        }
        System.arraycopy(args, 0, values, 0, args.length);
        for (Map.Entry<String, Object> named : kwargs.entrySet()) {
            int index = PARAMETERS.indexOf(named.getKey());
            if (index < 0) {
                throw new ChatTemplateException("tojson got an unexpected keyword argument '" + named.getKey()
                        + "'; it takes " + String.join(", ", PARAMETERS));
            }
            values[index] = named.getValue();
        }
        PythonJson.Options options = PythonJson.Options.of(truthy(values[0]), indent(values[1]), separators(values[2]),
                truthy(values[3]));
        return PythonJson.dumps(var, options);
    }

    private static String indent(Object indent) {
        if (indent == null) {
            return null;
        }
        if (indent instanceof Number) {
            return " ".repeat(Math.max(0, ((Number) indent).intValue()));
        }
        return indent.toString();
    }

    private static List<String> separators(Object separators) {
        if (separators == null) {
            return null;
        }
        if (!(separators instanceof List)) {
            throw new ChatTemplateException("tojson: separators must be an (item, key) pair, got " + separators);
        }
        return ((List<?>) separators).stream().map(String::valueOf).toList();
    }

    private static boolean truthy(Object value) {
        if (value instanceof Boolean) {
            return (Boolean) value;
        }
        if (value instanceof Number) {
            return ((Number) value).doubleValue() != 0;
        }
        if (value instanceof CharSequence) {
            return ((CharSequence) value).length() > 0;
        }
        return value != null;
    }
}
