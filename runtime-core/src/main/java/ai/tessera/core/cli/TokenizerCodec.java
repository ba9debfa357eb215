package ai.tessera.core.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import ai.tessera.api.ModelLoadException;
import ai.tessera.core.chat.ChatTemplate;
import ai.tessera.core.chat.ChatTemplateException;
import ai.tessera.core.engine.TextDecoder;
import ai.tessera.core.server.PromptCodec;
import ai.tessera.core.tokenizer.HfTokenizer;
import ai.tessera.core.tokenizer.IncrementalDetokenizer;

/**
 * Text to token ids and back for the CLI and the HTTP API, through the model folder's {@code tokenizer.json} and
 * chat template. A folder without a tokenizer (a dummy model) gives a codec that cannot encode text and decodes nothing.
 */
final class TokenizerCodec implements PromptCodec, AutoCloseable {
    private final Path modelDir;
    private final HfTokenizer tokenizer;
    private final Optional<Path> chatTemplateOverride;
    private ChatTemplate chatTemplate;

    private TokenizerCodec(Path modelDir, HfTokenizer tokenizer, Optional<Path> chatTemplateOverride) {
        this.modelDir = modelDir;
        this.tokenizer = tokenizer;
        this.chatTemplateOverride = chatTemplateOverride;
    }

    static TokenizerCodec forModel(Path modelDir) throws ModelLoadException {
        return forModel(modelDir, Optional.empty());
    }

    /**
     * The codec of a model folder, with {@code --chat-template FILE} if given. A given template is read and
     * checked now, so that a broken one stops the model from loading (a misconfiguration of the server, not of the
     * requests that would otherwise each get its error).
     */
    static TokenizerCodec forModel(Path modelDir, Optional<Path> chatTemplate) throws ModelLoadException {
        boolean present = Files.isRegularFile(modelDir.resolve("tokenizer.json"));
        TokenizerCodec codec = new TokenizerCodec(modelDir, present ? HfTokenizer.load(modelDir) : null, chatTemplate);
        if (chatTemplate.isPresent()) {
            codec.chatTemplate();
        }
        return codec;
    }

    /** The chat template, loaded on first use so that models without one can still serve completions. */
    private synchronized ChatTemplate chatTemplate() throws ModelLoadException {
        if (chatTemplate == null) {
            chatTemplate = ChatTemplate.load(modelDir, chatTemplateOverride);
        }
        return chatTemplate;
    }

    private HfTokenizer requireTokenizer() {
        if (tokenizer == null) {
            throw new IllegalArgumentException("text prompts need a tokenizer.json in " + modelDir
                    + "; send token ids instead");
        }
        return tokenizer;
    }

    @Override
    public int[] encode(String text, boolean addSpecialTokens) {
        return requireTokenizer().encode(text, addSpecialTokens);
    }

    @Override
    public String decode(int[] tokenIds) {
        return tokenizer == null ? "" : tokenizer.decode(tokenIds, true);
    }

    @Override
    public String tokenText(int tokenId) {
        return tokenizer == null ? Integer.toString(tokenId) : tokenizer.decode(new int[] {tokenId}, false);
    }

    @Override
    public String renderChat(List<Map<String, Object>> messages, List<Map<String, Object>> tools,
                             boolean addGenerationPrompt, Map<String, Object> templateKwargs) {
        try {
            return chatTemplate().render(messages, addGenerationPrompt, tools, templateKwargs);
        } catch (ModelLoadException | ChatTemplateException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /**
     * The tag-like tokens of {@code text} ({@code <|image_pad|>}, {@code <image_soft_token>}...) that this tokenizer
     * does not know as tokens of their own, and so would split into ordinary pieces; empty without a tokenizer.
     */
    List<String> unknownTags(String text) {
        if (tokenizer == null) {
            return List.of();
        }
        List<String> unknown = new java.util.ArrayList<>();
        java.util.regex.Matcher tags = java.util.regex.Pattern.compile("<[^<>\\s]+>").matcher(text);
        while (tags.find()) {
            if (tokenizer.tokenToId(tags.group()).isEmpty() && !unknown.contains(tags.group())) {
                unknown.add(tags.group());
            }
        }
        return unknown;
    }

    boolean hasTokenizer() {
        return tokenizer != null;
    }

    /**
     * The prompt's ids: with {@code chat}, one user message rendered by the chat template (which writes the special
     * tokens itself, so none are added); else the text with the tokenizer's special tokens (BOS).
     */
    int[] encodePrompt(String text, boolean chat) throws ModelLoadException {
        if (tokenizer == null) {
            throw new IllegalArgumentException("--prompt needs a tokenizer.json in " + modelDir
                    + "; pass the prompt as --prompt-token-ids instead");
        }
        if (!chat) {
            return tokenizer.encode(text, true);
        }
        String rendered = chatTemplate().render(List.of(Map.of("role", "user", "content", text)), true, null, null);
        return tokenizer.encode(rendered, false);
    }

    /**
     * Incremental detokenization, without special tokens unless a request asks to keep them, or none without a
     * tokenizer.
     */
    TextDecoder decoder() {
        if (tokenizer == null) {
            return TextDecoder.NONE;
        }
        return new TextDecoder() {
            @Override
            public Session start(int[] prompt) {
                return start(prompt, true);
            }

            @Override
            public Session start(int[] prompt, boolean skipSpecialTokens) {
                IncrementalDetokenizer detokenizer = tokenizer.newDetokenizer(prompt, skipSpecialTokens);
                return ids -> {
                    StringBuilder text = new StringBuilder();
                    for (int id : ids) {
                        text.append(detokenizer.next(id));
                    }
                    return text.toString();
                };
            }
        };
    }

    /** The tokenizer's end-of-sequence ids (tokenizer config and generation config). */
    List<Integer> eosTokenIds() {
        if (tokenizer == null) {
            return List.of();
        }
        return java.util.Arrays.stream(tokenizer.eosTokenIds()).boxed().toList();
    }

    @Override
    public void close() {
        if (tokenizer != null) {
            tokenizer.close();
        }
    }
}
