package ai.tessera.core.server;

import java.util.List;
import java.util.Map;

/** What the HTTP API needs from a model's tokenizer and chat template. */
public interface PromptCodec {
    /** Token ids of {@code text}; {@code addSpecialTokens} adds BOS etc. as the tokenizer is configured to. */
    int[] encode(String text, boolean addSpecialTokens);

    /** Text of token ids, special tokens skipped. */
    String decode(int[] tokenIds);

    /** The text of one token as logprobs report it. */
    String tokenText(int tokenId);

    /**
     * The prompt text the chat template renders.
     *
     * @throws IllegalArgumentException when the model has no chat template or the template rejects the messages
     */
    String renderChat(List<Map<String, Object>> messages, List<Map<String, Object>> tools, boolean addGenerationPrompt,
                      Map<String, Object> templateKwargs);
}
