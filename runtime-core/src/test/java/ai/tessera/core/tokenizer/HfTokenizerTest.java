package ai.tessera.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

import ai.tessera.api.ModelLoadException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HfTokenizerTest {
    @TempDir
    Path dir;

    @Test
    void encodesAndDecodesWithSpecialTokensFromTokenizerJson() throws Exception {
        try (HfTokenizer tokenizer = HfTokenizer.load(TinyTokenizers.modelDir(dir, TinyTokenizers.byteFallback(), null, null))) {
            int[] ids = tokenizer.encode("ab", true);
            assertArrayEquals(new int[] {1, 260, 261}, ids, "<s> from the post processor, then a and b");
            assertArrayEquals(new int[] {260, 261}, tokenizer.encode("ab", false));
            assertEquals("<s>ab", tokenizer.decode(ids, false));
            assertEquals("ab", tokenizer.decode(ids, true));
            assertEquals(OptionalInt.of(259), tokenizer.tokenToId("\u2581"));
            assertEquals(Optional.of("<0x41>"), tokenizer.idToToken(3 + 0x41));
            assertEquals(OptionalInt.empty(), tokenizer.tokenToId("never"));
            assertEquals(286, tokenizer.vocabSize(), "3 specials, 256 bytes, ▁ and 26 letters");
        }
    }

    @Test
    void specialTokensAndStopTokensComeFromTheConfigs() throws Exception {
        String config = "{\"bos_token\": {\"content\": \"<s>\", \"__type\": \"AddedToken\"}, \"eos_token\": \"</s>\","
                + " \"pad_token\": null, \"unk_token\": \"<unk>\"}";
        Path model = TinyTokenizers.modelDir(dir, TinyTokenizers.byteFallback(), config, "{\"eos_token_id\": [2, 0, 2]}");
        try (HfTokenizer tokenizer = HfTokenizer.load(model)) {
            assertEquals(Optional.of("<s>"), tokenizer.bosToken());
            assertEquals(OptionalInt.of(1), tokenizer.bosTokenId());
            assertEquals(Optional.of("</s>"), tokenizer.eosToken());
            assertEquals(Optional.empty(), tokenizer.padToken());
            assertArrayEquals(new int[] {2, 0}, tokenizer.eosTokenIds(), "eos_token first, then generation_config's, no repeats");
        }
    }

    @Test
    void addBosAndEosTokenOverrideThePostProcessor() throws Exception {
        String noBos = "{\"bos_token\": \"<s>\", \"eos_token\": \"</s>\", \"add_bos_token\": false, \"add_eos_token\": true}";
        try (HfTokenizer tokenizer = HfTokenizer.load(TinyTokenizers.modelDir(dir, TinyTokenizers.byteFallback(), noBos, null))) {
            assertArrayEquals(new int[] {260, 2}, tokenizer.encode("a", true));
            assertArrayEquals(new int[] {260}, tokenizer.encode("a", false));
        }
    }

    @Test
    void addedTokensOfTheConfigAreMatchedWholeAndSkippable() throws Exception {
        String config = "{\"added_tokens_decoder\": {\"258\": {\"content\": \"<|tool|>\", \"special\": true},"
                + " \"259\": {\"content\": \"<|note|>\", \"special\": false}}}";
        try (HfTokenizer tokenizer = HfTokenizer.load(TinyTokenizers.modelDir(dir, TinyTokenizers.byteLevel(), config, null))) {
            int[] ids = tokenizer.encode("a<|tool|>b<|note|>", false);
            assertArrayEquals(new int[] {'a', 258, 'b', 259}, ids);
            assertEquals("ab<|note|>", tokenizer.decode(ids, true));
            assertEquals(OptionalInt.of(258), tokenizer.tokenToId("<|tool|>"));
            assertTrue(tokenizer.isSpecial(258));
            assertEquals(Map.of(TinyTokenizers.END, "<|end|>", TinyTokenizers.START, "<|start|>", 258, "<|tool|>", 259, "<|note|>"),
                    contents(tokenizer.addedTokens()));
        }
    }

    @Test
    void addedTokenIdsFollowTheNativeTokenizerWhenTheFileLeavesGaps() throws Exception {
        // the tokenizers library numbers unknown added tokens consecutively, whatever id the file says
        String config = "{\"added_tokens_decoder\": {\"300\": {\"content\": \"<|tool|>\", \"special\": true}}}";
        try (HfTokenizer tokenizer = HfTokenizer.load(TinyTokenizers.modelDir(dir, TinyTokenizers.byteLevel(), config, null))) {
            int[] ids = tokenizer.encode("<|tool|>", false);
            assertEquals(1, ids.length);
            assertEquals(OptionalInt.of(ids[0]), tokenizer.tokenToId("<|tool|>"));
            assertEquals(Optional.of("<|tool|>"), tokenizer.idToToken(ids[0]));
            assertTrue(tokenizer.isSpecial(ids[0]));
        }
    }

    private static Map<Integer, String> contents(Map<Integer, AddedToken> added) {
        Map<Integer, String> contents = new java.util.HashMap<>();
        added.forEach((id, token) -> contents.put(id, token.content()));
        return contents;
    }

    @Test
    void cleansUpTokenizationSpacesWhenTheConfigSaysSo() throws Exception {
        String config = "{\"clean_up_tokenization_spaces\": true}";
        try (HfTokenizer tokenizer = HfTokenizer.load(TinyTokenizers.modelDir(dir, TinyTokenizers.byteLevel(), config, null))) {
            assertEquals("Hello, world!", tokenizer.decode(tokenizer.encode("Hello , world !", false), false));
        }
    }

    @Test
    void aFolderWithoutTokenizerJsonIsAClearError() {
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> HfTokenizer.load(dir));
        assertTrue(e.getMessage().contains("No tokenizer.json in " + dir), e.getMessage());
    }

    @Test
    void aBrokenTokenizerJsonNamesTheFile() throws Exception {
        Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {\"type\": \"Nonsense\"}}");
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> HfTokenizer.load(dir));
        assertTrue(e.getMessage().contains(dir.resolve("tokenizer.json").toString()), e.getMessage());
    }

    @Test
    void generationConfigWithAWrongEosTypeIsRejected() throws Exception {
        Path model = TinyTokenizers.modelDir(dir, TinyTokenizers.byteLevel(), null, "{\"eos_token_id\": \"</s>\"}");
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> HfTokenizer.load(model));
        assertTrue(e.getMessage().contains("eos_token_id must be an integer or a list of integers"), e.getMessage());
    }
}
