package ai.tessera.core.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Typed, validated reads of request fields: every wrong type or out-of-range value is a 400 that names the field,
 * what was expected and what came.
 */
final class Fields {
    private final ObjectNode node;

    Fields(ObjectNode node) {
        this.node = node;
    }

    private JsonNode get(String name) {
        JsonNode v = node.get(name);
        return v == null || v.isNull() ? null : v;
    }

    boolean has(String name) {
        return get(name) != null;
    }

    JsonNode raw(String name) {
        return get(name);
    }

    String requiredString(String name) {
        return optionalString(name).orElseThrow(() -> OpenAiException.badRequest(name, "'" + name + "' is required"));
    }

    Optional<String> optionalString(String name) {
        JsonNode v = get(name);
        if (v == null) {
            return Optional.empty();
        }
        if (!v.isTextual()) {
            throw wrongType(name, "a string", v);
        }
        return Optional.of(v.asText());
    }

    boolean bool(String name, boolean fallback) {
        JsonNode v = get(name);
        if (v == null) {
            return fallback;
        }
        if (!v.isBoolean()) {
            throw wrongType(name, "a boolean", v);
        }
        return v.asBoolean();
    }

    Optional<Integer> optionalInt(String name, int min, int max) {
        JsonNode v = get(name);
        if (v == null) {
            return Optional.empty();
        }
        if (!v.isIntegralNumber()) {
            throw wrongType(name, "an integer", v);
        }
        // Compared as a BigInteger, so that 1e30 gets the range message rather than an overflow.
        java.math.BigInteger value = v.bigIntegerValue();
        if (value.compareTo(java.math.BigInteger.valueOf(min)) < 0
                || value.compareTo(java.math.BigInteger.valueOf(max)) > 0) {
            throw OpenAiException.badRequest(name, "'" + name + "' must be between " + min + " and " + max + ", got "
                    + value);
        }
        return Optional.of(value.intValue());
    }

    Optional<Long> optionalLong(String name) {
        JsonNode v = get(name);
        if (v == null) {
            return Optional.empty();
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw wrongType(name, "an integer", v);
        }
        return Optional.of(v.asLong());
    }

    Optional<Double> optionalDouble(String name, double min, double max) {
        JsonNode v = get(name);
        if (v == null) {
            return Optional.empty();
        }
        if (!v.isNumber()) {
            throw wrongType(name, "a number", v);
        }
        double value = v.asDouble();
        if (!(value >= min && value <= max)) {
            throw OpenAiException.badRequest(name, "'" + name + "' must be between " + shown(min) + " and "
                    + shown(max) + ", got " + shown(value));
        }
        return Optional.of(value);
    }

    /** A number in {@code (exclusiveMin, max]}, e.g. {@code top_p}. */
    Optional<Double> optionalDoubleAbove(String name, double exclusiveMin, double max) {
        Optional<Double> value = optionalDouble(name, -Double.MAX_VALUE, Double.MAX_VALUE);
        if (value.isPresent() && !(value.get() > exclusiveMin && value.get() <= max)) {
            throw OpenAiException.badRequest(name, "'" + name + "' must be greater than " + shown(exclusiveMin)
                    + (max < Double.MAX_VALUE ? " and at most " + shown(max) : "") + ", got " + shown(value.get()));
        }
        return value;
    }

    /** 2 rather than 2.0, so that messages show the numbers as the client wrote them. */
    private static String shown(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }

    /** A string or a list of strings (e.g. {@code stop}); empty when absent. */
    List<String> stringOrList(String name, int maxItems) {
        JsonNode v = get(name);
        List<String> values = new ArrayList<>();
        if (v == null) {
            return values;
        }
        if (v.isTextual()) {
            values.add(v.asText());
        } else if (v.isArray()) {
            for (JsonNode item : v) {
                if (!item.isTextual()) {
                    throw wrongType(name, "a string or a list of strings", v);
                }
                values.add(item.asText());
            }
        } else {
            throw wrongType(name, "a string or a list of strings", v);
        }
        if (values.size() > maxItems) {
            throw OpenAiException.badRequest(name, "'" + name + "' may hold at most " + maxItems + " items, got " + values.size());
        }
        return values;
    }

    static OpenAiException wrongType(String name, String expected, JsonNode got) {
        String shown = got.toString();
        if (shown.length() > 60) {
            shown = shown.substring(0, 57) + "...";
        }
        return OpenAiException.badRequest(name, "'" + name + "' must be " + expected + ", got " + got.getNodeType()
                .toString().toLowerCase(java.util.Locale.ROOT) + " " + shown);
    }
}
