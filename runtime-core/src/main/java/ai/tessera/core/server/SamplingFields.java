package ai.tessera.core.server;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import ai.tessera.core.engine.SamplingParams;
import com.fasterxml.jackson.databind.JsonNode;

/** The sampling fields that chat and completion requests share, with OpenAI's and vLLM's names and ranges. */
final class SamplingFields {
    /**
     * Positive temperatures below this are raised to it, as vLLM does ({@code _MAX_TEMP}): dividing logits by
     * 1e-300 overflows them to infinity and the draw to NaN.
     */
    static final double MIN_TEMPERATURE = 1e-2;

    private SamplingFields() {
    }

    /** {@code max_tokens} of {@code /v1/completions} when the request leaves it out (OpenAI's and vLLM's default). */
    static final int COMPLETIONS_DEFAULT_MAX_TOKENS = 16;

    /**
     * The request's sampling parameters over the model's defaults; a request that does not fit is a 400 with both
     * numbers.
     *
     * @param defaultMaxTokens {@code max_tokens} when the request gives none (at most what is left of the context),
     *                         or {@code null} for all that is left of the context after the prompt (chat, as vLLM)
     */
    static SamplingParams read(Fields f, ServedModel model, int promptTokens, Integer logprobs,
                               Integer defaultMaxTokens) {
        int maxModelLen = model.maxModelLen();
        if (promptTokens >= maxModelLen) {
            throw OpenAiException.badRequest("messages", "This model's maximum context length is " + maxModelLen
                    + " tokens. However, your request has " + promptTokens + " input tokens. Please reduce the length of"
                    + " the input.");
        }
        Integer maxTokens = f.optionalInt("max_completion_tokens", 1, Integer.MAX_VALUE)
                .or(() -> f.optionalInt("max_tokens", 1, Integer.MAX_VALUE))
                .orElse(defaultMaxTokens == null ? maxModelLen - promptTokens
                        : Math.min(defaultMaxTokens, maxModelLen - promptTokens));
        if (promptTokens + maxTokens > maxModelLen) {
            throw OpenAiException.badRequest("max_tokens", "This model's maximum context length is " + maxModelLen
                    + " tokens. However, you requested " + (promptTokens + maxTokens) + " tokens (" + promptTokens
                    + " in the input, " + maxTokens + " in the completion). Please reduce the length of the input or"
                    + " of the completion.");
        }
        SamplingParams defaults = model.engine().config().samplingDefaults();
        SamplingParams.Builder b = defaults.toBuilder();
        f.optionalDouble("temperature", 0, 2).ifPresent(t -> b.temperature(t == 0 ? 0 : Math.max(t, MIN_TEMPERATURE)));
        f.optionalDoubleAbove("top_p", 0, 1).ifPresent(b::topP);
        f.optionalInt("top_k", -1, Integer.MAX_VALUE).ifPresent(b::topK);
        f.optionalDouble("min_p", 0, 1).ifPresent(b::minP);
        f.optionalDouble("presence_penalty", -2, 2).ifPresent(b::presencePenalty);
        f.optionalDouble("frequency_penalty", -2, 2).ifPresent(b::frequencyPenalty);
        f.optionalDoubleAbove("repetition_penalty", 0, Double.MAX_VALUE).ifPresent(b::repetitionPenalty);
        f.optionalLong("seed").ifPresent(b::seed);
        b.ignoreEos(f.bool("ignore_eos", false));
        b.maxTokens(maxTokens);
        List<String> stop = f.stringOrList("stop", 4);
        for (String s : stop) {
            if (s.isEmpty()) {
                throw OpenAiException.badRequest("stop", "'stop' strings must not be empty");
            }
        }
        b.stop(stop);
        b.includeStopStrInOutput(f.bool("include_stop_str_in_output", false));
        b.stopTokenIds(stopTokenIds(f));
        b.logprobs(logprobs);
        b.skipSpecialTokens(f.bool("skip_special_tokens", true));
        return b.build();
    }

    private static Set<Integer> stopTokenIds(Fields f) {
        JsonNode v = f.raw("stop_token_ids");
        Set<Integer> ids = new HashSet<>();
        if (v == null) {
            return ids;
        }
        if (!v.isArray()) {
            throw Fields.wrongType("stop_token_ids", "a list of integers", v);
        }
        for (JsonNode id : v) {
            if (!id.isIntegralNumber() || !id.canConvertToInt() || id.asInt() < 0) {
                throw Fields.wrongType("stop_token_ids", "a list of non-negative integers", v);
            }
            ids.add(id.asInt());
        }
        return ids;
    }

    /**
     * {@code stream_options.include_usage}; as in vLLM, {@code stream_options} without {@code stream: true} is a 400
     * rather than silently ignored.
     */
    static boolean includeUsage(Fields f, boolean stream) {
        JsonNode options = f.raw("stream_options");
        if (options == null) {
            return false;
        }
        if (!stream) {
            throw OpenAiException.badRequest("stream_options", "'stream_options' can only be given with 'stream': true");
        }
        if (!options.isObject()) {
            throw Fields.wrongType("stream_options", "an object", options);
        }
        JsonNode include = options.get("include_usage");
        if (include != null && !include.isNull() && !include.isBoolean()) {
            throw Fields.wrongType("stream_options.include_usage", "a boolean", include);
        }
        return include != null && include.asBoolean(false);
    }

    /** Seeds for the n choices: distinct, reproducible when the request gave a seed. */
    static Long seedFor(SamplingParams p, int choice) {
        return p.seed() == null ? null : p.seed() + choice;
    }
}
