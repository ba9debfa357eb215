package ai.tessera.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** Stop strings over detokenized text, and what may be streamed before the request ends. */
class OutputTextTest {
    /** Token i decodes to PIECES[i]. */
    private static final Map<Integer, String> PIECES = Map.of(0, "Hel", 1, "lo ", 2, "wor", 3, "ld", 4, "!", 5,
            "\n\nUs", 6, "er:");

    private static OutputText text(String... stops) {
        TextDecoder decoder = prompt -> ids -> {
            StringBuilder s = new StringBuilder();
            for (int id : ids) {
                s.append(PIECES.get(id));
            }
            return s.toString();
        };
        return new OutputText(decoder.start(new int[0]), List.of(stops));
    }

    @Test
    void aStopStringSplitAcrossTokensIsFoundAndCutOff() {
        OutputText t = text("\n\nUser:");
        assertNull(t.append(new int[] {0}));
        assertNull(t.append(new int[] {1}));
        assertNull(t.append(new int[] {5}));
        assertEquals("\n\nUser:", t.append(new int[] {6}));
        assertEquals("Hello ", t.text());
    }

    @Test
    void includeStopStrInOutputKeepsTheStopStringAndNothingAfterIt() {
        TextDecoder decoder = prompt -> ids -> {
            StringBuilder s = new StringBuilder();
            for (int id : ids) {
                s.append(PIECES.get(id));
            }
            return s.toString();
        };
        OutputText t = new OutputText(decoder.start(new int[0]), List.of("o w"), true);
        assertNull(t.append(new int[] {0}));
        assertEquals("o w", t.append(new int[] {1, 2}), "found across two tokens");
        assertEquals("Hello w", t.takeDelta(true), "ends with the stop string; 'or' after it is cut");
    }

    @Test
    void textThatMayStartAStopStringIsHeldBackUntilTheEnd() {
        OutputText t = text("world!");
        t.append(new int[] {0});
        t.append(new int[] {1});
        assertEquals("H", t.takeDelta(false), "5 characters are held back for a 6-character stop string");
        t.append(new int[] {2});
        assertEquals("ell", t.takeDelta(false));
        t.append(new int[] {3});
        assertEquals("o ", t.takeDelta(false));
        assertEquals("world!", t.append(new int[] {4}));
        assertEquals("", t.takeDelta(true), "the stop string itself is never streamed");
        assertEquals("Hello ", t.text());
    }

    @Test
    void theEarliestOfSeveralStopStringsWins() {
        OutputText t = text("ld", "wor");
        t.append(new int[] {0, 1});
        assertEquals("wor", t.append(new int[] {2, 3}));
        assertEquals("Hello ", t.text());
    }

    @Test
    void withoutStopStringsEverythingStreamsAtOnce() {
        OutputText t = text();
        assertNull(t.append(new int[] {0}));
        assertEquals("Hel", t.takeDelta(false));
        t.append(new int[] {1});
        assertEquals("lo ", t.takeDelta(false));
    }

    @Test
    void aFullDecoderHoldsBackAnUnfinishedCharacter() {
        TextDecoder.Session s = TextDecoder.fromFullDecode(ids -> ids.length == 1 ? "a\uFFFD" : "a\u00e9").start(new int[0]);
        assertEquals("a", s.next(new int[] {1}));
        assertEquals("\u00e9", s.next(new int[] {2}));
    }
}
