package ai.tessera.core.tokenizer;

import java.io.IOException;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.function.Function;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

/**
 * Token strings and ids of a {@code tokenizer.json}: the model's vocabulary and the added tokens. The native
 * tokenizer does not expose them, and {@code tokenToId}, the special-token ids and the stop tokens need them.
 * Read with a streaming parser because a vocabulary of 262k tokens plus its merges is tens of megabytes.
 */
final class Vocabulary {
    private static final JsonFactory JSON = new JsonFactory();

    private final Map<String, Integer> modelVocab;
    private final Map<Integer, AddedToken> added;
    private final Map<String, Integer> ids;
    private final String[] tokens;

    private Vocabulary(Map<String, Integer> modelVocab, Map<Integer, AddedToken> added) {
        this.modelVocab = modelVocab;
        this.added = added;
        this.ids = new HashMap<>(modelVocab);
        for (AddedToken token : added.values()) {
            ids.put(token.content(), token.id());
        }
        int size = 0;
        for (int id : ids.values()) {
            size = Math.max(size, id + 1);
        }
        this.tokens = new String[size];
        modelVocab.forEach((token, id) -> tokens[id] = token);
        for (AddedToken token : added.values()) {
            tokens[token.id()] = token.content();
        }
    }

    /** The model vocabulary and the {@code added_tokens} of {@code tokenizer.json}. */
    static Vocabulary read(String tokenizerJson) throws IOException {
        Map<String, Integer> modelVocab = new HashMap<>();
        Map<Integer, AddedToken> added = new TreeMap<>();
        try (JsonParser parser = JSON.createParser(tokenizerJson)) {
            expect(parser, parser.nextToken(), JsonToken.START_OBJECT, "tokenizer.json");
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if ("added_tokens".equals(field) && value == JsonToken.START_ARRAY) {
                    readAddedTokens(parser, added);
                } else if ("model".equals(field) && value == JsonToken.START_OBJECT) {
                    readModel(parser, modelVocab);
                } else {
                    parser.skipChildren();
                }
            }
        }
        return new Vocabulary(modelVocab, added);
    }

    /** This vocabulary with {@code extra} added tokens laid over the ones it has (same id: {@code extra} wins). */
    Vocabulary withAddedTokens(Collection<AddedToken> extra) {
        Map<Integer, AddedToken> merged = new TreeMap<>(added);
        for (AddedToken token : extra) {
            merged.put(token.id(), token);
        }
        return new Vocabulary(modelVocab, merged);
    }

    /**
     * This vocabulary with the ids the native tokenizer really gives the added tokens: the tokenizers library
     * numbers an added token it finds neither among the added ids nor in the model vocabulary consecutively,
     * whatever id the file wrote (hand-made files with gaps).
     */
    Vocabulary reconciled(Function<String, int[]> encodeWithoutSpecialTokens) {
        Map<Integer, AddedToken> actual = new TreeMap<>();
        boolean changed = false;
        for (AddedToken token : added.values()) {
            int[] ids = encodeWithoutSpecialTokens.apply(token.content());
            if (ids.length == 1 && ids[0] != token.id()) {
                actual.put(ids[0], new AddedToken(ids[0], token.content(), token.special()));
                changed = true;
            } else {
                actual.put(token.id(), token);
            }
        }
        return changed ? new Vocabulary(modelVocab, actual) : this;
    }

    OptionalInt id(String token) {
        Integer id = ids.get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    Optional<String> token(int id) {
        return id >= 0 && id < tokens.length ? Optional.ofNullable(tokens[id]) : Optional.empty();
    }

    /** One more than the highest id, added tokens included (the embedding may be larger). */
    int size() {
        return tokens.length;
    }

    Map<Integer, AddedToken> addedTokens() {
        return added;
    }

    boolean isSpecial(int id) {
        AddedToken token = added.get(id);
        return token != null && token.special();
    }

    private static void readAddedTokens(JsonParser parser, Map<Integer, AddedToken> added) throws IOException {
        while (parser.nextToken() == JsonToken.START_OBJECT) {
            Integer id = null;
            String content = null;
            boolean special = false;
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if ("id".equals(field) && value == JsonToken.VALUE_NUMBER_INT) {
                    id = parser.getIntValue();
                } else if ("content".equals(field) && value == JsonToken.VALUE_STRING) {
                    content = parser.getText();
                } else if ("special".equals(field) && value.isBoolean()) {
                    special = parser.getBooleanValue();
                } else {
                    parser.skipChildren();
                }
            }
            if (id == null || content == null) {
                throw new IOException("tokenizer.json added_tokens: an entry lacks \"id\" or \"content\"");
            }
            added.put(id, new AddedToken(id, content, special));
        }
    }

    private static void readModel(JsonParser parser, Map<String, Integer> vocab) throws IOException {
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String field = parser.currentName();
            JsonToken value = parser.nextToken();
            if ("vocab".equals(field) && value == JsonToken.START_OBJECT) {
                // BPE, WordPiece, WordLevel: token -> id
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String token = parser.currentName();
                    expect(parser, parser.nextToken(), JsonToken.VALUE_NUMBER_INT, "model.vocab[\"" + token + "\"]");
                    vocab.put(token, parser.getIntValue());
                }
            } else if ("vocab".equals(field) && value == JsonToken.START_ARRAY) {
                // Unigram: [piece, score] pairs, the id is the position
                int id = 0;
                while (parser.nextToken() == JsonToken.START_ARRAY) {
                    expect(parser, parser.nextToken(), JsonToken.VALUE_STRING, "model.vocab[" + id + "][0]");
                    vocab.put(parser.getText(), id++);
                    while (parser.nextToken() != JsonToken.END_ARRAY) {
                        parser.skipChildren();
                    }
                }
            } else {
                parser.skipChildren();
            }
        }
    }

    private static void expect(JsonParser parser, JsonToken actual, JsonToken expected, String where) throws IOException {
        if (actual != expected) {
            throw new IOException(where + ": expected " + expected + ", got " + actual + " at "
                    + parser.currentLocation().offsetDescription());
        }
    }
}
