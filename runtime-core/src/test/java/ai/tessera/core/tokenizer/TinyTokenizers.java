package ai.tessera.core.tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Hand-made {@code tokenizer.json} files for tests that must not depend on a download: one byte per token, so
 * that every multi-byte character is split across tokens.
 */
public final class TinyTokenizers {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Ids of the added special tokens of {@link #byteLevel}. */
    public static final int END = 256;
    public static final int START = 257;

    private TinyTokenizers() {
    }

    /**
     * Byte-level BPE (GPT-2's byte-to-symbol map) without merges: ids 0-255 are the bytes, in byte order, plus the
     * special tokens {@code <|end|>} (256) and {@code <|start|>} (257).
     */
    public static ObjectNode byteLevel() {
        ObjectNode root = skeleton();
        ObjectNode byteLevel = JSON.createObjectNode().put("type", "ByteLevel").put("add_prefix_space", false)
                .put("trim_offsets", true).put("use_regex", true);
        root.set("pre_tokenizer", byteLevel);
        root.set("decoder", byteLevel.deepCopy());
        ObjectNode vocab = JSON.createObjectNode();
        String[] symbols = byteSymbols();
        for (int b = 0; b < 256; b++) {
            vocab.put(symbols[b], b);
        }
        root.set("model", bpe(vocab, false, null));
        ArrayNode added = root.putArray("added_tokens");
        added.add(addedToken(END, "<|end|>", true));
        added.add(addedToken(START, "<|start|>", true));
        return root;
    }

    /**
     * SentencePiece-style BPE with byte fallback, as Gemma and Llama: {@code <unk> <s> </s>} (0-2), the 256 byte
     * tokens {@code <0x00>}... (3-258), {@code ▁} (259) and the ASCII letters; spaces become ▁, the post
     * processor puts {@code <s>} first, and the decoder fuses the bytes.
     */
    public static ObjectNode byteFallback() {
        ObjectNode root = skeleton();
        root.set("normalizer", JSON.createObjectNode().put("type", "Replace")
                .<ObjectNode>set("pattern", JSON.createObjectNode().put("String", " ")).put("content", "\u2581"));
        ArrayNode decoders = JSON.createArrayNode();
        decoders.add(JSON.createObjectNode().put("type", "Replace")
                .<ObjectNode>set("pattern", JSON.createObjectNode().put("String", "\u2581")).put("content", " "));
        decoders.add(JSON.createObjectNode().put("type", "ByteFallback"));
        decoders.add(JSON.createObjectNode().put("type", "Fuse"));
        root.set("decoder", JSON.createObjectNode().put("type", "Sequence").set("decoders", decoders));
        ObjectNode processor = JSON.createObjectNode().put("type", "TemplateProcessing");
        ArrayNode single = processor.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ArrayNode pair = processor.putArray("pair");
        pair.addAll(single.deepCopy());
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        ObjectNode bos = processor.putObject("special_tokens").putObject("<s>");
        bos.put("id", "<s>");
        bos.putArray("ids").add(1);
        bos.putArray("tokens").add("<s>");
        root.set("post_processor", processor);
        Map<String, Integer> ids = new LinkedHashMap<>();
        ids.put("<unk>", 0);
        ids.put("<s>", 1);
        ids.put("</s>", 2);
        for (int b = 0; b < 256; b++) {
            ids.put(String.format("<0x%02X>", b), 3 + b);
        }
        ids.put("\u2581", 259);
        for (char c = 'a'; c <= 'z'; c++) {
            ids.put(String.valueOf(c), ids.size());
        }
        ObjectNode vocab = JSON.createObjectNode();
        ids.forEach(vocab::put);
        root.set("model", bpe(vocab, true, "<unk>"));
        ArrayNode added = root.putArray("added_tokens");
        added.add(addedToken(0, "<unk>", true));
        added.add(addedToken(1, "<s>", true));
        added.add(addedToken(2, "</s>", true));
        return root;
    }

    /** Writes {@code tokenizer} (and the other files, when not null) into a model folder. */
    public static Path modelDir(Path dir, ObjectNode tokenizer, String tokenizerConfig, String generationConfig) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("tokenizer.json"), JSON.writeValueAsString(tokenizer));
            if (tokenizerConfig != null) {
                Files.writeString(dir.resolve("tokenizer_config.json"), tokenizerConfig);
            }
            if (generationConfig != null) {
                Files.writeString(dir.resolve("generation_config.json"), generationConfig);
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ObjectNode skeleton() {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        root.putArray("added_tokens");
        root.putNull("normalizer");
        root.putNull("pre_tokenizer");
        root.putNull("post_processor");
        root.putNull("decoder");
        return root;
    }

    private static ObjectNode bpe(ObjectNode vocab, boolean byteFallback, String unk) {
        ObjectNode model = JSON.createObjectNode();
        model.put("type", "BPE");
        model.putNull("dropout");
        if (unk == null) {
            model.putNull("unk_token");
        } else {
            model.put("unk_token", unk);
        }
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", byteFallback);
        model.put("byte_fallback", byteFallback);
        model.put("ignore_merges", false);
        model.set("vocab", vocab);
        model.putArray("merges");
        return model;
    }

    private static ObjectNode addedToken(int id, String content, boolean special) {
        return JSON.createObjectNode().put("id", id).put("content", content).put("single_word", false)
                .put("lstrip", false).put("rstrip", false).put("normalized", !special).put("special", special);
    }

    /** GPT-2's bytes_to_unicode: printable bytes stand for themselves, the others for code points from 256 on. */
    static String[] byteSymbols() {
        String[] symbols = new String[256];
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            symbols[b] = new String(Character.toChars(printable ? b : next++));
        }
        return symbols;
    }
}
