package ai.tessera.core.engine;

import java.util.UUID;

/**
 * One prompt to continue.
 *
 * @param requestId      unique among the engine's live requests; used by {@link Engine#abort}
 * @param promptTokenIds the tokenized prompt (chat template already applied)
 * @param sampling       how to sample; null takes the engine's defaults
 */
public record GenerationRequest(String requestId, int[] promptTokenIds, SamplingParams sampling) {
    public GenerationRequest {
        if (requestId == null || requestId.isBlank()) {
            throw new IllegalArgumentException("requestId must not be blank, got '" + requestId + "'");
        }
        if (promptTokenIds == null || promptTokenIds.length == 0) {
            throw new IllegalArgumentException("request " + requestId + " has an empty prompt; at least one token is needed");
        }
        promptTokenIds = promptTokenIds.clone();
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
