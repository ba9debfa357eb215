package ai.tessera.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A word-level tokenizer over a model's whole vocabulary ({@code w0 ... wN}, split on whitespace), with the family's
 * special tokens at their real ids: enough for serving tiny random models whose real tokenizer is not at hand
 * (the placeholder tokens are what matters to the multimodal processors).
 */
final class WordLevelTokenizer {
    private WordLevelTokenizer() {
    }

    static void write(Path model, int vocabSize, Map<Integer, String> specials, String eos) throws IOException {
        ObjectNode tokenizer = RawHttp.JSON.createObjectNode();
        ArrayNode added = tokenizer.putArray("added_tokens");
        specials.forEach((id, text) -> added.addObject().put("id", id).put("content", text).put("single_word", false)
                .put("lstrip", false).put("rstrip", false).put("normalized", false).put("special", true));
        tokenizer.putObject("pre_tokenizer").put("type", "Whitespace");
        ObjectNode vocab = tokenizer.putObject("model").put("type", "WordLevel").put("unk_token", "w0").putObject("vocab");
        for (int id = 0; id < vocabSize; id++) {
            vocab.put(specials.getOrDefault(id, "w" + id), id);
        }
        RawHttp.JSON.writeValue(model.resolve("tokenizer.json").toFile(), tokenizer);
        Files.writeString(model.resolve("tokenizer_config.json"), "{\"eos_token\": \"" + eos + "\", \"bos_token\": \""
                + eos + "\", \"tokenizer_class\": \"PreTrainedTokenizerFast\"}");
    }
}
