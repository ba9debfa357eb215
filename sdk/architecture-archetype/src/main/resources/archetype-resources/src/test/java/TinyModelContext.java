package ${package};

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import ai.tessera.api.AttentionBackend;
import ai.tessera.api.AttentionLayerSpec;
import ai.tessera.api.ModelConfig;
import ai.tessera.api.ModelContext;
import ai.tessera.api.ModelLoadException;
import ai.tessera.api.Platform;
import ai.tessera.api.WeightSource;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * What the container hands an architecture, for unit tests without a container: a config.json given as a map, the
 * weights given as arrays, float32 on the CPU. The container's own implementations stay inside Tessera; these
 * interfaces are provider types, so a new method in a minor version of the API is one to add here.
 */
final class TinyModelContext implements ModelContext {
    private static final Platform CPU = new Platform() {
        @Override
        public Availability availability() {
            return Availability.yes("unit test");
        }

        @Override
        public Device device() {
            return new Device("cpu");
        }

        @Override
        public int priority() {
            return 0;
        }

        @Override
        public List<String> attentionPreference() {
            return List.of("sdpa");
        }

        @Override
        public boolean nativeCompile() {
            return false;
        }

        @Override
        public boolean graphCapture() {
            return false;
        }
    };

    private final Map<String, Object> config;
    private final Map<String, float[][]> weights;

    /** {@code config}: config.json's keys (nested maps for sections); {@code weights}: each tensor by name, [rows][cols]. */
    TinyModelContext(Map<String, Object> config, Map<String, float[][]> weights) {
        this.config = config;
        this.weights = weights;
    }

    @Override
    public ModelConfig config() {
        return new MapConfig(config);
    }

    @Override
    public WeightSource weights() {
        return new WeightSource() {
            @Override
            public Tensor load(String name, long... shape) throws ModelLoadException {
                float[][] rows = weights.get(name);
                if (rows == null) {
                    throw new ModelLoadException("no tensor " + name + "; the weights hold " + weights.keySet());
                }
                long[] actual = {rows.length, rows.length == 0 ? 0 : rows[0].length};
                if (!Arrays.equals(actual, shape)) {
                    throw new ModelLoadException("tensor " + name + " has shape " + Arrays.toString(actual)
                            + ", expected " + Arrays.toString(shape));
                }
                float[] flat = new float[rows.length * rows[0].length];
                for (int r = 0; r < rows.length; r++) {
                    System.arraycopy(rows[r], 0, flat, r * rows[0].length, rows[0].length);
                }
                return torch.tensor(flat, new TensorOptions(ScalarType.Float)).view(actual);
            }

            @Override
            public Set<String> names() {
                return weights.keySet();
            }
        };
    }

    @Override
    public Platform platform() {
        return CPU;
    }

    @Override
    public ScalarType dtype() {
        return ScalarType.Float;
    }

    @Override
    public Optional<Path> modelDirectory() {
        return Optional.empty();
    }

    @Override
    public AttentionBackend attentionFor(AttentionLayerSpec spec) throws ModelLoadException {
        throw new ModelLoadException("unit tests have no attention backend; test a model with attention layers "
                + "in a container (docs/plugin-sdk.md)");
    }

    /** config.json as nested maps, read by dotted path. */
    private record MapConfig(Map<String, Object> values) implements ModelConfig {
        @Override
        public String architecture() {
            Object names = values.get("architectures");
            if (!(names instanceof List<?> list) || list.isEmpty()) {
                throw new IllegalStateException("config has no architectures: " + values);
            }
            return list.get(0).toString();
        }

        @Override
        public boolean has(String path) {
            return find(path) != null;
        }

        @Override
        public int getInt(String path) throws ModelLoadException {
            return number(path).intValue();
        }

        @Override
        public int getInt(String path, int fallback) {
            return find(path) instanceof Number n ? n.intValue() : fallback;
        }

        @Override
        public double getDouble(String path) throws ModelLoadException {
            return number(path).doubleValue();
        }

        @Override
        public double getDouble(String path, double fallback) {
            return find(path) instanceof Number n ? n.doubleValue() : fallback;
        }

        @Override
        public Optional<String> getString(String path) {
            return find(path) instanceof String s ? Optional.of(s) : Optional.empty();
        }

        @Override
        public boolean getBoolean(String path, boolean fallback) {
            return find(path) instanceof Boolean b ? b : fallback;
        }

        @Override
        public List<Double> getDoubles(String path) {
            List<Double> numbers = new ArrayList<>();
            if (find(path) instanceof List<?> list) {
                list.forEach(n -> numbers.add(((Number) n).doubleValue()));
            }
            return numbers;
        }

        @Override
        @SuppressWarnings("unchecked")
        public Optional<ModelConfig> section(String path) {
            return find(path) instanceof Map<?, ?> map ? Optional.of(new MapConfig((Map<String, Object>) map))
                    : Optional.empty();
        }

        @Override
        public String toJson() {
            return json(values);
        }

        private Number number(String path) throws ModelLoadException {
            if (find(path) instanceof Number n) {
                return n;
            }
            throw new ModelLoadException("config.json has no number " + path + " (keys: " + values.keySet() + ")");
        }

        private Object find(String path) {
            Object node = values;
            for (String key : path.split("\\.")) {
                if (!(node instanceof Map<?, ?> map)) {
                    return null;
                }
                node = map.get(key);
            }
            return node;
        }

        private static String json(Object value) {
            if (value instanceof Map<?, ?> map) {
                return map.entrySet().stream().map(e -> json(e.getKey().toString()) + ":" + json(e.getValue()))
                        .collect(Collectors.joining(",", "{", "}"));
            }
            if (value instanceof List<?> list) {
                return list.stream().map(MapConfig::json).collect(Collectors.joining(",", "[", "]"));
            }
            if (value instanceof String s) {
                return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
            }
            return String.valueOf(value);
        }
    }
}
