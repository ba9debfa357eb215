package ai.tessera.core.tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import ai.tessera.api.ModelLoadException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A model folder's {@code tokenizer_config.json}: the special tokens (as strings or as AddedToken objects), the
 * added tokens that transformers layers over {@code tokenizer.json}, and the switches that change what
 * {@code encode} and {@code decode} do. A folder without the file gets an empty configuration, as transformers
 * does.
 */
public final class TokenizerConfig {
    /** The special-token attributes transformers passes to chat templates, in its order. */
    static final List<String> SPECIAL_TOKEN_NAMES =
            List.of("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ObjectNode root;

    private TokenizerConfig(ObjectNode root) {
        this.root = root;
    }

    /** {@code tokenizer_config.json} of {@code modelDir}, or an empty configuration if the folder has none. */
    public static TokenizerConfig load(Path modelDir) throws ModelLoadException {
        Path file = modelDir.resolve("tokenizer_config.json");
        try {
            return parse(Files.readString(file), file.toString());
        } catch (NoSuchFileException e) {
            return new TokenizerConfig(JsonNodeFactory.instance.objectNode());
        } catch (IOException e) {
            throw new ModelLoadException("Cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** A configuration given as JSON text; {@code what} names it in error messages. */
    public static TokenizerConfig parse(String json, String what) throws ModelLoadException {
        JsonNode node;
        try {
            node = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new ModelLoadException(what + " is not valid JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw new ModelLoadException(what + " must be a JSON object, got " + (node == null ? "nothing" : node.getNodeType()));
        }
        return new TokenizerConfig((ObjectNode) node);
    }

    public Optional<String> bosToken() {
        return tokenString("bos_token");
    }

    public Optional<String> eosToken() {
        return tokenString("eos_token");
    }

    public Optional<String> padToken() {
        return tokenString("pad_token");
    }

    public Optional<String> unkToken() {
        return tokenString("unk_token");
    }

    /**
     * A special-token attribute ({@code bos_token}, {@code eos_token}...), written either as a string or as an
     * AddedToken object with a {@code content} field; empty when absent or null.
     */
    public Optional<String> tokenString(String attribute) {
        return tokenText(root.get(attribute));
    }

    /** {@code add_bos_token}: empty when the file does not say, so that {@code tokenizer.json} decides. */
    public Optional<Boolean> addBosToken() {
        return flag("add_bos_token");
    }

    /** {@code add_eos_token}: empty when the file does not say, so that {@code tokenizer.json} decides. */
    public Optional<Boolean> addEosToken() {
        return flag("add_eos_token");
    }

    /** {@code clean_up_tokenization_spaces}: transformers' old default was true, but models that care say so. */
    public boolean cleanUpTokenizationSpaces() {
        return flag("clean_up_tokenization_spaces").orElse(false);
    }

    /** {@code additional_special_tokens} as strings, in file order. */
    public List<String> additionalSpecialTokens() {
        JsonNode list = root.get("additional_special_tokens");
        if (list == null || !list.isArray()) {
            return List.of();
        }
        List<String> tokens = new ArrayList<>();
        for (JsonNode item : list) {
            tokenText(item).ifPresent(tokens::add);
        }
        return Collections.unmodifiableList(tokens);
    }

    /**
     * {@code extra_special_tokens} (transformers 4.50+: named tokens such as {@code image_token}), name to token;
     * the older list form has no names and is left out.
     */
    public Map<String, String> extraSpecialTokens() {
        JsonNode extra = root.get("extra_special_tokens");
        if (extra == null || !extra.isObject()) {
            return Map.of();
        }
        Map<String, String> tokens = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> fields = extra.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            tokenText(field.getValue()).ifPresent(token -> tokens.put(field.getKey(), token));
        }
        return tokens;
    }

    /** {@code added_tokens_decoder}: id to added token, by id. */
    public Map<Integer, AddedToken> addedTokensDecoder() throws ModelLoadException {
        JsonNode decoder = root.get("added_tokens_decoder");
        if (decoder == null || !decoder.isObject()) {
            return Map.of();
        }
        Map<Integer, AddedToken> tokens = new TreeMap<>();
        Iterator<Map.Entry<String, JsonNode>> fields = decoder.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            int id;
            try {
                id = Integer.parseInt(field.getKey());
            } catch (NumberFormatException e) {
                throw new ModelLoadException("tokenizer_config.json added_tokens_decoder: expected integer ids as keys, got \""
                        + field.getKey() + "\"");
            }
            JsonNode content = field.getValue().get("content");
            if (content == null || !content.isTextual()) {
                throw new ModelLoadException("tokenizer_config.json added_tokens_decoder[" + id + "]: expected a \"content\" string");
            }
            tokens.put(id, new AddedToken(id, content.asText(), field.getValue().path("special").asBoolean(false)));
        }
        return tokens;
    }

    /** The raw {@code chat_template} entry (a string, or a list of {name, template}), if any. */
    public Optional<JsonNode> chatTemplate() {
        JsonNode template = root.get("chat_template");
        return template == null || template.isNull() ? Optional.empty() : Optional.of(template);
    }

    /**
     * The variables transformers adds to every chat template render from the tokenizer: the special tokens that
     * are set, {@code additional_special_tokens}, and the named extra special tokens.
     */
    public Map<String, Object> templateVariables() {
        Map<String, Object> vars = new LinkedHashMap<>();
        for (String name : SPECIAL_TOKEN_NAMES) {
            tokenString(name).ifPresent(token -> vars.put(name, token));
        }
        List<String> additional = additionalSpecialTokens();
        if (!additional.isEmpty()) {
            vars.put("additional_special_tokens", additional);
        }
        extraSpecialTokens().forEach(vars::putIfAbsent);
        return vars;
    }

    private Optional<Boolean> flag(String name) {
        JsonNode value = root.get(name);
        return value != null && value.isBoolean() ? Optional.of(value.asBoolean()) : Optional.empty();
    }

    private static Optional<String> tokenText(JsonNode value) {
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (value.isTextual()) {
            return Optional.of(value.asText());
        }
        JsonNode content = value.get("content");
        return content != null && content.isTextual() ? Optional.of(content.asText()) : Optional.empty();
    }
}
