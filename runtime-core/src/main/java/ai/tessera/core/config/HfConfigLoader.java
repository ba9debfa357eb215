package ai.tessera.core.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;

import ai.tessera.api.ModelLoadException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Reads a model folder's {@code config.json} and merges {@code --hf-overrides} into it, as vLLM does. */
public final class HfConfigLoader {
    private static final ObjectMapper JSON = new ObjectMapper();

    private HfConfigLoader() {
    }

    /** {@code config.json} of {@code modelDir} with {@code overridesJson} (may be null or blank) deep-merged. */
    public static JsonModelConfig load(Path modelDir, String overridesJson) throws ModelLoadException {
        Path file = modelDir.resolve("config.json");
        ObjectNode config;
        try {
            config = parseObject(Files.readString(file), file.toString());
        } catch (NoSuchFileException e) {
            throw new ModelLoadException("No config.json in " + modelDir + ": is this a Hugging Face model folder?");
        } catch (IOException e) {
            throw new ModelLoadException("Cannot read " + file + ": " + e.getMessage(), e);
        }
        return new JsonModelConfig(applyOverrides(config, overridesJson));
    }

    /** A configuration given as JSON text (tiny test configs, --load-format dummy without a folder). */
    public static JsonModelConfig fromJson(String json, String overridesJson) throws ModelLoadException {
        return new JsonModelConfig(applyOverrides(parseObject(json, "configuration"), overridesJson));
    }

    private static ObjectNode applyOverrides(ObjectNode config, String overridesJson) throws ModelLoadException {
        if (overridesJson != null && !overridesJson.isBlank()) {
            deepMerge(config, parseObject(overridesJson, "--hf-overrides"));
        }
        return config;
    }

    static ObjectNode parseObject(String text, String what) throws ModelLoadException {
        JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new ModelLoadException(what + " is not valid JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw new ModelLoadException(what + " must be a JSON object, got " + (node == null ? "nothing" : node.getNodeType()));
        }
        return (ObjectNode) node;
    }

    /** Objects merge key by key, recursively; any other value replaces what was there. */
    static void deepMerge(ObjectNode target, ObjectNode overrides) {
        Iterator<Map.Entry<String, JsonNode>> fields = overrides.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            JsonNode existing = target.get(field.getKey());
            if (existing != null && existing.isObject() && field.getValue().isObject()) {
                deepMerge((ObjectNode) existing, (ObjectNode) field.getValue());
            } else {
                target.set(field.getKey(), field.getValue().deepCopy());
            }
        }
    }
}
