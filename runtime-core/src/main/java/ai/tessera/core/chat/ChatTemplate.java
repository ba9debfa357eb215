package ai.tessera.core.chat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import ai.tessera.api.ModelLoadException;
import ai.tessera.core.tokenizer.TokenizerConfig;

/**
 * A model's chat template, rendered as transformers' {@code apply_chat_template(..., tokenize=False)} renders it:
 * Jinja2 with {@code trim_blocks} and {@code lstrip_blocks}, the variables {@code messages}, {@code tools},
 * {@code documents}, {@code add_generation_prompt}, the tokenizer's special tokens ({@code bos_token},
 * {@code eos_token}...) and any extra keyword arguments ({@code enable_thinking}...). Immutable and safe for
 * concurrent renders.
 */
public final class ChatTemplate {
    private static final List<String> RESERVED = List.of("messages", "tools", "documents", "add_generation_prompt");

    private final ChatTemplateSource source;
    private final String translated;
    private final Map<String, Object> tokenizerVariables;

    private ChatTemplate(ChatTemplateSource source, String translated, Map<String, Object> tokenizerVariables) {
        this.source = source;
        this.translated = translated;
        this.tokenizerVariables = tokenizerVariables;
    }

    /**
     * The chat template of a model folder ({@code override}, the {@code --chat-template} file, wins; see
     * {@link ChatTemplateSource#locate}), with the special tokens of its {@code tokenizer_config.json}.
     */
    public static ChatTemplate load(Path modelDir, Optional<Path> override) throws ModelLoadException {
        ChatTemplateSource source = ChatTemplateSource.locate(modelDir, override);
        return of(source, TokenizerConfig.load(modelDir).templateVariables());
    }

    /** A template from its source text; {@code tokenizerVariables} are bos_token, eos_token and the like. */
    public static ChatTemplate of(ChatTemplateSource source, Map<String, Object> tokenizerVariables)
            throws ModelLoadException {
        String translated;
        try {
            translated = JinjavaDialect.translate(source.text());
        } catch (ChatTemplateException e) {
            throw new ModelLoadException("The chat template " + source.origin() + " cannot be used: " + e.getMessage(), e);
        }
        return new ChatTemplate(source, translated, Map.copyOf(tokenizerVariables));
    }

    /**
     * The prompt text for {@code messages} (maps with role, content, tool_calls...; content may be a list of
     * parts). {@code tools} may be null (the template sees None); {@code extra} may be null or hold further
     * template variables, which override the tokenizer's. Throws {@link TemplateRaisedException} when the template
     * refuses the conversation and {@link ChatTemplateException} when it cannot be rendered.
     */
    public String render(List<Map<String, Object>> messages, boolean addGenerationPrompt,
            List<Map<String, Object>> tools, Map<String, Object> extra) {
        Map<String, Object> variables = new HashMap<>(tokenizerVariables);
        if (extra != null) {
            for (Map.Entry<String, Object> entry : extra.entrySet()) {
                if (RESERVED.contains(entry.getKey())) {
                    throw new IllegalArgumentException("extra template variables may not set \"" + entry.getKey()
                            + "\"; it is a parameter of render");
                }
                variables.put(entry.getKey(), copy(entry.getValue()));
            }
        }
        variables.put("messages", copy(messages));
        variables.put("tools", copy(tools));
        variables.put("documents", null);
        variables.put("add_generation_prompt", addGenerationPrompt);
        return JinjaEngine.shared().render(translated, variables, source.origin());
    }

    public ChatTemplateSource source() {
        return source;
    }

    /** What Jinjava renders after the Jinja2 compatibility rewrites, for diagnosing a template. */
    public String translatedSource() {
        return translated;
    }

    /** A private, mutable copy with the number types Jinjava computes with (Long, Double). */
    private static Object copy(Object value) {
        if (value instanceof Map) {
            Map<String, Object> copy = new LinkedHashMap<>();
            for (Map.Entry<?, ?> entry : ((Map<?, ?>) value).entrySet()) {
                copy.put(String.valueOf(entry.getKey()), copy(entry.getValue()));
            }
            return copy;
        }
        if (value instanceof Iterable) {
            List<Object> copy = new ArrayList<>();
            for (Object item : (Iterable<?>) value) {
                copy.add(copy(item));
            }
            return copy;
        }
        if (value instanceof Object[]) {
            return copy(List.of((Object[]) value));
        }
        if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        if (value instanceof Float) {
            return ((Float) value).doubleValue();
        }
        return value;
    }
}
