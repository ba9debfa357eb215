package ai.tessera.parsers.tool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import ai.tessera.api.ReasoningParser;
import ai.tessera.api.ToolParser;
import ai.tessera.parsers.reasoning.Gemma4ReasoningParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/**
 * The parsers read back what the real Gemma 4 chat template writes: the model turns of the parity fixture that
 * transformers rendered from tools/reference/templates/gemma4.jinja (runtime-core's fixtures/chat/gemma4.json)
 * give the reasoning and the calls, with their arguments, of the conversation they were rendered from; whole and
 * streamed one character at a time through both parsers, as the server chains them.
 */
class Gemma4TemplateRoundTripTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path CHAT_FIXTURES = Path.of("../runtime-core/src/test/resources/fixtures/chat");
    private static final String MODEL_TURN = "<|turn>model\n";

    private final ReasoningParser reasoning = new Gemma4ReasoningParser();
    private final ToolParser tools = new Gemma4ToolParser();

    @Test
    void callsAndReasoningRenderedByTheTemplateParseBack() throws IOException {
        JsonNode conversations = JSON.readTree(Files.readString(CHAT_FIXTURES.resolve("conversations.json")));
        JsonNode renders = JSON.readTree(Files.readString(CHAT_FIXTURES.resolve("gemma4.json"))).get("renders");
        int checked = 0;
        for (String name : List.of("gemma4_tool_call_round_trip", "gemma4_tool_call_history_then_user")) {
            JsonNode assistant = assistantWithCalls(conversation(conversations, name));
            String rendered = render(renders, name);
            int turn = rendered.indexOf(MODEL_TURN);
            String output = rendered.substring(turn + MODEL_TURN.length(), rendered.indexOf("<|tool_response>", turn));

            ReasoningParser.Extracted split = reasoning.extract(output);
            String expectedReasoning = assistant.hasNonNull("reasoning_content")
                    ? assistant.get("reasoning_content").asText() + "\n" : "";
            assertEquals(expectedReasoning, split.reasoning(), name + ": the template closes reasoning with a newline");
            ToolParser.Extracted whole = tools.extract(split.content());
            assertEquals("", whole.content(), name);
            assertCalls(name, assistant.get("tool_calls"), whole.calls().stream()
                    .map(c -> new String[] {c.name(), c.argumentsJson()}).toList());

            Streamed streamed = streamByCharacter(output);
            assertEquals(expectedReasoning, streamed.reasoning.toString(), name + " streamed");
            assertEquals("", streamed.content.toString(), name + " streamed");
            assertCalls(name + " streamed", assistant.get("tool_calls"), streamed.calls);
            checked++;
        }
        assertEquals(2, checked);
    }

    private void assertCalls(String what, JsonNode expected, List<String[]> actual) throws IOException {
        assertEquals(expected.size(), actual.size(), what + ": calls");
        for (int i = 0; i < actual.size(); i++) {
            JsonNode function = expected.get(i).get("function");
            assertEquals(function.get("name").asText(), actual.get(i)[0], what);
            // same JSON value: the template writes keys sorted, the parser keeps the order it reads
            assertEquals(function.get("arguments"), JSON.readTree(actual.get(i)[1]), what + ": " + actual.get(i)[1]);
        }
    }

    /** The reasoning stream feeds the tool stream, one character of output at a time. */
    private Streamed streamByCharacter(String output) {
        ReasoningParser.Stream thinking = reasoning.newStream();
        ToolParser.Stream calls = tools.newStream();
        Streamed out = new Streamed();
        for (int i = 0; i < output.length(); i++) {
            out.add(thinking.onDelta(output.substring(i, i + 1)), calls);
        }
        out.add(thinking.finish(), calls);
        out.addPieces(calls.finishInPieces());
        return out;
    }

    private static final class Streamed {
        final StringBuilder reasoning = new StringBuilder();
        final StringBuilder content = new StringBuilder();
        final List<String[]> calls = new ArrayList<>();

        void add(ReasoningParser.Extracted split, ToolParser.Stream tools) {
            reasoning.append(split.reasoning());
            addPieces(tools.onDeltaInPieces(split.content()));
        }

        void addPieces(ToolParser.Pieces pieces) {
            content.append(pieces.content());
            for (ToolParser.CallPiece piece : pieces.calls()) {
                if (piece.opensCall()) {
                    calls.add(new String[] {piece.name(), piece.arguments()});
                } else {
                    assertTrue(!calls.isEmpty(), "continues no call: " + piece);
                    String[] last = calls.get(calls.size() - 1);
                    last[1] = last[1] + piece.arguments();
                }
            }
        }
    }

    private static JsonNode conversation(JsonNode spec, String name) {
        for (JsonNode conversation : spec.get("conversations")) {
            if (conversation.get("name").asText().equals(name)) {
                return conversation;
            }
        }
        throw new AssertionError("conversations.json has no conversation " + name);
    }

    private static JsonNode assistantWithCalls(JsonNode conversation) {
        for (JsonNode message : conversation.get("messages")) {
            if (message.path("role").asText().equals("assistant") && message.has("tool_calls")) {
                return message;
            }
        }
        throw new AssertionError(conversation.get("name") + " has no assistant message with tool_calls");
    }

    private static String render(JsonNode renders, String name) {
        for (JsonNode render : renders) {
            if (render.get("name").asText().equals(name)) {
                return render.get("text").asText();
            }
        }
        throw new AssertionError("fixtures/chat/gemma4.json has no render " + name);
    }
}
