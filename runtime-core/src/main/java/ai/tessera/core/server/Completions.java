package ai.tessera.core.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import ai.tessera.core.engine.GenerationRequest;
import ai.tessera.core.engine.SamplingParams;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.servlet.http.HttpServletResponse;

/** {@code POST /v1/completions}: prompts as a string, a list of strings, token ids or lists of token ids. */
final class Completions {
    private final ServerMetrics metrics;

    Completions(ServerMetrics metrics) {
        this.metrics = metrics;
    }

    void handle(ObjectNode body, ServedModel model, HttpServletResponse response) throws IOException,
            InterruptedException {
        Fields f = new Fields(body);
        List<int[]> prompts = prompts(body.get("prompt"), model.codec(), model.vocabSize());
        int n = f.optionalInt("n", 1, 16).orElse(1);
        boolean stream = f.bool("stream", false);
        boolean echo = f.bool("echo", false);
        boolean includeUsage = SamplingFields.includeUsage(f, stream);
        Integer logprobs = f.optionalInt("logprobs", 0, SamplingParams.MAX_LOGPROBS).orElse(null);
        Unsupported.checkCompletion(f, echo && logprobs != null);

        String id = "cmpl-" + UUID.randomUUID().toString().replace("-", "");
        long created = System.currentTimeMillis() / 1000;
        List<SamplingParams> perPrompt = new ArrayList<>();
        int promptTokens = 0;
        for (int[] p : prompts) {
            perPrompt.add(SamplingFields.read(f, model, p.length, logprobs,
                    SamplingFields.COMPLETIONS_DEFAULT_MAX_TOKENS));
            promptTokens += p.length;
        }
        Outputs outputs = new Outputs(model.engine());
        int choices = prompts.size() * n;
        List<GenerationRequest> requests = new ArrayList<>();
        for (int pi = 0; pi < prompts.size(); pi++) {
            for (int i = 0; i < n; i++) {
                SamplingParams s = perPrompt.get(pi);
                SamplingParams p = s.toBuilder().seed(SamplingFields.seedFor(s, i)).build();
                requests.add(new GenerationRequest(id + "-" + (pi * n + i), prompts.get(pi), p));
            }
        }
        outputs.submitAll(requests);
        RequestTimer timer = metrics.start(model.name(), id, promptTokens, perPrompt.get(0));
        StringBuilder[] texts = new StringBuilder[choices];
        LogprobsBodies.Completion[] lps = new LogprobsBodies.Completion[choices];
        String[] finish = new String[choices];
        Object[] stopReasons = new Object[choices];
        int completionTokens = 0;
        for (int c = 0; c < choices; c++) {
            String echoed = echo ? model.codec().decode(prompts.get(c / n)) : "";
            texts[c] = new StringBuilder(echoed);
            lps[c] = new LogprobsBodies.Completion(echoed.length());
        }
        try {
            SseWriter sse = stream ? new SseWriter(response) : null;
            if (sse != null && echo) {
                for (int c = 0; c < choices; c++) {
                    sse.send(chunk(id, created, model, c, texts[c].toString(), null, null, null, includeUsage));
                }
            }
            Outputs.Item item;
            while ((item = outputs.next()) != null) {
                int c = item.index();
                timer.tokens(item.output().tokenIds().length);
                lps[c].add(item.output().logprobs(), model.codec());
                if (item.output().finished()) {
                    finish[c] = item.output().finishReason().wireName();
                    stopReasons[c] = item.output().stopReason();
                    completionTokens += item.output().outputTokens();
                }
                if (sse != null) {
                    LogprobsBodies.Completion delta = new LogprobsBodies.Completion(texts[c].length());
                    delta.add(item.output().logprobs(), model.codec());
                    sse.send(chunk(id, created, model, c, item.output().text(), finish[c], stopReasons[c],
                            delta.isEmpty() ? null : delta.body(), includeUsage));
                }
                texts[c].append(item.output().text());
            }
            Map<String, Object> usage = usage(promptTokens, completionTokens);
            if (sse != null) {
                if (includeUsage) {
                    Map<String, Object> last = envelope(id, created, model);
                    last.put("choices", List.of());
                    last.put("usage", usage);
                    sse.send(last);
                }
                sse.done();
            } else {
                List<Map<String, Object>> out = new ArrayList<>();
                for (int c = 0; c < choices; c++) {
                    Map<String, Object> choice = new LinkedHashMap<>();
                    choice.put("index", c);
                    choice.put("text", texts[c].toString());
                    choice.put("logprobs", logprobs == null ? null : lps[c].body());
                    choice.put("finish_reason", finish[c]);
                    choice.put("stop_reason", stopReasons[c]);
                    out.add(choice);
                }
                Map<String, Object> result = envelope(id, created, model);
                result.put("choices", out);
                result.put("usage", usage);
                response.setStatus(200);
                response.setContentType("application/json");
                response.getOutputStream().write(Json.write(result).getBytes(StandardCharsets.UTF_8));
            }
            timer.finished("ok");
        } catch (IOException clientGone) {
            outputs.abortAll();
            timer.finished("aborted");
            throw clientGone;
        }
    }

    /** Every prompt as token ids: strings are encoded with the tokenizer's special tokens (BOS), ids taken as they are. */
    static List<int[]> prompts(JsonNode prompt, PromptCodec codec, int vocabSize) {
        if (prompt == null || prompt.isNull()) {
            throw OpenAiException.badRequest("prompt", "'prompt' is required");
        }
        List<int[]> out = new ArrayList<>();
        if (prompt.isTextual()) {
            out.add(codec.encode(prompt.asText(), true));
        } else if (prompt.isArray() && !prompt.isEmpty()) {
            if (prompt.get(0).isIntegralNumber()) {
                out.add(ids(prompt, vocabSize));
            } else {
                for (JsonNode p : prompt) {
                    if (p.isTextual()) {
                        out.add(codec.encode(p.asText(), true));
                    } else if (p.isArray()) {
                        out.add(ids(p, vocabSize));
                    } else {
                        throw Fields.wrongType("prompt", "a string, a list of strings or lists of token ids", prompt);
                    }
                }
            }
        } else {
            throw Fields.wrongType("prompt", "a string, a list of strings, token ids or lists of token ids", prompt);
        }
        for (int[] p : out) {
            if (p.length == 0) {
                throw OpenAiException.badRequest("prompt", "a prompt must not be empty");
            }
        }
        return out;
    }

    private static int[] ids(JsonNode list, int vocabSize) {
        int[] ids = new int[list.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode id = list.get(i);
            if (!id.isIntegralNumber() || !id.canConvertToInt() || id.asInt() < 0) {
                throw Fields.wrongType("prompt", "token ids (non-negative integers)", list);
            }
            ids[i] = id.asInt();
            if (ids[i] >= vocabSize) {
                throw OpenAiException.badRequest("prompt", "Token id " + ids[i] + " is out of vocabulary (the model has "
                        + vocabSize + " tokens)");
            }
        }
        return ids;
    }

    private static Map<String, Object> chunk(String id, long created, ServedModel model, int index, String text,
                                             String finish, Object stopReason, Map<String, Object> logprobs,
                                             boolean includeUsage) {
        Map<String, Object> choice = new LinkedHashMap<>();
        choice.put("index", index);
        choice.put("text", text);
        choice.put("logprobs", logprobs);
        choice.put("finish_reason", finish);
        choice.put("stop_reason", stopReason);
        Map<String, Object> chunk = envelope(id, created, model);
        chunk.put("choices", List.of(choice));
        if (includeUsage) {
            chunk.put("usage", null);
        }
        return chunk;
    }

    private static Map<String, Object> envelope(String id, long created, ServedModel model) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("object", "text_completion");
        m.put("created", created);
        m.put("model", model.name());
        return m;
    }

    private static Map<String, Object> usage(int prompt, int completion) {
        Map<String, Object> usage = new LinkedHashMap<>();
        usage.put("prompt_tokens", prompt);
        usage.put("completion_tokens", completion);
        usage.put("total_tokens", prompt + completion);
        return usage;
    }
}
