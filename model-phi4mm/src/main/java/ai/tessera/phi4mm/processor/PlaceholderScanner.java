package ai.tessera.phi4mm.processor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import ai.tessera.api.ModelLoadException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Finds {@code <|image_N|>} and {@code <|audio_N|>} in a tokenized prompt. The byte-level BPE vocabulary writes
 * these ASCII characters as themselves, so the concatenated token strings show the placeholders; a placeholder
 * that shares its first or last token with neighbouring text (e.g. {@code " <|"}) keeps that text as its own token,
 * as the checkpoint's processor (which tokenizes the text between placeholders separately) does.
 */
final class PlaceholderScanner {
    private static final Pattern PLACEHOLDER = Pattern.compile("<\\|(image|audio)_(\\d+)\\|>");
    /** The o200k pieces of the placeholders, for a model without tokenizer.json (digits 0-9 are ids 15-24). */
    private static final Map<String, Integer> BUILT_IN = builtIn();

    private final Map<Integer, String> tokens;
    private final Map<String, Integer> ids;

    /** One placeholder: tokens {@code [start, end)}, and the ids that stand for text they shared with it. */
    record Placeholder(String modality, int index, int start, int end, int[] before, int[] after) {
    }

    private PlaceholderScanner(Map<String, Integer> ids) {
        this.ids = Map.copyOf(ids);
        Map<Integer, String> reverse = new HashMap<>();
        ids.forEach((token, id) -> reverse.put(id, token));
        this.tokens = reverse;
    }

    /** From the model folder's {@code tokenizer.json}, else the built-in pieces of the Phi-4 vocabulary. */
    static PlaceholderScanner forModel(java.util.Optional<Path> modelDirectory) throws ModelLoadException {
        if (modelDirectory.isPresent() && Files.isRegularFile(modelDirectory.get().resolve("tokenizer.json"))) {
            return fromTokenizerJson(modelDirectory.get().resolve("tokenizer.json"));
        }
        return new PlaceholderScanner(BUILT_IN);
    }

    static PlaceholderScanner fromTokenizerJson(Path file) throws ModelLoadException {
        try {
            JsonNode root = new ObjectMapper().readTree(file.toFile());
            JsonNode vocab = root.path("model").path("vocab");
            if (!vocab.isObject()) {
                throw new ModelLoadException(file + " has no model.vocab object (a BPE tokenizer is expected)");
            }
            Map<String, Integer> ids = new HashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                ids.put(e.getKey(), e.getValue().asInt());
            }
            for (JsonNode added : root.path("added_tokens")) {
                ids.put(added.path("content").asText(), added.path("id").asInt());
            }
            return new PlaceholderScanner(ids);
        } catch (IOException e) {
            throw new ModelLoadException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** The placeholders of {@code promptIds} in prompt order. */
    List<Placeholder> scan(int[] promptIds) {
        StringBuilder text = new StringBuilder();
        int[] starts = new int[promptIds.length + 1];
        for (int i = 0; i < promptIds.length; i++) {
            starts[i] = text.length();
            // an id without a string (outside the vocabulary read) can never be part of a placeholder
            text.append(tokens.getOrDefault(promptIds[i], "\uFFFF"));
        }
        starts[promptIds.length] = text.length();
        List<Placeholder> found = new ArrayList<>();
        Matcher m = PLACEHOLDER.matcher(text);
        while (m.find()) {
            int first = tokenAt(starts, m.start());
            int last = tokenAt(starts, m.end() - 1);
            int[] before = leftover(text.substring(starts[first], m.start()), m.group());
            int[] after = leftover(text.substring(m.end(), starts[last + 1]), m.group());
            found.add(new Placeholder(m.group(1), Integer.parseInt(m.group(2)), first, last + 1, before, after));
        }
        return found;
    }

    private int[] leftover(String piece, String placeholder) {
        if (piece.isEmpty()) {
            return new int[0];
        }
        Integer id = ids.get(piece);
        if (id == null) {
            throw new IllegalArgumentException("the placeholder " + placeholder + " shares a token with the text '"
                    + piece + "' next to it, which is no single token; put the placeholder on its own line");
        }
        return new int[] {id};
    }

    /** The index of the token whose text holds character {@code c}. */
    private static int tokenAt(int[] starts, int c) {
        int lo = 0;
        int hi = starts.length - 2;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (starts[mid] <= c) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    private static Map<String, Integer> builtIn() {
        Map<String, Integer> m = new HashMap<>();
        m.put("<", 27);
        m.put("|", 91);
        m.put("image", 3365);
        m.put("audio", 35146);
        m.put("_", 62);
        m.put(">", 29);
        for (int d = 0; d <= 9; d++) {
            m.put(Integer.toString(d), 15 + d);
        }
        return m;
    }
}
