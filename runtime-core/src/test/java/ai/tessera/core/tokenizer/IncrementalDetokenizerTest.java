package ai.tessera.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Streaming detokenization with one byte per token: every multi-byte character crosses token boundaries. */
class IncrementalDetokenizerTest {
    private static final String MIXED = "Hi 👋🏽 你好, café — 🇫🇷!";

    @TempDir
    static Path dir;
    private static HfTokenizer byteLevel;
    private static HfTokenizer byteFallback;

    @BeforeAll
    static void load() throws Exception {
        byteLevel = HfTokenizer.load(TinyTokenizers.modelDir(dir.resolve("bytelevel"), TinyTokenizers.byteLevel(), null, null));
        byteFallback = HfTokenizer.load(TinyTokenizers.modelDir(dir.resolve("fallback"), TinyTokenizers.byteFallback(), null, null));
    }

    @AfterAll
    static void close() {
        byteLevel.close();
        byteFallback.close();
    }

    @Test
    void byteLevelTokensSplitCharactersIntoBytes() {
        int[] ids = byteLevel.encode("你", false);
        assertArrayEquals(new int[] {0xE4, 0xBD, 0xA0}, ids, "one token per UTF-8 byte of 你");
        assertEquals("\uFFFD", byteLevel.decode(new int[] {0xE4, 0xBD}, false),
                "decoding half a character gives the replacement character, which must never be streamed");
    }

    @Test
    void emitsOnlyWholeCharactersWithByteLevelTokens() {
        assertStreamsExactly(byteLevel, MIXED);
    }

    @Test
    void emitsOnlyWholeCharactersWithByteFallbackTokens() {
        int[] ids = byteFallback.encode("é", false);
        assertEquals(List.of("<0xC3>", "<0xA9>"), tokens(byteFallback, ids), "é falls back to its two UTF-8 bytes");
        assertStreamsExactly(byteFallback, MIXED.toLowerCase());
    }

    @Test
    void holdsBackAnIncompleteEmojiUntilItsLastByte() {
        byte[] wave = "👋".getBytes(StandardCharsets.UTF_8);
        IncrementalDetokenizer detokenizer = byteLevel.newDetokenizer(byteLevel.encode("Hi ", false), true);
        for (int i = 0; i < wave.length - 1; i++) {
            assertEquals("", detokenizer.next(wave[i] & 0xFF), "byte " + (i + 1) + " of 4 of 👋 must not be emitted");
        }
        assertEquals("👋", detokenizer.next(wave[wave.length - 1] & 0xFF));
    }

    @Test
    void skipsSpecialTokensWhenAsked() {
        int[] prompt = byteLevel.encode("Q: ", false);
        IncrementalDetokenizer skipping = byteLevel.newDetokenizer(prompt, true);
        IncrementalDetokenizer keeping = byteLevel.newDetokenizer(prompt, false);
        List<Integer> ids = new ArrayList<>();
        ids.add(TinyTokenizers.START);
        for (int id : byteLevel.encode("ok 你", false)) {
            ids.add(id);
        }
        ids.add(TinyTokenizers.END);
        for (int id : ids) {
            skipping.next(id);
            keeping.next(id);
        }
        assertEquals("ok 你", skipping.text());
        assertEquals("<|start|>ok 你<|end|>", keeping.text());
        assertTrue(byteLevel.isSpecial(TinyTokenizers.END));
        assertFalse(byteLevel.isSpecial('a'));
    }

    @Test
    void firstTokenIsDecodedWithThePromptAsContext() {
        // SentencePiece: "▁b" after a prompt must give " b" (the space is part of the token)
        int[] prompt = byteFallback.encode("a", true);
        IncrementalDetokenizer detokenizer = byteFallback.newDetokenizer(prompt, true);
        StringBuilder out = new StringBuilder();
        for (int id : byteFallback.encode(" b c", false)) {
            out.append(detokenizer.next(id));
        }
        assertEquals(" b c", out.toString());
    }

    @Test
    void longGenerationsStayCorrectAfterCompaction() {
        String text = "αβγ🙂 ".repeat(400);
        assertStreamsExactly(byteLevel, text);
    }

    /** Feeding the ids one by one yields the full decode, and no delta ever holds U+FFFD. */
    private static void assertStreamsExactly(HfTokenizer tokenizer, String text) {
        int[] ids = tokenizer.encode(text, false);
        IncrementalDetokenizer detokenizer = tokenizer.newDetokenizer(new int[0], true);
        StringBuilder streamed = new StringBuilder();
        for (int id : ids) {
            String delta = detokenizer.next(id);
            assertFalse(delta.contains("\uFFFD"), "a delta held a broken character: " + delta);
            assertFalse(!delta.isEmpty() && Character.isHighSurrogate(delta.charAt(delta.length() - 1)),
                    "a delta ended inside a surrogate pair");
            streamed.append(delta);
        }
        assertEquals(tokenizer.decode(ids, true), streamed.toString());
        assertEquals(text, streamed.toString());
        assertEquals(text, detokenizer.text());
    }

    private static List<String> tokens(HfTokenizer tokenizer, int[] ids) {
        List<String> tokens = new ArrayList<>();
        for (int id : ids) {
            tokens.add(tokenizer.idToToken(id).orElseThrow());
        }
        return tokens;
    }
}
