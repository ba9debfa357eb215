package ai.tessera.core.chat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import ai.tessera.api.ModelLoadException;
import ai.tessera.core.tokenizer.TokenizerConfig;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Where a model's chat template comes from, first found wins: the {@code --chat-template} file, then
 * {@code chat_template.jinja} (transformers 4.43+ saves it there), then {@code chat_template.json} (processors),
 * then {@code chat_template} of {@code tokenizer_config.json}, a string or a list of named templates of which
 * "default" is used.
 *
 * @param text   the Jinja source
 * @param origin where it was read, for messages
 */
public record ChatTemplateSource(String text, String origin) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The template of {@code modelDir}, or of {@code override} when given. */
    public static ChatTemplateSource locate(Path modelDir, Optional<Path> override) throws ModelLoadException {
        if (override.isPresent()) {
            Path file = override.get();
            return new ChatTemplateSource(read(file).orElseThrow(() -> new ModelLoadException(
                    "The chat template file " + file + " given with --chat-template does not exist")), file.toString());
        }
        Path jinja = modelDir.resolve("chat_template.jinja");
        Optional<String> text = read(jinja);
        if (text.isPresent()) {
            return new ChatTemplateSource(text.get(), jinja.toString());
        }
        Path processor = modelDir.resolve("chat_template.json");
        Optional<String> processorJson = read(processor);
        if (processorJson.isPresent()) {
            JsonNode template = parse(processorJson.get(), processor).get("chat_template");
            if (template != null && !template.isNull()) {
                return new ChatTemplateSource(fromEntry(template, processor + " chat_template"), processor.toString());
            }
        }
        Optional<JsonNode> fromTokenizer = TokenizerConfig.load(modelDir).chatTemplate();
        if (fromTokenizer.isPresent()) {
            Path config = modelDir.resolve("tokenizer_config.json");
            return new ChatTemplateSource(fromEntry(fromTokenizer.get(), config + " chat_template"), config.toString());
        }
        throw new ModelLoadException("No chat template for " + modelDir + ": none of chat_template.jinja, "
                + "chat_template.json or tokenizer_config.json's \"chat_template\" is there; pass --chat-template FILE");
    }

    /** A {@code chat_template} value: the template itself, or [{name, template}...] from which "default" is taken. */
    static String fromEntry(JsonNode entry, String what) throws ModelLoadException {
        if (entry.isTextual()) {
            return entry.asText();
        }
        if (entry.isArray()) {
            List<String> names = new ArrayList<>();
            for (JsonNode item : entry) {
                String name = item.path("name").asText(null);
                names.add(name);
                if ("default".equals(name) && item.path("template").isTextual()) {
                    return item.get("template").asText();
                }
            }
            throw new ModelLoadException(what + " lists templates " + names + " but none named \"default\" with a template"
                    + " string; pass --chat-template FILE");
        }
        throw new ModelLoadException(what + " must be a string or a list of {name, template}, got " + entry.getNodeType());
    }

    private static JsonNode parse(String json, Path file) throws ModelLoadException {
        try {
            JsonNode node = JSON.readTree(json);
            if (node == null || !node.isObject()) {
                throw new ModelLoadException(file + " must be a JSON object, got " + (node == null ? "nothing" : node.getNodeType()));
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new ModelLoadException(file + " is not valid JSON: " + e.getOriginalMessage());
        }
    }

    private static Optional<String> read(Path file) throws ModelLoadException {
        try {
            return Optional.of(Files.readString(file));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new ModelLoadException("Cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
