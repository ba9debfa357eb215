package ai.tessera.karaf;

import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code tessera serve} command line that a configuration stands for: {@code model} is the model folder and every
 * other key is a flag of {@code serve} without its dashes ({@code max-model-len = 8192} is
 * {@code --max-model-len 8192}; {@code enable-auto-tool-choice = true} is the bare flag, {@code false} leaves it out).
 * Keys with a dot ({@code service.pid}, {@code felix.fileinstall.filename}) belong to the container and are skipped.
 */
record ServeArguments(String model, String host, int port, List<String> command) {
    static final String MODEL = "model";
    static final String DEFAULT_HOST = "127.0.0.1";
    static final int DEFAULT_PORT = 8000;

    static ServeArguments of(Map<String, ?> config) {
        Object model = config.get(MODEL);
        if (model == null || model.toString().isBlank()) {
            throw new IllegalArgumentException("the configuration " + ConfiguredServe.PID
                    + " has no 'model' (the model folder to serve); keys given: " + new TreeMap<>(config).keySet());
        }
        List<String> command = new ArrayList<>(List.of("serve", model.toString().trim()));
        String host = DEFAULT_HOST;
        int port = DEFAULT_PORT;
        for (Map.Entry<String, ?> e : new TreeMap<>(config).entrySet()) {
            String key = e.getKey();
            if (key.equals(MODEL) || key.contains(".")) {
                continue;
            }
            if (key.startsWith("-") || key.isBlank()) {
                throw new IllegalArgumentException("configuration key '" + key + "' of " + ConfiguredServe.PID
                        + " must be a flag name without dashes, e.g. max-model-len");
            }
            for (String value : values(e.getValue())) {
                if (value.equalsIgnoreCase("true")) {
                    command.add("--" + key);
                } else if (!value.equalsIgnoreCase("false")) {
                    command.add("--" + key);
                    command.add(value);
                }
            }
            if (key.equals("host")) {
                host = e.getValue().toString().trim();
            } else if (key.equals("port")) {
                port = port(e.getValue());
            }
        }
        return new ServeArguments(model.toString().trim(), host, port, List.copyOf(command));
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
