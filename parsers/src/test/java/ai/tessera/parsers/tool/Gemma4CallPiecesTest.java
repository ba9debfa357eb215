package ai.tessera.parsers.tool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import ai.tessera.api.ToolParser;
import ai.tessera.api.ToolParser.CallPiece;
import ai.tessera.api.ToolParser.Pieces;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/**
 * gemma4 calls streamed in pieces as vLLM streams them: the name once, then the JSON arguments growing by
 * differences that never need taking back, whatever the deltas (one character each splits every tag and every
 * {@code <|"|>}, which covers any tokenization), with the end result equal to the whole-text parse.
 */
class Gemma4CallPiecesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String WEATHER = "<|tool_call>call:get_weather{location:<|\"|>Paris, France<|\"|>,days:3,"
            + "detail:{wind:true,hours:[9,12,18]},note:<|\"|>a \"quoted\" {brace} [x] <b>\\<|\"|>,ratio:0.25,"
            + "nothing:null,tags:[<|\"|>a<|\"|>,{k:<|\"|>v<|\"|>}]}<tool_call|>";
    private static final String TIME = "<|tool_call>call:current_time{}<tool_call|>";

    private final Gemma4ToolParser parser = new Gemma4ToolParser();

    @Test
    void oneCharacterDeltasSendTheNameOnceThenGrowingArguments() throws Exception {
        String text = "Let me check. " + WEATHER + "\n" + TIME;
        Streamed out = stream(characters(text));
        assertEquals("Let me check. \n", out.content.toString(), "content outside calls, verbatim as vLLM streams it");
        ToolParser.Extracted whole = parser.extract(text);
        assertEquals(2, out.calls.size());
        for (int i = 0; i < 2; i++) {
            assertEquals(whole.calls().get(i).name(), out.calls.get(i).name);
            assertEquals(whole.calls().get(i).argumentsJson(), out.calls.get(i).arguments.toString());
            JSON.readTree(out.calls.get(i).arguments.toString()); // valid JSON
        }
        Call weather = out.calls.get(0);
        assertTrue(weather.id.matches("chatcmpl-tool-[0-9a-f]{32}"), weather.id);
        assertTrue(weather.argumentPieces > 10, "arguments streamed in many pieces: " + weather.argumentPieces);
        assertEquals("{}", out.calls.get(1).arguments.toString());
    }

    @Test
    void everyWayOfCuttingInTwoGivesTheSameCalls() {
        String text = "Hi " + WEATHER + TIME + " bye";
        Streamed reference = stream(List.of(text));
        for (int cut = 0; cut <= text.length(); cut++) {
            Streamed out = stream(List.of(text.substring(0, cut), text.substring(cut)));
            assertEquals(reference.content.toString(), out.content.toString(), "cut at " + cut);
            assertEquals(reference.summary(), out.summary(), "cut at " + cut);
        }
        assertEquals("Hi  bye", reference.content.toString());
    }

    @Test
    void theNameWaitsForItsBraceAndArgumentsHoldBackUnstableEnds() {
        ToolParser.Stream stream = parser.newStream();
        assertEquals(new Pieces("Sure. ", List.of()), stream.onDeltaInPieces("Sure. <|tool_"));
        assertEquals(new Pieces("", List.of()), stream.onDeltaInPieces("call>call:get_wea"));
        Pieces named = stream.onDeltaInPieces("ther{");
        assertEquals(1, named.calls().size());
        assertEquals("get_weather", named.calls().get(0).name());
        assertEquals("", named.calls().get(0).arguments());
        // a string still open: its closing quote and brace are held back; half a <|"|> is not sent as text
        assertEquals(List.of(new CallPiece(null, null, "{\"location\": \"Par")),
                stream.onDeltaInPieces("location:<|\"|>Par").calls());
        assertEquals(List.of(new CallPiece(null, null, "is")), stream.onDeltaInPieces("is<|\"").calls());
        // a bare number at the end may still grow: held back until a comma or brace ends it
        assertEquals(List.of(), stream.onDeltaInPieces("|>,days:1").calls());
        assertEquals(List.of(new CallPiece(null, null, "\", \"days\": 12")), stream.onDeltaInPieces("2,").calls());
        Pieces end = stream.onDeltaInPieces("}<tool_call|> Done.");
        assertEquals(" Done.", end.content());
        assertEquals(List.of(new CallPiece(null, null, "}")), end.calls());
        assertEquals(new Pieces("", List.of()), stream.finishInPieces());
    }

    /**
     * Cut by max_tokens inside the arguments: what was read is closed into a whole JSON object at the end (the
     * last bare value of an unclosed array may be cut short, so, as in vLLM's parse, it is left out).
     */
    @Test
    void aCallCutShortIsClosedAtTheEnd() throws Exception {
        Streamed out = stream(characters("<|tool_call>call:f{a:<|\"|>x<|\"|>,b:{c:[1,2"));
        assertEquals(1, out.calls.size());
        assertEquals("{\"a\": \"x\", \"b\": {\"c\": [1]}}", out.calls.get(0).arguments.toString());
        JSON.readTree(out.calls.get(0).arguments.toString());
    }

    /** Text that never becomes {@code call:NAME{} goes back to content as written; a later call still works. */
    @Test
    void malformedCallsAreContent() {
        for (String bad : List.of("<|tool_call>garbage<tool_call|>", "<|tool_call>call:bad name{a:1}<tool_call|>",
                "<|tool_call>call:f(a:1)<tool_call|>")) {
            Streamed out = stream(characters(bad + TIME));
            assertEquals(bad, out.content.toString(), bad);
            assertEquals(List.of("current_time{}"), out.summary(), bad);
        }
        assertEquals("<|tool_call>call:f", stream(characters("<|tool_call>call:f")).content.toString());
        assertEquals("a <|tool_ca", stream(characters("a <|tool_ca")).content.toString(), "a held partial tag is released");
    }

    /** Random soups of tag fragments in random deltas: nothing throws and the result equals one delta's. */
    @Test
    void randomFragmentsStreamLikeOneDelta() {
        String[] fragments = {"<|tool_call>", "<tool_call|>", "call:", "f", "{", "}", "[", "]", ":", ",", "<|\"|>",
            "a", "1", ".", " ", "<|", "|>", "<", "\n", "call:f{", "}<tool_call|>", "true", "a:", "\\"};
        java.util.Random random = new java.util.Random(7);
        for (int round = 0; round < 3000; round++) {
            StringBuilder text = new StringBuilder();
            int length = random.nextInt(14);
            for (int i = 0; i < length; i++) {
                text.append(fragments[random.nextInt(fragments.length)]);
            }
            String input = text.toString();
            List<String> deltas = new ArrayList<>();
            for (int from = 0; from < input.length(); ) {
                int to = Math.min(input.length(), from + 1 + random.nextInt(5));
                deltas.add(input.substring(from, to));
                from = to;
            }
            Streamed inOneGo = stream(List.of(input));
            Streamed streamed = stream(deltas);
            assertEquals(inOneGo.content.toString(), streamed.content.toString(), input);
            assertEquals(inOneGo.summary(), streamed.summary(), input + " in " + deltas);
        }
    }

    @Test
    void aStreamIsReadOneWayOnly() {
        ToolParser.Stream stream = parser.newStream();
        stream.onDeltaInPieces("x");
        assertThrows(IllegalStateException.class, () -> stream.onDelta("y"));
        assertTrue(parser.needsSpecialTokens());
    }

    @Test
    void piecesOpenACallWithIdAndNameOrContinueWithNeither() {
        assertThrows(IllegalArgumentException.class, () -> new CallPiece("id", null, ""));
        assertThrows(IllegalArgumentException.class, () -> new CallPiece(null, null, null));
        CallPiece opening = Pieces.whole(parser.extract(TIME)).calls().get(0);
        assertTrue(opening.opensCall());
        assertNotNull(opening.id());
        assertNull(new CallPiece(null, null, "x").name());
    }

    static List<String> characters(String text) {
        List<String> pieces = new ArrayList<>();
        for (int i = 0; i < text.length(); i++) {
            pieces.add(text.substring(i, i + 1));
        }
        return pieces;
    }

    /** Runs a fresh stream in pieces; checks that each piece opens a call or continues the last one. */
    Streamed stream(List<String> deltas) {
        ToolParser.Stream stream = parser.newStream();
        Streamed out = new Streamed();
        for (String delta : deltas) {
            out.add(stream.onDeltaInPieces(delta));
        }
        out.add(stream.finishInPieces());
        return out;
    }

    static final class Call {
        final String id;
        final String name;
        final StringBuilder arguments = new StringBuilder();
        int argumentPieces;

        Call(String id, String name) {
            this.id = id;
            this.name = name;
        }
    }

    static final class Streamed {
        final StringBuilder content = new StringBuilder();
        final List<Call> calls = new ArrayList<>();

        void add(Pieces pieces) {
            content.append(pieces.content());
            for (CallPiece piece : pieces.calls()) {
                if (piece.opensCall()) {
                    calls.add(new Call(piece.id(), piece.name()));
                } else {
                    assertTrue(!calls.isEmpty(), "a piece continued a call that was never opened: " + piece);
                }
                Call call = calls.get(calls.size() - 1);
                if (!piece.arguments().isEmpty()) {
                    call.argumentPieces++;
                }
                call.arguments.append(piece.arguments());
            }
        }

        List<String> summary() {
            return calls.stream().map(c -> c.name + c.arguments).toList();
        }
    }
}
