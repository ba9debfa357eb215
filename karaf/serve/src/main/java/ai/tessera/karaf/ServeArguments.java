package ai.tessera.karaf;

import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The {@code tessera serve} command line that a configuration stands for, with the conventions of the model
 * configurations ({@code ai.tessera.model-NAME.cfg}, docs/operations.md): {@code model} is the model folder and every
 * other key is a flag of {@code serve} without its dashes, written with {@code -} or {@code _}
 * ({@code max_model_len = 8192} is {@code --max-model-len=8192}; {@code enforce_eager = true} is the bare flag and
 * {@code false} leaves it out; {@code enable_prefix_caching = false} is {@code --no-enable-prefix-caching}). Keys with
 * a dot ({@code service.pid}, {@code felix.fileinstall.filename}) belong to the container and are skipped. Without
 * {@code model}, serve serves the models of the {@code ai.tessera.model-NAME} configurations.
 */
record ServeArguments(Optional<String> model, String host, int port, List<String> command) {
    static final String MODEL = "model";
    static final String DEFAULT_HOST = "127.0.0.1";
    static final int DEFAULT_PORT = 8000;

    static ServeArguments of(Map<String, ?> config) {
        List<String> command = new ArrayList<>(List.of("serve"));
        Optional<String> model = Optional.empty();
        String host = DEFAULT_HOST;
        int port = DEFAULT_PORT;
        for (Map.Entry<String, ?> e : new TreeMap<>(config).entrySet()) {
            String key = e.getKey();
            if (key.contains(".")) {
                continue;
            }
            String flag = key.replace('_', '-');
            if (flag.startsWith("-") || flag.isBlank()) {
                throw new IllegalArgumentException("configuration key '" + key + "' of " + ConfiguredServe.PID
                        + " must be a flag name without dashes, e.g. max_model_len");
            }
            if (flag.equals(MODEL)) {
                String folder = e.getValue().toString().trim();
                if (folder.isEmpty()) {
                    throw new IllegalArgumentException("configuration key 'model' of " + ConfiguredServe.PID
                            + " is empty; give the model folder, or leave the key out to serve the ai.tessera.model-NAME"
                            + " configurations");
                }
                model = Optional.of(folder);
                continue;
            }
            for (String value : values(e.getValue())) {
                if (flag.equals("enable-prefix-caching")) {
                    // the positive form reads better in a file than the flag's negation
                    if (value.equalsIgnoreCase("false")) {
                        command.add("--no-enable-prefix-caching");
                    }
                } else if (value.equalsIgnoreCase("true")) {
                    command.add("--" + flag);
                } else if (!value.equalsIgnoreCase("false")) {
                    command.add("--" + flag + "=" + value);
                }
            }
            if (flag.equals("host")) {
                host = e.getValue().toString().trim();
            } else if (flag.equals("port")) {
                port = port(e.getValue());
            }
        }
        model.ifPresent(folder -> command.add(1, folder));
        return new ServeArguments(model, host, port, List.copyOf(command));
    }

    /** What is served, for log lines. */
    String what() {
        return model.orElse("the ai.tessera.model configurations");
    }

    /** A value, or each element of an array value (a flag given several times), as text. */
    private static List<String> values(Object value) {
        List<String> values = new ArrayList<>();
        if (value.getClass().isArray()) {
            for (int i = 0; i < Array.getLength(value); i++) {
                values.add(String.valueOf(Array.get(value, i)).trim());
            }
        } else if (value instanceof Iterable<?> items) {
            items.forEach(item -> values.add(String.valueOf(item).trim()));
        } else {
            values.add(value.toString().trim());
        }
        return values;
    }

    private static int port(Object value) {
        try {
            return Integer.parseInt(value.toString().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("configuration key 'port' of " + ConfiguredServe.PID
                    + " must be a port number, got '" + value + "'");
        }
    }
}
