package ai.tessera.core.tokenizer;

import java.util.List;

import ai.tessera.api.ModelLoadException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Writes {@code tokenizer_config.json}'s {@code added_tokens_decoder} into {@code tokenizer.json}'s
 * {@code added_tokens}, as transformers does when it loads a tokenizer: an added token that only the config knows
 * must still be matched whole when encoding and be skippable when decoding, and the native binding can only take
 * them as part of the JSON.
 */
final class AddedTokensPatch {
    private static final ObjectMapper JSON = new ObjectMapper();

    private AddedTokensPatch() {
    }

    static String apply(String tokenizerJson, List<AddedToken> tokens, String what) throws ModelLoadException {
        JsonNode root;
        try {
            root = JSON.readTree(tokenizerJson);
        } catch (JsonProcessingException e) {
            throw new ModelLoadException(what + " is not valid JSON: " + e.getOriginalMessage());
        }
        if (!(root instanceof ObjectNode)) {
            throw new ModelLoadException(what + " must be a JSON object, got " + root.getNodeType());
        }
        JsonNode existing = root.get("added_tokens");
        ArrayNode added = existing instanceof ArrayNode ? (ArrayNode) existing : ((ObjectNode) root).putArray("added_tokens");
        for (AddedToken token : tokens) {
            ObjectNode entry = findById(added, token.id());
            if (entry == null) {
                entry = added.addObject();
                entry.put("id", token.id());
                entry.put("single_word", false);
                entry.put("lstrip", false);
                entry.put("rstrip", false);
                // transformers' AddedToken default: special tokens are matched before normalization
                entry.put("normalized", !token.special());
            }
            entry.put("content", token.content());
            entry.put("special", token.special());
        }
        try {
            return JSON.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new ModelLoadException("Cannot write back " + what + " with the config's added tokens: " + e.getMessage(), e);
        }
    }

    private static ObjectNode findById(ArrayNode added, int id) {
        for (JsonNode entry : added) {
            if (entry instanceof ObjectNode && entry.path("id").asInt(-1) == id) {
                return (ObjectNode) entry;
            }
        }
        return null;
    }
}
