package ai.tessera.core.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalInt;

import ai.tessera.api.ModelLoadException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The sampling defaults a model ships in {@code generation_config.json}; a request's own values override them.
 * Every field is optional: a missing file or key means "use the engine's default".
 *
 * @param eosTokenIds token ids that end generation ({@code eos_token_id} may be one id or a list); may be empty
 */
public record GenerationDefaults(List<Integer> eosTokenIds, OptionalInt bosTokenId, OptionalInt padTokenId,
                                 OptionalDouble temperature, OptionalDouble topP, OptionalInt topK,
                                 OptionalDouble minP, OptionalDouble repetitionPenalty, OptionalInt maxNewTokens) {
    public static final String FILE_NAME = "generation_config.json";

    public GenerationDefaults {
        eosTokenIds = List.copyOf(eosTokenIds);
    }

    /** No defaults at all. */
    public static GenerationDefaults empty() {
        return new GenerationDefaults(List.of(), OptionalInt.empty(), OptionalInt.empty(), OptionalDouble.empty(),
                OptionalDouble.empty(), OptionalInt.empty(), OptionalDouble.empty(), OptionalDouble.empty(),
                OptionalInt.empty());
    }

    /** {@code generation_config.json} of {@code modelDir}; empty defaults when the model has none. */
    public static GenerationDefaults load(Path modelDir) throws ModelLoadException {
        Path file = modelDir.resolve(FILE_NAME);
        try {
            return fromJson(Files.readString(file), file.toString());
        } catch (NoSuchFileException e) {
            return empty();
        } catch (IOException e) {
            throw new ModelLoadException("Cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Defaults from JSON text; {@code source} names it in errors. */
    public static GenerationDefaults fromJson(String json, String source) throws ModelLoadException {
        Reader r = new Reader(HfConfigLoader.parseObject(json, source), source);
        return new GenerationDefaults(r.eosIds(), r.integer("bos_token_id"), r.integer("pad_token_id"),
                r.number("temperature"), r.number("top_p"), r.integer("top_k"), r.number("min_p"),
                r.number("repetition_penalty"), r.integer("max_new_tokens"));
    }

    /** Typed reads of one JSON object whose errors name the key and the value found. */
    private static final class Reader {
        private final ObjectNode root;
        private final String source;

        Reader(ObjectNode root, String source) {
            this.root = root;
            this.source = source;
        }

        private JsonNode present(String key) {
            JsonNode node = root.get(key);
            return node == null || node.isNull() ? null : node;
        }

        OptionalInt integer(String key) throws ModelLoadException {
            JsonNode node = present(key);
            if (node == null) {
                return OptionalInt.empty();
            }
            return OptionalInt.of(toInt(key, node));
        }

        OptionalDouble number(String key) throws ModelLoadException {
            JsonNode node = present(key);
            if (node == null) {
                return OptionalDouble.empty();
            }
            if (!node.isNumber()) {
                throw new ModelLoadException(source + " '" + key + "' must be a number, got " + node);
            }
            return OptionalDouble.of(node.asDouble());
        }

        List<Integer> eosIds() throws ModelLoadException {
            JsonNode node = present("eos_token_id");
            List<Integer> ids = new ArrayList<>();
            if (node == null) {
                return ids;
            }
            if (node.isArray()) {
                for (JsonNode id : node) {
                    ids.add(toInt("eos_token_id", id));
                }
            } else {
                ids.add(toInt("eos_token_id", node));
            }
            return ids;
        }

        private int toInt(String key, JsonNode node) throws ModelLoadException {
            if (!node.isIntegralNumber() || !node.canConvertToInt()) {
                throw new ModelLoadException(source + " '" + key + "' must be an integer"
                        + (key.equals("eos_token_id") ? " or a list of integers" : "") + ", got " + node);
            }
            return node.asInt();
        }
    }
}
