package ai.tessera.core.engine;

import java.util.List;
import java.util.Set;

/**
 * How one request picks its tokens and when it stops, with the meanings of vLLM and the OpenAI API.
 *
 * <p>Processing order per step: repetition, frequency and presence penalties on the raw logits; then either
 * greedy ({@code temperature == 0}) or temperature, min-p, top-k, top-p and a draw. Logprobs are the model's raw
 * log-probabilities ({@code log_softmax} of the logits before any of that), as vLLM returns by default.
 *
 * @param temperature       0 for greedy, else logits are divided by it
 * @param topK              keep only the {@code k} most likely tokens; 0 or -1 keeps all
 * @param topP              keep the smallest set of most likely tokens whose probability adds up to {@code p}
 * @param minP              drop tokens less likely than {@code minP} times the most likely one
 * @param seed              per-request seed, so a request draws the same tokens whatever else is batched; null
 *                          draws from the engine's generator
 * @param repetitionPenalty > 1 discourages tokens seen in the prompt or output (positive logits divided, negative
 *                          multiplied)
 * @param presencePenalty   subtracted once from the logit of every token already in the output
 * @param frequencyPenalty  subtracted from a token's logit once per time it occurs in the output
 * @param maxTokens         most tokens to generate; null means until {@code --max-model-len}
 * @param stop              strings that end generation; the output text stops before them
 * @param stopTokenIds      token ids that end generation (besides the model's end-of-sequence ids)
 * @param ignoreEos         keep generating past the model's end-of-sequence tokens
 * @param logprobs          null for none, else the logprob of each sampled token and of this many most likely
 *                          alternatives
 * @param skipSpecialTokens whether the output text leaves out special tokens (vLLM's {@code skip_special_tokens});
 *                          parsers that read tags made of special tokens need them kept
 * @param includeStopStrInOutput whether the output text ends with the stop string that ended it (vLLM's
 *                          {@code include_stop_str_in_output}) instead of before it
 */
public record SamplingParams(double temperature, int topK, double topP, double minP, Long seed,
                             double repetitionPenalty, double presencePenalty, double frequencyPenalty,
                             Integer maxTokens, List<String> stop, Set<Integer> stopTokenIds, boolean ignoreEos,
                             Integer logprobs, boolean skipSpecialTokens, boolean includeStopStrInOutput) {

    /** Logprobs asked for beyond this many alternatives are refused (as vLLM's default limit). */
    public static final int MAX_LOGPROBS = 20;

    public SamplingParams {
        stop = stop == null ? List.of() : List.copyOf(stop);
        stopTokenIds = stopTokenIds == null ? Set.of() : Set.copyOf(stopTokenIds);
        check(temperature >= 0 && Double.isFinite(temperature), "temperature must be >= 0", temperature);
        check(topK >= -1, "top_k must be -1, 0 (all tokens) or positive", topK);
        check(topP > 0 && topP <= 1, "top_p must be in (0, 1]", topP);
        check(minP >= 0 && minP <= 1, "min_p must be in [0, 1]", minP);
        check(repetitionPenalty > 0 && Double.isFinite(repetitionPenalty), "repetition_penalty must be > 0",
                repetitionPenalty);
        check(presencePenalty >= -2 && presencePenalty <= 2, "presence_penalty must be in [-2, 2]", presencePenalty);
        check(frequencyPenalty >= -2 && frequencyPenalty <= 2, "frequency_penalty must be in [-2, 2]",
                frequencyPenalty);
        check(maxTokens == null || maxTokens >= 1, "max_tokens must be at least 1", maxTokens);
        check(logprobs == null || (logprobs >= 0 && logprobs <= MAX_LOGPROBS),
                "logprobs must be between 0 and " + MAX_LOGPROBS, logprobs);
        for (String s : stop) {
            check(s != null && !s.isEmpty(), "stop strings must not be empty", s);
        }
    }

    /** The parameters without {@code includeStopStrInOutput}: the text ends before a stop string. */
    public SamplingParams(double temperature, int topK, double topP, double minP, Long seed,
                          double repetitionPenalty, double presencePenalty, double frequencyPenalty,
                          Integer maxTokens, List<String> stop, Set<Integer> stopTokenIds, boolean ignoreEos,
                          Integer logprobs, boolean skipSpecialTokens) {
        this(temperature, topK, topP, minP, seed, repetitionPenalty, presencePenalty, frequencyPenalty, maxTokens, stop,
                stopTokenIds, ignoreEos, logprobs, skipSpecialTokens, false);
    }

    /** The parameters of API 1.0, before {@code skipSpecialTokens}: special tokens are left out of the text. */
    public SamplingParams(double temperature, int topK, double topP, double minP, Long seed,
                          double repetitionPenalty, double presencePenalty, double frequencyPenalty,
                          Integer maxTokens, List<String> stop, Set<Integer> stopTokenIds, boolean ignoreEos,
                          Integer logprobs) {
        this(temperature, topK, topP, minP, seed, repetitionPenalty, presencePenalty, frequencyPenalty, maxTokens, stop,
                stopTokenIds, ignoreEos, logprobs, true);
    }

    private static void check(boolean ok, String rule, Object actual) {
        if (!ok) {
            throw new IllegalArgumentException(rule + ", got " + actual);
        }
    }

    /** Greedy decoding with no limits besides the model length. */
    public static SamplingParams greedy() {
        return builder().temperature(0).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these values. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.temperature = temperature;
        b.topK = topK;
        b.topP = topP;
        b.minP = minP;
        b.seed = seed;
        b.repetitionPenalty = repetitionPenalty;
        b.presencePenalty = presencePenalty;
        b.frequencyPenalty = frequencyPenalty;
        b.maxTokens = maxTokens;
        b.stop = stop;
        b.stopTokenIds = stopTokenIds;
        b.ignoreEos = ignoreEos;
        b.logprobs = logprobs;
        b.skipSpecialTokens = skipSpecialTokens;
        b.includeStopStrInOutput = includeStopStrInOutput;
        return b;
    }

    /** Whether the token is chosen by argmax (no randomness). */
    public boolean isGreedy() {
        return temperature == 0;
    }

    boolean hasPenalties() {
        return repetitionPenalty != 1 || presencePenalty != 0 || frequencyPenalty != 0;
    }

    boolean hasTopK() {
        return topK > 0;
    }

    boolean hasTopP() {
        return topP < 1;
    }

    /** Builder with OpenAI defaults: temperature 1, no truncation, no penalties. */
    public static final class Builder {
        private double temperature = 1.0;
        private int topK = 0;
        private double topP = 1.0;
        private double minP = 0.0;
        private Long seed;
        private double repetitionPenalty = 1.0;
        private double presencePenalty = 0.0;
        private double frequencyPenalty = 0.0;
        private Integer maxTokens;
        private List<String> stop = List.of();
        private Set<Integer> stopTokenIds = Set.of();
        private boolean ignoreEos;
        private Integer logprobs;
        private boolean skipSpecialTokens = true;
        private boolean includeStopStrInOutput;

        public Builder temperature(double v) { temperature = v; return this; }
        public Builder topK(int v) { topK = v; return this; }
        public Builder topP(double v) { topP = v; return this; }
        public Builder minP(double v) { minP = v; return this; }
        public Builder seed(Long v) { seed = v; return this; }
        public Builder repetitionPenalty(double v) { repetitionPenalty = v; return this; }
        public Builder presencePenalty(double v) { presencePenalty = v; return this; }
        public Builder frequencyPenalty(double v) { frequencyPenalty = v; return this; }
        public Builder maxTokens(Integer v) { maxTokens = v; return this; }
        public Builder stop(List<String> v) { stop = v; return this; }
        public Builder stopTokenIds(Set<Integer> v) { stopTokenIds = v; return this; }
        public Builder ignoreEos(boolean v) { ignoreEos = v; return this; }
        public Builder logprobs(Integer v) { logprobs = v; return this; }
        public Builder skipSpecialTokens(boolean v) { skipSpecialTokens = v; return this; }
        public Builder includeStopStrInOutput(boolean v) { includeStopStrInOutput = v; return this; }

        public SamplingParams build() {
            return new SamplingParams(temperature, topK, topP, minP, seed, repetitionPenalty, presencePenalty,
                    frequencyPenalty, maxTokens, stop, stopTokenIds, ignoreEos, logprobs, skipSpecialTokens,
                    includeStopStrInOutput);
        }
    }
}
