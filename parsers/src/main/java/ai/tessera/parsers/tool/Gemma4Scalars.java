package ai.tessera.parsers.tool;

import java.math.BigInteger;
import java.util.Locale;
import java.util.regex.Pattern;

import ai.tessera.parsers.text.PythonWhitespace;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

/**
 * A bare (unquoted) Gemma 4 argument value, typed as vLLM types it: {@code true}/{@code false}, {@code null}
 * (also {@code none}/{@code nil}, any case), a number (a float when it contains a dot, else an integer, with
 * Python's literal rules) and otherwise the text itself.
 */
final class Gemma4Scalars {
    private static final String DIGITS = "[0-9](?:_?[0-9])*";
    private static final Pattern PYTHON_INT = Pattern.compile("[+-]?" + DIGITS);
    private static final Pattern PYTHON_FLOAT = Pattern.compile(
            "[+-]?(?:" + DIGITS + ")?\\.?(?:" + DIGITS + ")?(?:[eE][+-]?" + DIGITS + ")?");
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private Gemma4Scalars() {
    }

    static JsonNode parse(String raw) {
        String value = PythonWhitespace.strip(raw);
        if (value.equals("true") || value.equals("false")) {
            return NODES.booleanNode(value.equals("true"));
        }
        String lower = value.toLowerCase(Locale.ROOT);
        if (lower.equals("null") || lower.equals("none") || lower.equals("nil")) {
            return NODES.nullNode();
        }
        if (value.indexOf('.') >= 0) {
            if (isPythonFloat(value)) {
                return NODES.numberNode(Double.parseDouble(value.replace("_", "")));
            }
        } else if (PYTHON_INT.matcher(value).matches()) {
            return NODES.numberNode(new BigInteger(value.replace("_", "")));
        }
        return NODES.textNode(value);
    }

    /** Python's {@code float()} on text with a dot: needs a digit in the mantissa (so not {@code "."} alone). */
    private static boolean isPythonFloat(String value) {
        if (!PYTHON_FLOAT.matcher(value).matches()) {
            return false;
        }
        int exponent = Math.max(value.indexOf('e'), value.indexOf('E'));
        String mantissa = exponent < 0 ? value : value.substring(0, exponent);
        return mantissa.chars().anyMatch(Character::isDigit) && mantissa.indexOf('.') >= 0;
    }
}
