package ai.tessera.core.tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.tessera.api.ModelLoadException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A Hugging Face tokenizer as transformers loads it from a model folder: {@code tokenizer.json} run by the Rust
 * {@code tokenizers} library (through DJL), with {@code tokenizer_config.json}'s added tokens, special tokens,
 * {@code add_bos_token}/{@code add_eos_token} and {@code clean_up_tokenization_spaces} applied on top, and the
 * stop tokens of {@code generation_config.json}. Safe for concurrent use; close it to free the native tokenizer.
 */
public final class HfTokenizer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HuggingFaceTokenizer tokenizer;
    private final TokenizerConfig config;
    private final Vocabulary vocabulary;
    private final int[] eosTokenIds;

    private HfTokenizer(HuggingFaceTokenizer tokenizer, TokenizerConfig config, Vocabulary vocabulary, int[] eosTokenIds) {
        this.tokenizer = tokenizer;
        this.config = config;
        this.vocabulary = vocabulary;
        this.eosTokenIds = eosTokenIds;
    }

    /** The tokenizer of a model folder, which must hold {@code tokenizer.json}. */
    public static HfTokenizer load(Path modelDir) throws ModelLoadException {
        Path file = modelDir.resolve("tokenizer.json");
        String json;
        try {
            json = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ModelLoadException("No tokenizer.json in " + modelDir
                    + ": Tessera needs the fast (Rust) tokenizer file of the model");
        } catch (IOException e) {
            throw new ModelLoadException("Cannot read " + file + ": " + e.getMessage(), e);
        }
        return fromJson(json, TokenizerConfig.load(modelDir), readGenerationEosIds(modelDir), file.toString());
    }

    /**
     * A tokenizer from {@code tokenizer.json} text and its configuration; {@code extraEosIds} are further stop
     * tokens (from {@code generation_config.json}); {@code what} names the source in error messages.
     */
    public static HfTokenizer fromJson(String tokenizerJson, TokenizerConfig config, int[] extraEosIds, String what)
            throws ModelLoadException {
        Vocabulary vocabulary;
        try {
            vocabulary = Vocabulary.read(tokenizerJson);
        } catch (IOException e) {
            throw new ModelLoadException(what + " is not a tokenizer.json: " + e.getMessage(), e);
        }
        List<AddedToken> fromConfig = missingAddedTokens(vocabulary, config.addedTokensDecoder());
        if (!fromConfig.isEmpty()) {
            tokenizerJson = AddedTokensPatch.apply(tokenizerJson, fromConfig, what);
            vocabulary = vocabulary.withAddedTokens(fromConfig);
        }
        HuggingFaceTokenizer tokenizer;
        try {
            tokenizer = NativeTokenizers.create(tokenizerJson);
        } catch (IOException | RuntimeException | LinkageError e) {
            throw new ModelLoadException("The native tokenizer rejected " + what + ": " + describe(e), e);
        }
        vocabulary = vocabulary.reconciled(content -> toInts(tokenizer.encode(content, false, false).getIds()));
        return new HfTokenizer(tokenizer, config, vocabulary, eosIds(config, vocabulary, extraEosIds));
    }

    /**
     * Token ids of {@code text}. With {@code addSpecialTokens}, the template of {@code tokenizer.json} adds its
     * tokens (BOS...), corrected by {@code add_bos_token}/{@code add_eos_token} where the config sets them.
     */
    public int[] encode(String text, boolean addSpecialTokens) {
        int[] ids = toInts(tokenizer.encode(text, addSpecialTokens, false).getIds());
        if (!addSpecialTokens) {
            return ids;
        }
        OptionalInt bos = idOf(config.bosToken());
        if (bos.isPresent() && config.addBosToken().isPresent()) {
            boolean starts = ids.length > 0 && ids[0] == bos.getAsInt();
            if (config.addBosToken().get() && !starts) {
                ids = prepend(bos.getAsInt(), ids);
            } else if (!config.addBosToken().get() && starts && !startsWith(encode(text, false), bos.getAsInt())) {
                ids = Arrays.copyOfRange(ids, 1, ids.length);
            }
        }
        OptionalInt eos = idOf(config.eosToken());
        if (eos.isPresent() && config.addEosToken().isPresent()) {
            boolean ends = ids.length > 0 && ids[ids.length - 1] == eos.getAsInt();
            if (config.addEosToken().get() && !ends) {
                ids = Arrays.copyOf(ids, ids.length + 1);
                ids[ids.length - 1] = eos.getAsInt();
            } else if (!config.addEosToken().get() && ends && !endsWith(encode(text, false), eos.getAsInt())) {
                ids = Arrays.copyOf(ids, ids.length - 1);
            }
        }
        return ids;
    }

    /** The text of {@code ids}; {@code skipSpecialTokens} drops added tokens marked special. */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        for (int id : ids) {
            if (id < 0) {
                throw new IllegalArgumentException("Token ids must be non-negative, got " + id);
            }
        }
        String text = tokenizer.decode(toLongs(ids), skipSpecialTokens);
        return config.cleanUpTokenizationSpaces() ? cleanUpTokenizationSpaces(text) : text;
    }

    /** Text of {@code ids[from, to)}, for the incremental detokenizer's windows. */
    String decode(int[] ids, int from, int to, boolean skipSpecialTokens) {
        return decode(Arrays.copyOfRange(ids, from, to), skipSpecialTokens);
    }

    /** A detokenizer for the tokens generated after {@code promptIds}, which give it its first context. */
    public IncrementalDetokenizer newDetokenizer(int[] promptIds, boolean skipSpecialTokens) {
        return new IncrementalDetokenizer(this, promptIds, skipSpecialTokens);
    }

    /** The id of a token string (vocabulary or added token). */
    public OptionalInt tokenToId(String token) {
        return vocabulary.id(token);
    }

    /** The token string of an id, as the vocabulary writes it (byte-level BPE symbols, SentencePiece's ▁...). */
    public Optional<String> idToToken(int id) {
        return vocabulary.token(id);
    }

    /** One more than the highest token id, added tokens included; the model's embedding may be larger. */
    public int vocabSize() {
        return vocabulary.size();
    }

    /** Whether {@code id} is an added token marked special (what {@code skip_special_tokens} drops). */
    public boolean isSpecial(int id) {
        return vocabulary.isSpecial(id);
    }

    /** The added tokens (from {@code tokenizer.json} and {@code tokenizer_config.json}), by id. */
    public Map<Integer, AddedToken> addedTokens() {
        return vocabulary.addedTokens();
    }

    /**
     * The ids that end generation: {@code eos_token} of the tokenizer config, then those of
     * {@code generation_config.json}'s {@code eos_token_id}, without duplicates.
     */
    public int[] eosTokenIds() {
        return eosTokenIds.clone();
    }

    public Optional<String> bosToken() {
        return config.bosToken();
    }

    public Optional<String> eosToken() {
        return config.eosToken();
    }

    public Optional<String> padToken() {
        return config.padToken();
    }

    public Optional<String> unkToken() {
        return config.unkToken();
    }

    public OptionalInt bosTokenId() {
        return idOf(config.bosToken());
    }

    public OptionalInt padTokenId() {
        return idOf(config.padToken());
    }

    public TokenizerConfig config() {
        return config;
    }

    @Override
    public void close() {
        tokenizer.close();
    }

    private OptionalInt idOf(Optional<String> token) {
        return token.isPresent() ? vocabulary.id(token.get()) : OptionalInt.empty();
    }

    private static List<AddedToken> missingAddedTokens(Vocabulary vocabulary, Map<Integer, AddedToken> fromConfig) {
        List<AddedToken> missing = new ArrayList<>();
        for (AddedToken token : fromConfig.values()) {
            if (!token.equals(vocabulary.addedTokens().get(token.id()))) {
                missing.add(token);
            }
        }
        return missing;
    }

    private static int[] eosIds(TokenizerConfig config, Vocabulary vocabulary, int[] extraEosIds) {
        Set<Integer> ids = new LinkedHashSet<>();
        config.eosToken().ifPresent(token -> vocabulary.id(token).ifPresent(ids::add));
        for (int id : extraEosIds) {
            ids.add(id);
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    /** {@code eos_token_id} of {@code generation_config.json} (a number or a list), or nothing. */
    static int[] readGenerationEosIds(Path modelDir) throws ModelLoadException {
        Path file = modelDir.resolve("generation_config.json");
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            return new int[0];
        } catch (IOException e) {
            throw new ModelLoadException("Cannot read " + file + ": " + e.getMessage(), e);
        }
        JsonNode eos = root == null ? null : root.get("eos_token_id");
        if (eos == null || eos.isNull()) {
            return new int[0];
        }
        if (eos.isInt()) {
            return new int[] {eos.asInt()};
        }
        if (eos.isArray()) {
            int[] ids = new int[eos.size()];
            for (int i = 0; i < ids.length; i++) {
                if (!eos.get(i).isInt()) {
                    throw new ModelLoadException(file + ": eos_token_id must hold integers, got " + eos);
                }
                ids[i] = eos.get(i).asInt();
            }
            return ids;
        }
        throw new ModelLoadException(file + ": eos_token_id must be an integer or a list of integers, got " + eos);
    }

    /** transformers' {@code clean_up_tokenization}: drops the spaces that word-level decoding put before punctuation. */
    static String cleanUpTokenizationSpaces(String text) {
        return text.replace(" .", ".")
                .replace(" ?", "?")
                .replace(" !", "!")
                .replace(" ,", ",")
                .replace(" ' ", "'")
                .replace(" n't", "n't")
                .replace(" 'm", "'m")
                .replace(" 's", "'s")
                .replace(" 've", "'ve")
                .replace(" 're", "'re");
    }

    private static String describe(Throwable e) {
        StringBuilder message = new StringBuilder(e.getClass().getSimpleName() + ": " + e.getMessage());
        for (Throwable cause = e.getCause(); cause != null && cause != cause.getCause(); cause = cause.getCause()) {
            message.append("; caused by ").append(cause.getClass().getSimpleName()).append(": ").append(cause.getMessage());
        }
        return message.toString();
    }

    private static boolean startsWith(int[] ids, int id) {
        return ids.length > 0 && ids[0] == id;
    }

    private static boolean endsWith(int[] ids, int id) {
        return ids.length > 0 && ids[ids.length - 1] == id;
    }

    private static int[] prepend(int id, int[] ids) {
        int[] out = new int[ids.length + 1];
        out[0] = id;
        System.arraycopy(ids, 0, out, 1, ids.length);
        return out;
    }

    private static int[] toInts(long[] ids) {
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    private static long[] toLongs(int[] ids) {
        long[] out = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = ids[i];
        }
        return out;
    }
}
