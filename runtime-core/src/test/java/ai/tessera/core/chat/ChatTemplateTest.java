package ai.tessera.core.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import ai.tessera.api.ModelLoadException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading precedence and the Jinja2 semantics that HF chat templates rely on, without any model files. */
class ChatTemplateTest {
    @TempDir
    Path dir;

    // ---- where the template comes from

    @Test
    void chatTemplateJinjaWinsOverTokenizerConfig() throws Exception {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": \"from config\", \"bos_token\": \"<s>\"}");
        Files.writeString(dir.resolve("chat_template.jinja"), "from jinja {{ bos_token }}");
        ChatTemplate template = ChatTemplate.load(dir, Optional.empty());
        assertEquals("from jinja <s>", render(template, List.of(), false));
        assertEquals(dir.resolve("chat_template.jinja").toString(), template.source().origin());
    }

    @Test
    void chatTemplateJsonWinsOverTokenizerConfigButNotOverJinja() throws Exception {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": \"from config\"}");
        Files.writeString(dir.resolve("chat_template.json"), "{\"chat_template\": \"from processor\"}");
        assertEquals("from processor", render(ChatTemplate.load(dir, Optional.empty()), List.of(), false));
        Files.writeString(dir.resolve("chat_template.jinja"), "from jinja");
        assertEquals("from jinja", render(ChatTemplate.load(dir, Optional.empty()), List.of(), false));
    }

    @Test
    void tokenizerConfigTemplateListUsesTheDefaultOne() throws Exception {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": [{\"name\": \"tool_use\", \"template\": \"tools\"},"
                + " {\"name\": \"default\", \"template\": \"plain\"}]}");
        assertEquals("plain", render(ChatTemplate.load(dir, Optional.empty()), List.of(), false));
    }

    @Test
    void aTemplateListWithoutDefaultNamesWhatItHas() throws Exception {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": [{\"name\": \"tool_use\", \"template\": \"x\"}]}");
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> ChatTemplate.load(dir, Optional.empty()));
        assertTrue(e.getMessage().contains("[tool_use]") && e.getMessage().contains("\"default\""), e.getMessage());
    }

    @Test
    void theOverrideFileWinsOverEverything() throws Exception {
        Files.writeString(dir.resolve("chat_template.jinja"), "from jinja");
        Path override = dir.resolve("mine.jinja");
        Files.writeString(override, "override");
        assertEquals("override", render(ChatTemplate.load(dir, Optional.of(override)), List.of(), false));
    }

    @Test
    void noTemplateIsAClearError() {
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> ChatTemplate.load(dir, Optional.empty()));
        assertTrue(e.getMessage().contains("No chat template for " + dir) && e.getMessage().contains("--chat-template"),
                e.getMessage());
        Path missing = dir.resolve("missing.jinja");
        e = assertThrows(ModelLoadException.class, () -> ChatTemplate.load(dir, Optional.of(missing)));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    }

    // ---- what the template can do

    @Test
    void raiseExceptionCarriesTheTemplatesMessage() throws Exception {
        ChatTemplate template = template("{% for m in messages %}{% if (m['role'] == 'user') != (loop.index0 % 2 == 0) %}"
                + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
                + "{{ m['content'] }}{% endfor %}");
        TemplateRaisedException e = assertThrows(TemplateRaisedException.class,
                () -> render(template, List.of(message("user", "a"), message("user", "b")), false));
        assertEquals("Conversation roles must alternate user/assistant/user/assistant/...", e.templateMessage());
        assertEquals(e.templateMessage(), e.getMessage());
        assertEquals("ab", render(template, List.of(message("user", "a"), message("assistant", "b")), false));
    }

    @Test
    void trimBlocksAndLstripBlocksAsTransformersSetsThem() throws Exception {
        String source = "{% for m in messages %}\n    {% if m.role == 'user' %}\n  U: {{ m.content }}\n    {% endif %}\n{% endfor %}";
        assertEquals("  U: hi\n", render(template(source), List.of(message("user", "hi")), false));
        // lstrip only applies where the tag starts its line; text before a tag in mid-line keeps its spaces
        assertEquals("a b  c", render(template("a {% if true %}b{% endif %}  c"), List.of(), false));
    }

    @Test
    void whitespaceControlMarkersStripBothWays() throws Exception {
        assertEquals("xABC D", render(template("x\n    {{- 'A' }}\n    {{- 'B' -}}   \n C {#- note #} D"), List.of(), false));
        assertEquals("-12 3", render(template("{{ -1 }} {{- 2 }} {{ 3 -}}   "), List.of(), false));
        assertEquals("a\n  b\n", render(template("a\n  {%+ if true %}b{% endif +%}\n\n"), List.of(), false));
    }

    @Test
    void oneTrailingNewlineOfTheTemplateIsDropped() throws Exception {
        assertEquals("x\n", render(template("x\n\n"), List.of(), false));
    }

    /** Gemma 4's {@code properties:{ {{- x -}} }}: whitespace control leaves braces next to the tags. */
    @Test
    void bracesNextToTagsStayText() throws Exception {
        assertEquals("a:{1}|b:{x}|{}", template("a:{ {{- 1 -}} }|b:{ {%- if true -%} x {%- endif -%} }|{ {{- '' -}} }")
                .render(List.of(), false, null, null));
    }

    /** A macro that calls itself renders as in Jinja2 (Gemma 4 formats nested parameter schemas so). */
    @Test
    void macrosMayCallThemselves() throws Exception {
        String source = "{%- macro nest(d) -%}{%- for k, v in d | dictsort -%}{{ k }}:{% if v is mapping %}{ {{- nest(v) -}} }"
                + "{% else %}{{ v }}{% endif %};{%- endfor -%}{%- endmacro -%}{{ nest(tree) }}";
        Map<String, Object> tree = Map.of("a", Map.of("b", Map.of("c", 1), "d", 2), "e", 3);
        assertEquals("a:{b:{c:1;};d:2;};e:3;", template(source).render(List.of(), false, null, Map.of("tree", tree)));
    }

    @Test
    void tojsonWritesWhatPythonsJsonDumpsWrites() throws Exception {
        Map<String, Object> tool = new LinkedHashMap<>();
        tool.put("name", "get_weather");
        tool.put("description", "Wetter für 東京 🌧 \"now\"\n");
        tool.put("parameters", Map.of("type", "object"));
        tool.put("strict", true);
        tool.put("limits", List.of(1, 2.5, 1e-5, 1e16, 100.0));
        tool.put("none", null);
        Map<String, Object> extra = Map.of("tool", tool);
        assertEquals("{\"name\": \"get_weather\", \"description\": \"Wetter für 東京 🌧 \\\"now\\\"\\n\", \"parameters\": "
                        + "{\"type\": \"object\"}, \"strict\": true, \"limits\": [1, 2.5, 1e-05, 1e+16, 100.0], \"none\": null}",
                template("{{ tool | tojson }}").render(List.of(), false, null, extra));
        assertEquals("{\n  \"type\": \"object\"\n}", template("{{ tool.parameters | tojson(indent=2) }}").render(List.of(), false, null, extra));
        assertEquals("\"f\\u00fcr\"", template("{{ 'für' | tojson(ensure_ascii=true) }}").render(List.of(), false, null, null));
        assertEquals("{\"a\":1}", template("{{ {'a': 1} | tojson(separators=(',', ':')) }}").render(List.of(), false, null, null));
        assertEquals("{\"a\": 2, \"b\": 1}", template("{{ {'b': 1, 'a': 2} | tojson(sort_keys=true) }}").render(List.of(), false, null, null));
    }

    @Test
    void pythonStringMethodsBehaveAsInPython() throws Exception {
        ChatTemplate template = template("{% set c = messages[0].content %}"
                + "[{{ c.split('</think>')[-1].lstrip('\\n') }}]"
                + "[{{ c.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') }}]"
                + "[{{ c.startswith('<think>') }}|{{ c.endswith(('x', 'done')) }}]"
                + "[{{ '  a  b '.split() | length }}|{{ 'a|b||'.split('|') | length }}|{{ ' x '.strip() }}|{{ 'Hi'.upper() }}]"
                + "[{{ '-'.join(['a', 'b']) }}|{{ 'hello world'.title() }}|{{ 'aXbX'.replace('X', '.', 1) }}]");
        assertEquals("[Answer: done][reasoning][True|True][2|4|x|HI][a-b|Hello World|a.bX]",
                render(template, List.of(message("user", "<think>\nreasoning\n</think>\n\nAnswer: done")), false));
    }

    @Test
    void namespaceKeywordArgumentsTakeWholeExpressions() throws Exception {
        ChatTemplate template = template("{% set ns = namespace(flag=true, last=messages|length - 1) %}"
                + "{% for m in messages %}{% if m.role == 'user' %}{% set ns.last = loop.index0 %}{% endif %}{% endfor %}"
                + "{{ ns.last }}/{{ messages|length - 1 }}");
        assertEquals("1/2", render(template, List.of(message("user", "a"), message("user", "b"), message("assistant", "c")), false));
    }

    @Test
    void reverseSlicesAndLoopFiltersWork() throws Exception {
        List<Map<String, Object>> messages = List.of(message("system", "s"), message("user", "u"), message("assistant", "a"));
        assertEquals("a,u,s", render(template("{% for m in messages[::-1] %}{{ m.content }}{% if not loop.last %},{% endif %}{% endfor %}"),
                messages, false));
        assertEquals("1u2a|2", render(template("{% for m in messages if m.role != 'system' %}{{ loop.index }}{{ m.content }}"
                + "{% endfor %}|{{ messages[1:]|length }}"), messages, false));
    }

    @Test
    void messageTextIsNeverRenderedAsATemplate() throws Exception {
        assertEquals("{{ 7 * 7 }} {% raw %}", render(template("{{ messages[0].content }}"),
                List.of(message("user", "{{ 7 * 7 }} {% raw %}")), false));
    }

    @Test
    void generationMarkersAndRawBlocksAreUnderstood() throws Exception {
        assertEquals("A: ok{{ not rendered }}", render(template("A: {% generation %}{{ messages[0].content }}{% endgeneration %}"
                + "{% raw %}{{ not rendered }}{% endraw %}"), List.of(message("assistant", "ok")), false));
    }

    @Test
    void variablesAreThoseTransformersPasses() throws Exception {
        ChatTemplate template = ChatTemplate.of(new ChatTemplateSource("{{ bos_token }}|{{ eos_token }}|{{ add_generation_prompt }}|"
                + "{{ tools is none }}|{{ enable_thinking }}|{{ strftime_now('%Y') | length }}", "test"),
                Map.of("bos_token", "<s>", "eos_token", "</s>"));
        assertEquals("<s>|</s>|True|True|False|4", template.render(List.of(), true, null, Map.of("enable_thinking", false)));
        assertThrows(IllegalArgumentException.class, () -> template.render(List.of(), true, null, Map.of("messages", List.of())));
    }

    @Test
    void evaluationErrorsNameTheTemplateAndLine() throws Exception {
        ChatTemplate template = template("line one\n{{ messages[0].content.nosuchmethod() }}");
        ChatTemplateException e = assertThrows(ChatTemplateException.class,
                () -> render(template, List.of(message("user", "x")), false));
        assertTrue(e.getMessage().contains("test") && e.getMessage().contains("line 2"), e.getMessage());
    }

    @Test
    void unclosedTagsAreRejectedWhenLoading() {
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> template("a\n{% if true %}b{% endif"));
        assertTrue(e.getMessage().contains("line 2") && e.getMessage().contains("never closed"), e.getMessage());
    }

    @Test
    void strftimeFollowsPython() {
        java.time.LocalDateTime time = java.time.LocalDateTime.of(2024, 7, 5, 14, 3, 9);
        assertEquals("05 Jul 2024", PythonStrftime.format(time, "%d %b %Y"));
        assertEquals("Friday, July 5 02:03 PM %q", PythonStrftime.format(time, "%A, %B %-d %I:%M %p %q"));
    }

    private ChatTemplate template(String source) throws ModelLoadException {
        return ChatTemplate.of(new ChatTemplateSource(source, "test"), Map.of());
    }

    private static String render(ChatTemplate template, List<Map<String, Object>> messages, boolean addGenerationPrompt) {
        return template.render(new ArrayList<>(messages), addGenerationPrompt, null, null);
    }

    private static Map<String, Object> message(String role, String content) {
        Map<String, Object> message = new LinkedHashMap<>();
        message.put("role", role);
        message.put("content", content);
        return message;
    }
}
