package ai.tessera.parsers.tool;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The argument notation, with the expectations of vLLM's tests/tool_parsers/test_gemma4_tool_parser.py. */
class Gemma4ArgumentsTest {
    private final PythonStyleJson json = new PythonStyleJson();

    private String object(String text) {
        return json.write(Gemma4Arguments.object(text, false));
    }

    private String partialObject(String text) {
        return json.write(Gemma4Arguments.object(text, true));
    }

    private String array(String text, boolean partial) {
        return json.write(Gemma4Arguments.array(text, partial));
    }

    @Test
    void emptyAndBlank() {
        assertEquals("{}", object(""));
        assertEquals("{}", object("   "));
    }

    @Test
    void strings() {
        assertEquals("{\"location\": \"Paris\"}", object("location:<|\"|>Paris<|\"|>"));
        assertEquals("{\"location\": \"Paris, France\"}", object("location:<|\"|>Paris, France<|\"|>"));
        assertEquals("{\"location\": \"San Francisco\", \"unit\": \"celsius\"}",
                object("location:<|\"|>San Francisco<|\"|>,unit:<|\"|>celsius<|\"|>"));
        assertEquals("{\"q\": \"a \\\"quoted\\\" {x} [y] é\\n\"}", object("q:<|\"|>a \"quoted\" {x} [y] é\n<|\"|>"));
    }

    @Test
    void typedBareValues() {
        assertEquals("{\"name\": \"test\", \"count\": 42, \"active\": true, \"score\": 3.14, \"param\": null}",
                object("name:<|\"|>test<|\"|>,count:42,active:true,score:3.14,param:null"));
        assertEquals("{\"a\": false, \"b\": null, \"c\": null, \"d\": -7, \"e\": 1000, \"f\": 108.0, \"g\": 0.5}",
                object("a:false,b:None,c:NIL,d:-7,e:1_000,f:108.,g:.5"));
        assertEquals("{\"big\": 123456789012345678901234567890}", object("big:123456789012345678901234567890"));
    }

    @Test
    void bareTextThatIsNotANumberStaysText() {
        assertEquals("{\"a\": \"1e5\", \"b\": \"1.2.3\", \"c\": \".\", \"d\": \"True\", \"e\": \"hello world\"}",
                object("a:1e5,b:1.2.3,c:.,d:True,e: hello world "));
    }

    @Test
    void nested() {
        assertEquals("{\"nested\": {\"inner\": \"value\"}, \"list\": [\"a\", \"b\"]}",
                object("nested:{inner:<|\"|>value<|\"|>},list:[<|\"|>a<|\"|>,<|\"|>b<|\"|>]"));
        assertEquals("{\"record_map\": {\"3\": \"new text\"}}", object("record_map:{<|\"|>3<|\"|>:<|\"|>new text<|\"|>}"));
        assertEquals("{\"outer\": {\"inner\": {\"3\": \"new text\"}}}",
                object("outer:{inner:{<|\"|>3<|\"|>:<|\"|>new text<|\"|>}}"));
        assertEquals("{\"m\": [[1, 2], {\"k\": [true]}], \"e\": {}, \"f\": []}", object("m:[[1,2],{k:[true]}],e:{},f:[]"));
    }

    @Test
    void bracketsInsideStringsDoNotCount() {
        assertEquals("[[\"a]b\", \"c\"], \"tail\"]", array("[<|\"|>a]b<|\"|>,<|\"|>c<|\"|>],<|\"|>tail<|\"|>", false));
        assertEquals("{\"o\": {\"s\": \"}{\"}}", object("o:{s:<|\"|>}{<|\"|>}"));
    }

    @Test
    void arrays() {
        assertEquals("[]", array("", false));
        assertEquals("[42, true, 3.14]", array("42,true,3.14", false));
        assertEquals("[42]", array("42,]trailing", false));
    }

    @Test
    void unterminatedOrMissingValues() {
        assertEquals("{\"key\": \"unterminated\"}", object("key:<|\"|>unterminated"));
        assertEquals("{\"key\": \"\"}", object("key:"));
        assertEquals("{}", partialObject("key:"));
        assertEquals("{}", partialObject("key: "));
        assertEquals("{\"name\": \"test\"}", partialObject("name:<|\"|>test<|\"|>,flag:"));
    }

    @Test
    void partialModeWithholdsValuesThatMayBeCutShort() {
        assertEquals("{}", partialObject("left:108.,right:22.8"));
        assertEquals("{\"name\": \"test\"}", partialObject("name:<|\"|>test<|\"|>,score:3.,count:1"));
        assertEquals("{\"left\": 108.0, \"right\": 22.8}", object("left:108.,right:22.8"));
        assertEquals("[]", array("108.,22.8", true));
        assertEquals("[42]", array("42,108.,3", true));
        assertEquals("{\"o\": {\"a\": 1}}", object("o:{a:1,b:2"));
    }

    @Test
    void malformedTextNeverThrowsAndKeepsWhatWasRead() {
        assertEquals("{\"\": [\"t:[\"]}", object(":[t:[]"));
        assertEquals("{}", object("a:,b:1"));
        assertEquals("{\"a\": 1}", object("a:1,no colon here"));
        assertEquals("{\"\": \"x\"}", object("<|\"|>:x"));
        assertEquals("{\"k\": {}}", object("k:{"));
        assertEquals("{\"k\": []}", object("k:["));
        assertEquals("{\"k\": \"\"}", object("k:<|\"|>"));
    }
}
