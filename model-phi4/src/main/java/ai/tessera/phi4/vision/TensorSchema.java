package ai.tessera.phi4.vision;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The shapes and dtypes a model's processed inputs must have, in the spirit of vLLM's {@code TensorSchema}: each
 * dimension is a fixed size or a named symbol ({@code bn}, {@code d}...) that must be the same wherever it
 * appears, and each field has the dtypes it may take. {@link #check} binds the symbols from the tensors and fails
 * with an {@link IllegalArgumentException} that names the field, the dimension and expected vs actual values, so a
 * malformed input never reaches libtorch.
 */
public final class TensorSchema {
    private final String what;
    private final List<Field> fields;

    private TensorSchema(String what, List<Field> fields) {
        this.what = what;
        this.fields = List.copyOf(fields);
    }

    /** One field: its name, allowed dtypes and dimensions (each a {@link String} symbol or an {@link Integer}). */
    public record Field(String name, Set<ScalarType> dtypes, List<Object> dims) {
        public Field {
            dtypes = Set.copyOf(dtypes);
            dims = List.copyOf(dims);
            for (Object dim : dims) {
                if (!(dim instanceof String) && !(dim instanceof Integer)) {
                    throw new IllegalArgumentException("a dimension is a symbol or an Integer, got " + dim);
                }
            }
        }

        String shape(Map<String, Long> bound) {
            return dims.stream().map(d -> d instanceof String s && bound.containsKey(s) ? s + "=" + bound.get(s)
                    : String.valueOf(d)).collect(Collectors.joining(", ", "[", "]"));
        }
    }

    public static Builder of(String what) {
        return new Builder(what);
    }

    /** Builds a schema field by field. */
    public static final class Builder {
        private final String what;
        private final List<Field> fields = new ArrayList<>();

        private Builder(String what) {
            this.what = what;
        }

        public Builder field(String name, Set<ScalarType> dtypes, Object... dims) {
            fields.add(new Field(name, dtypes, Arrays.asList(dims)));
            return this;
        }

        public TensorSchema build() {
            return new TensorSchema(what, fields);
        }
    }

    /**
     * Checks {@code inputs} against the schema, with some symbols bound in advance (e.g. the feature size the
     * model's patch size implies).
     *
     * @return every symbol's size
     */
    public Map<String, Long> check(Map<String, Tensor> inputs, Map<String, Long> preset) {
        Map<String, Long> bound = new LinkedHashMap<>(preset);
        Map<String, String> boundBy = new LinkedHashMap<>();
        preset.keySet().forEach(s -> boundBy.put(s, "the model's configuration"));
        for (Field field : fields) {
            Tensor t = inputs.get(field.name());
            if (t == null) {
                throw new IllegalArgumentException(what + ": missing '" + field.name() + "' " + field.shape(bound)
                        + "; got " + inputs.keySet());
            }
            ScalarType dtype = t.scalar_type().intern();
            if (!field.dtypes().contains(dtype)) {
                throw new IllegalArgumentException(what + ": '" + field.name() + "' must be " + names(field.dtypes())
                        + ", got " + dtype);
            }
            long[] actual = new long[(int) t.dim()];
            for (int i = 0; i < actual.length; i++) {
                actual[i] = t.size(i);
            }
            if (actual.length != field.dims().size()) {
                throw new IllegalArgumentException(what + ": '" + field.name() + "' must have shape "
                        + field.shape(bound) + ", got " + Arrays.toString(actual));
            }
            for (int i = 0; i < actual.length; i++) {
                Object dim = field.dims().get(i);
                long expected;
                if (dim instanceof Integer fixed) {
                    expected = fixed;
                } else {
                    String symbol = (String) dim;
                    if (!bound.containsKey(symbol)) {
                        bound.put(symbol, actual[i]);
                        boundBy.put(symbol, "'" + field.name() + "'");
                        continue;
                    }
                    expected = bound.get(symbol);
                }
                if (actual[i] != expected) {
                    String symbol = dim instanceof String s ? " (" + s + ", set by " + boundBy.get(s) + ")" : "";
                    throw new IllegalArgumentException(what + ": '" + field.name() + "' must have shape "
                            + field.shape(bound) + ", got " + Arrays.toString(actual) + ": dimension " + i
                            + symbol + " should be " + expected);
                }
            }
        }
        return bound;
    }

    private static String names(Set<ScalarType> dtypes) {
        return dtypes.size() == 1 ? dtypes.iterator().next().toString()
                : "one of " + dtypes.stream().map(Enum::toString).sorted().collect(Collectors.toList());
    }

    /** Convenience for dtype sets. */
    public static Set<ScalarType> dtypes(ScalarType first, ScalarType... rest) {
        return EnumSet.of(first, rest);
    }
}
