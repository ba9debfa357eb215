package ai.tessera.core.chat;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import com.hubspot.jinjava.objects.SafeString;

/**
 * Python's {@code json.dumps} output for the values a template sees (maps, lists, strings, numbers, booleans,
 * null): the separators {@code ", "} and {@code ": "} (or {@code ","} with an indent), insertion order unless
 * {@code sort_keys}, floats as Python's {@code repr}, and non-ASCII characters kept unless {@code ensure_ascii}.
 * The model was trained on exactly these bytes, so tool schemas must not be re-serialized any other way.
 */
final class PythonJson {
    /** The options of {@code json.dumps} that transformers' {@code tojson} forwards; {@code indent} null means none. */
    record Options(boolean ensureAscii, String indent, String itemSeparator, String keySeparator, boolean sortKeys) {
        static Options of(boolean ensureAscii, String indent, List<String> separators, boolean sortKeys) {
            String item = indent == null ? ", " : ",";
            String key = ": ";
            if (separators != null) {
                if (separators.size() != 2) {
                    throw new ChatTemplateException("tojson: separators must be an (item, key) pair, got " + separators);
                }
                item = separators.get(0);
                key = separators.get(1);
            }
            return new Options(ensureAscii, indent, item, key, sortKeys);
        }
    }

    static final Options DEFAULTS = Options.of(false, null, null, false);

    private PythonJson() {
    }

    static String dumps(Object value, Options options) {
        StringBuilder out = new StringBuilder();
        write(out, value, options, 0);
        return out.toString();
    }

    private static void write(StringBuilder out, Object value, Options options, int depth) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof Boolean) {
            out.append((Boolean) value ? "true" : "false");
        } else if (value instanceof CharSequence || value instanceof SafeString || value instanceof Character) {
            writeString(out, value.toString(), options.ensureAscii());
        } else if (value instanceof Double || value instanceof Float || value instanceof BigDecimal) {
            out.append(floatRepr(((Number) value).doubleValue()));
        } else if (value instanceof Number) {
            out.append(value instanceof BigInteger ? value.toString() : Long.toString(((Number) value).longValue()));
        } else if (value instanceof Map) {
            writeObject(out, (Map<?, ?>) value, options, depth);
        } else if (value instanceof Iterable) {
            writeArray(out, ((Iterable<?>) value).iterator(), options, depth);
        } else if (value instanceof Object[]) {
            writeArray(out, List.of((Object[]) value).iterator(), options, depth);
        } else {
            throw new ChatTemplateException("tojson: Object of type " + value.getClass().getSimpleName()
                    + " is not JSON serializable");
        }
    }

    private static void writeObject(StringBuilder out, Map<?, ?> map, Options options, int depth) {
        if (map.isEmpty()) {
            out.append("{}");
            return;
        }
        List<Map.Entry<?, ?>> entries = new ArrayList<>(map.entrySet());
        if (options.sortKeys()) {
            entries.sort((a, b) -> keyText(a.getKey()).compareTo(keyText(b.getKey())));
        }
        out.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> entry : entries) {
            if (!first) {
                out.append(options.itemSeparator());
            }
            newline(out, options, depth + 1);
            writeString(out, keyText(entry.getKey()), options.ensureAscii());
            out.append(options.keySeparator());
            write(out, entry.getValue(), options, depth + 1);
            first = false;
        }
        newline(out, options, depth);
        out.append('}');
    }

    private static void writeArray(StringBuilder out, Iterator<?> items, Options options, int depth) {
        if (!items.hasNext()) {
            out.append("[]");
            return;
        }
        out.append('[');
        boolean first = true;
        while (items.hasNext()) {
            if (!first) {
                out.append(options.itemSeparator());
            }
            newline(out, options, depth + 1);
            write(out, items.next(), options, depth + 1);
            first = false;
        }
        newline(out, options, depth);
        out.append(']');
    }

    private static void newline(StringBuilder out, Options options, int depth) {
        if (options.indent() != null) {
            out.append('\n').append(options.indent().repeat(depth));
        }
    }

    /** Python turns keys into strings: None, booleans and numbers as JSON writes them. */
    private static String keyText(Object key) {
        if (key == null) {
            return "null";
        }
        if (key instanceof Boolean) {
            return (Boolean) key ? "true" : "false";
        }
        if (key instanceof Double || key instanceof Float) {
            return floatRepr(((Number) key).doubleValue());
        }
        return key.toString();
    }

    private static void writeString(StringBuilder out, String s, boolean ensureAscii) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': out.append("\\\""); break;
                case '\\': out.append("\\\\"); break;
                case '\n': out.append("\\n"); break;
                case '\r': out.append("\\r"); break;
                case '\t': out.append("\\t"); break;
                case '\b': out.append("\\b"); break;
                case '\f': out.append("\\f"); break;
                default:
                    if (c < 0x20 || (ensureAscii && c > 0x7e)) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
            }
        }
        out.append('"');
    }

    /**
     * Python's {@code repr(float)}: the shortest digits that round-trip, positional for exponents from -4 to 15
     * (always with a fraction), scientific otherwise ({@code 1e-05}, {@code 1.5e+16}).
     */
    static String floatRepr(double value) {
        if (Double.isNaN(value)) {
            return "NaN";
        }
        if (Double.isInfinite(value)) {
            return value > 0 ? "Infinity" : "-Infinity";
        }
        if (value == 0) {
            return 1 / value < 0 ? "-0.0" : "0.0";
        }
        BigDecimal decimal = new BigDecimal(Double.toString(Math.abs(value))).stripTrailingZeros();
        String digits = decimal.unscaledValue().toString();
        int exponent = digits.length() - 1 - decimal.scale();
        String sign = value < 0 ? "-" : "";
        if (exponent < -4 || exponent >= 16) {
            String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
            return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + String.format("%02d", Math.abs(exponent));
        }
        if (exponent < 0) {
            return sign + "0." + "0".repeat(-exponent - 1) + digits;
        }
        if (digits.length() <= exponent + 1) {
            return sign + digits + "0".repeat(exponent + 1 - digits.length()) + ".0";
        }
        return sign + digits.substring(0, exponent + 1) + "." + digits.substring(exponent + 1);
    }
}
