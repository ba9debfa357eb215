package ai.tessera.core.engine;

import java.util.UUID;

import ai.tessera.api.MultimodalPrompt;

/**
 * One prompt to continue.
 *
 * @param requestId      unique among the engine's live requests; used by {@link Engine#abort}
 * @param promptTokenIds the tokenized prompt (chat template already applied)
 * @param sampling       how to sample; null takes the engine's defaults
 * @param multimodal     the processed media of the prompt ({@code promptTokenIds} are its expanded token ids), or
 *                       {@code null} for a text prompt; the engine closes it when the request ends
 */
public record GenerationRequest(String requestId, int[] promptTokenIds, SamplingParams sampling,
                                MultimodalPrompt multimodal) {
    public GenerationRequest {
        if (requestId == null || requestId.isBlank()) {
            throw new IllegalArgumentException("requestId must not be blank, got '" + requestId + "'");
        }
        if (promptTokenIds == null || promptTokenIds.length == 0) {
            throw new IllegalArgumentException("request " + requestId + " has an empty prompt; at least one token is needed");
        }
        promptTokenIds = promptTokenIds.clone();
        if (multimodal != null && !java.util.Arrays.equals(promptTokenIds, multimodal.tokenIds())) {
            throw new IllegalArgumentException("request " + requestId + ": the prompt must be the multimodal prompt's "
                    + "expanded token ids (" + multimodal.tokenIds().length + " tokens), got " + promptTokenIds.length);
        }
    }

    /** A text prompt. */
    public GenerationRequest(String requestId, int[] promptTokenIds, SamplingParams sampling) {
        this(requestId, promptTokenIds, sampling, null);
    }

    /** A prompt with media, after {@link ai.tessera.api.MediaProcessor#process}. */
    public static GenerationRequest of(String requestId, MultimodalPrompt prompt, SamplingParams sampling) {
        return new GenerationRequest(requestId, prompt.tokenIds(), sampling, prompt.items().isEmpty()
                && prompt.positions() == null && prompt.adapter() == null ? null : prompt);
    }

    /** A request with a random id. */
    public static GenerationRequest of(int[] promptTokenIds, SamplingParams sampling) {
        return new GenerationRequest(UUID.randomUUID().toString(), promptTokenIds, sampling);
    }

    @Override
    public int[] promptTokenIds() {
        return promptTokenIds.clone();
    }

    int promptLength() {
        return promptTokenIds.length;
    }

    int promptToken(int i) {
        return promptTokenIds[i];
    }
}
