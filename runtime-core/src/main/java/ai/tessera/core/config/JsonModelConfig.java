package ai.tessera.core.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import ai.tessera.api.ModelConfig;
import ai.tessera.api.ModelLoadException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** {@link ModelConfig} over a Jackson tree; paths are dotted ({@code text_config.hidden_size}). */
public final class JsonModelConfig implements ModelConfig {
    private final ObjectNode root;

    JsonModelConfig(ObjectNode root) {
        this.root = root;
    }

    @Override
    public String architecture() {
        JsonNode archs = root.get("architectures");
        if (archs == null || !archs.isArray() || archs.isEmpty() || !archs.get(0).isTextual()) {
            throw new IllegalArgumentException("config.json has no 'architectures' list naming the model class;"
                    + " set it with --hf-overrides '{\"architectures\":[\"...\"]}'");
        }
        return archs.get(0).asText();
    }

    private JsonNode node(String path) {
        JsonNode node = root;
        for (String part : path.split("\\.")) {
            if (node == null || !node.isObject()) {
                return null;
            }
            node = node.get(part);
        }
        return node == null || node.isNull() ? null : node;
    }

    private JsonNode required(String path, String type) throws ModelLoadException {
        JsonNode node = node(path);
        if (node == null) {
            throw new ModelLoadException("config.json has no '" + path + "' (" + type + " expected)");
        }
        if (!node.isNumber()) {
            throw new ModelLoadException("config.json '" + path + "' must be " + type + ", got " + node);
        }
        return node;
    }

    @Override
    public boolean has(String path) {
        return node(path) != null;
    }

    @Override
    public boolean isNull(String path) {
        int dot = path.lastIndexOf('.');
        JsonNode parent = dot < 0 ? root : node(path.substring(0, dot));
        if (parent == null || !parent.isObject()) {
            return false;
        }
        JsonNode value = parent.get(dot < 0 ? path : path.substring(dot + 1));
        return value != null && value.isNull();
    }

    @Override
    public int getInt(String path) throws ModelLoadException {
        JsonNode node = required(path, "an integer");
        if (!node.canConvertToInt() || node.isFloatingPointNumber() && node.asDouble() != node.asInt()) {
            throw new ModelLoadException("config.json '" + path + "' must be an integer, got " + node);
        }
        return node.asInt();
    }

    @Override
    public int getInt(String path, int fallback) {
        JsonNode node = node(path);
        return node != null && node.canConvertToInt() ? node.asInt() : fallback;
    }

    @Override
    public double getDouble(String path) throws ModelLoadException {
        return required(path, "a number").asDouble();
    }

    @Override
    public double getDouble(String path, double fallback) {
        JsonNode node = node(path);
        return node != null && node.isNumber() ? node.asDouble() : fallback;
    }

    @Override
    public Optional<String> getString(String path) {
        JsonNode node = node(path);
        return node != null && node.isTextual() ? Optional.of(node.asText()) : Optional.empty();
    }

    @Override
    public boolean getBoolean(String path, boolean fallback) {
        JsonNode node = node(path);
        return node != null && node.isBoolean() ? node.asBoolean() : fallback;
    }

    @Override
    public List<Double> getDoubles(String path) {
        JsonNode node = node(path);
        List<Double> values = new ArrayList<>();
        if (node != null && node.isArray()) {
            node.forEach(v -> values.add(v.asDouble()));
        }
        return values;
    }

    @Override
    public List<String> getStrings(String path) throws ModelLoadException {
        JsonNode node = node(path);
        List<String> values = new ArrayList<>();
        if (node == null) {
            return values;
        }
        if (!node.isArray()) {
            throw new ModelLoadException("config.json '" + path + "' must be a list of strings, got " + node);
        }
        for (JsonNode v : node) {
            if (!v.isTextual()) {
                throw new ModelLoadException("config.json '" + path + "' must be a list of strings, got " + node);
            }
            values.add(v.asText());
        }
        return values;
    }

    @Override
    public Optional<ModelConfig> section(String path) {
        JsonNode node = node(path);
        return node != null && node.isObject() ? Optional.of(new JsonModelConfig((ObjectNode) node)) : Optional.empty();
    }

    /**
     * The language model's configuration: transformers 5 nests it under {@code text_config} for multimodal models
     * (Gemma 3/4, Qwen2.5-VL); text-only models keep it at the top level, so this is the config itself. The
     * section has no {@code architectures}: ask the top-level config for {@link #architecture()}.
     */
    public JsonModelConfig textConfig() {
        JsonNode text = root.get("text_config");
        return text != null && text.isObject() ? new JsonModelConfig((ObjectNode) text) : this;
    }

    @Override
    public String toJson() {
        return root.toString();
    }
}
