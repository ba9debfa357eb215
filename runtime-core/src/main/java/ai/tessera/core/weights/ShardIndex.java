package ai.tessera.core.weights;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import ai.tessera.api.ModelLoadException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * {@code model.safetensors.index.json} of a sharded checkpoint: which shard file holds each tensor.
 *
 * @param file      the index file
 * @param weightMap tensor name to shard file name (relative to the index's folder)
 */
public record ShardIndex(Path file, Map<String, String> weightMap) {
    public static final String FILE_NAME = "model.safetensors.index.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    public ShardIndex {
        weightMap = Map.copyOf(weightMap);
    }

    /** Reads and checks {@code file}; every shard it names must exist next to it. */
    public static ShardIndex read(Path file) throws ModelLoadException {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new ModelLoadException("Shard index " + file + " does not exist");
        } catch (JsonProcessingException e) {
            throw new ModelLoadException("Shard index " + file + " is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ModelLoadException("Cannot read shard index " + file + ": " + e.getMessage(), e);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject() || map.isEmpty()) {
            throw new ModelLoadException("Shard index " + file + " has no 'weight_map' object naming the shard of each"
                    + " tensor");
        }
        Map<String, String> weightMap = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> fields = map.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> e = fields.next();
            if (!e.getValue().isTextual() || e.getValue().asText().isBlank()) {
                throw new ModelLoadException("Shard index " + file + " maps tensor '" + e.getKey()
                        + "' to " + e.getValue() + ", expected a shard file name");
            }
            weightMap.put(e.getKey(), e.getValue().asText());
        }
        ShardIndex index = new ShardIndex(file, weightMap);
        index.checkShardsExist();
        return index;
    }

    /** The shard files, sorted by name (the order Hugging Face numbers them). */
    public Set<Path> shardFiles() {
        Set<Path> files = new TreeSet<>();
        for (String shard : weightMap.values()) {
            files.add(folder().resolve(shard).normalize());
        }
        return files;
    }

    private Path folder() {
        Path parent = file.toAbsolutePath().getParent();
        return parent == null ? Path.of(".") : parent;
    }

    private void checkShardsExist() throws ModelLoadException {
        Map<String, String> exampleTensor = new TreeMap<>();
        weightMap.forEach((tensor, shard) -> exampleTensor.putIfAbsent(shard, tensor));
        for (Map.Entry<String, String> e : exampleTensor.entrySet()) {
            if (!Files.isRegularFile(folder().resolve(e.getKey()))) {
                throw new ModelLoadException("Shard index " + file + " names shard " + e.getKey() + " (for tensors such"
                        + " as '" + e.getValue() + "') but there is no such file in " + folder()
                        + ": is the download incomplete?");
            }
        }
    }
}
