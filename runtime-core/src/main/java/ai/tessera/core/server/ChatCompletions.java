package ai.tessera.core.server;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import ai.tessera.api.ReasoningParser;
import ai.tessera.api.ToolParser;
import ai.tessera.api.MultimodalPrompt;
import ai.tessera.core.engine.GenerationRequest;
import ai.tessera.core.engine.SamplingParams;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.servlet.http.HttpServletResponse;

/** {@code POST /v1/chat/completions}. */
final class ChatCompletions {
    private final ServerMetrics metrics;

    ChatCompletions(ServerMetrics metrics) {
        this.metrics = metrics;
    }

    void handle(ObjectNode body, ServedModel model, HttpServletResponse response) throws IOException,
            InterruptedException {
        Fields f = new Fields(body);
        MediaSupport media = model.media();
        ChatMessages chat = ChatMessages.read(body.get("messages"),
                media == null ? null : media.processor()::placeholderText);
        checkMedia(chat, model);
        int n = f.optionalInt("n", 1, 16).orElse(1);
        boolean stream = f.bool("stream", false);
        boolean includeUsage = SamplingFields.includeUsage(f, stream);
        Integer logprobs = logprobs(f);
        Unsupported.checkChat(f);
        ToolChoice tools = ToolChoice.read(f, model);
        // Looked up once: the whole request uses the parser that was registered when it started.
        Optional<ReasoningParser> reasoning = model.reasoning();
        Map<String, Object> kwargs = templateKwargs(body);
        boolean addGenerationPrompt = f.bool("add_generation_prompt", true);

        String prompt;
        try {
            prompt = model.codec().renderChat(chat.messages, tools.templateTools(), addGenerationPrompt, kwargs);
        } catch (IllegalArgumentException e) {
            throw OpenAiException.badRequest("messages", "The chat template could not render these messages: "
                    + e.getMessage());
        }
        if (tools.opening() != null) {
            prompt = prompt + tools.opening();
        }
        int[] promptIds = model.codec().encode(prompt, false);
        String id = "chatcmpl-" + UUID.randomUUID().toString().replace("-", "");
        List<MultimodalPrompt> processed = new ArrayList<>();
        if (!chat.media.isEmpty()) {
            MediaRequest mediaRequest = MediaRequest.read(chat, body, media);
            // one processed prompt per choice: the engine frees each when its request ends
            for (int i = 0; i < n; i++) {
                processed.add(mediaRequest.process(promptIds, text -> model.codec().encode(text, false)));
            }
            promptIds = processed.get(0).tokenIds();
        }
        SamplingParams sampling;
        try {
            sampling = SamplingFields.read(f, model, promptIds.length, logprobs, null);
            if (reasoning.map(ReasoningParser::needsSpecialTokens).orElse(false)
                    || (tools.parse() && tools.parser().needsSpecialTokens())) {
                // the parsers read tags that are special tokens (vLLM's adjust_request does the same)
                sampling = sampling.toBuilder().skipSpecialTokens(false).build();
            }
        } catch (RuntimeException e) {
            processed.forEach(MultimodalPrompt::close);
            throw e;
        }

        long created = System.currentTimeMillis() / 1000;
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            SamplingParams p = sampling.toBuilder().seed(SamplingFields.seedFor(sampling, i)).build();
            requests.add(processed.isEmpty() ? new GenerationRequest(id + "-" + i, promptIds, p)
                    : GenerationRequest.of(id + "-" + i, processed.get(i), p));
        }
        Outputs outputs = new Outputs(model.engine());
        outputs.submitAll(requests);
        RequestTimer timer = metrics.start(model.name(), id, promptIds.length, sampling);
        ChoiceWriter writer = new ChoiceWriter(id, created, model, n, includeUsage, promptIds.length, tools, reasoning);
        try {
            if (stream) {
                writer.stream(outputs, new SseWriter(response), timer);
            } else {
                Map<String, Object> result = writer.collect(outputs, timer);
                response.setStatus(200);
                response.setContentType("application/json");
                response.getOutputStream().write(Json.write(result).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            timer.finished("ok");
        } catch (IOException clientGone) {
            // The client disconnected: free the KV blocks of every choice at once.
            outputs.abortAll();
            timer.finished("aborted");
            throw clientGone;
        }
    }

    /** Chat logprobs: {@code logprobs: true} with {@code top_logprobs} alternatives (0..20). */
    private static Integer logprobs(Fields f) {
        boolean want = f.bool("logprobs", false);
        Optional<Integer> top = f.optionalInt("top_logprobs", 0, SamplingParams.MAX_LOGPROBS);
        if (top.isPresent() && !want) {
            throw OpenAiException.badRequest("top_logprobs", "'top_logprobs' needs 'logprobs': true");
        }
        return want ? top.orElse(0) : null;
    }

    private static Map<String, Object> templateKwargs(ObjectNode body) {
        JsonNode kwargs = body.get("chat_template_kwargs");
        if (kwargs == null || kwargs.isNull()) {
            return Map.of();
        }
        if (!kwargs.isObject()) {
            throw Fields.wrongType("chat_template_kwargs", "an object", kwargs);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> map = Json.MAPPER.convertValue(kwargs, LinkedHashMap.class);
        return map;
    }

    private static void checkMedia(ChatMessages chat, ServedModel model) {
        for (Map.Entry<String, Integer> e : chat.mediaCounts.entrySet()) {
            if (!model.modalities().contains(e.getKey())) {
                throw OpenAiException.badRequest("messages", "The model '" + model.name() + "' does not accept "
                        + e.getKey() + " input; it accepts " + (model.modalities().isEmpty() ? "text only"
                        : "text and " + String.join(", ", model.modalities())));
            }
            Integer limit = model.mmLimits().get(e.getKey());
            if (limit != null && e.getValue() > limit) {
                throw OpenAiException.badRequest("messages", "At most " + limit + " " + e.getKey() + "(s) may be "
                        + "provided in one prompt (--limit-mm-per-prompt), got " + e.getValue());
            }
        }
        if (!chat.mediaCounts.isEmpty() && model.media() == null) {
            throw OpenAiException.badRequest("messages", "The model '" + model.name() + "' has no multimodal "
                    + "processor registered for its architecture, so it cannot take media");
        }
    }

    /** Builds chunks and final choices from engine outputs, running the reasoning and tool parsers. */
    private static final class ChoiceWriter {
        private final String id;
        private final long created;
        private final ServedModel model;
        private final boolean includeUsage;
        private final int promptTokens;
        private final ToolChoice tools;
        private final StringBuilder[] texts;
        private final List<List<Map<String, Object>>> logprobs = new ArrayList<>();
        private final String[] finish;
        private final Object[] stopReasons;
        private final ReasoningParser.Stream[] reasoningStreams;
        private final ToolParser.Stream[] toolStreams;
        private final Optional<ReasoningParser> reasoning;
        private final int[] toolCallCounts;
        /** Whether the choice's tool stream has read the call opening that the prompt ends with. */
        private final boolean[] openingRead;
        /** Whether the pieces of the call being streamed are dropped (a named choice keeps its first call only). */
        private final boolean[] droppingCall;
        private int completionTokens;

        ChoiceWriter(String id, long created, ServedModel model, int n, boolean includeUsage, int promptTokens,
                     ToolChoice tools, Optional<ReasoningParser> reasoning) {
            this.id = id;
            this.created = created;
            this.model = model;
            this.includeUsage = includeUsage;
            this.promptTokens = promptTokens;
            this.tools = tools;
            this.texts = new StringBuilder[n];
            this.finish = new String[n];
            this.stopReasons = new Object[n];
            this.reasoningStreams = new ReasoningParser.Stream[n];
            this.toolStreams = new ToolParser.Stream[n];
            this.toolCallCounts = new int[n];
            this.openingRead = new boolean[n];
            this.droppingCall = new boolean[n];
            this.reasoning = reasoning;
            for (int i = 0; i < n; i++) {
                texts[i] = new StringBuilder();
                logprobs.add(new ArrayList<>());
                int choice = i;
                reasoning.ifPresent(r -> reasoningStreams[choice] = r.newStream());
                if (tools.parse()) {
                    toolStreams[i] = tools.parser().newStream();
                }
            }
        }

        Map<String, Object> collect(Outputs outputs, RequestTimer timer) throws InterruptedException {
            Outputs.Item item;
            while ((item = outputs.next()) != null) {
                timer.tokens(item.output().tokenIds().length);
                texts[item.index()].append(item.output().text());
                addLogprobs(item);
                record(item);
            }
            List<Map<String, Object>> choices = new ArrayList<>();
            for (int i = 0; i < texts.length; i++) {
                String text = texts[i].toString();
                Map<String, Object> message = new LinkedHashMap<>();
                message.put("role", "assistant");
                String reasoningText = null;
                if (reasoning.isPresent()) {
                    ReasoningParser.Extracted split = reasoning.get().extract(text);
                    reasoningText = split.reasoning().isEmpty() ? null : split.reasoning();
                    text = split.content();
                }
                String finishReason = finish[i];
                if (tools.parse()) {
                    ToolParser.Extracted calls = tools.parser().extract(tools.opening() == null ? text
                            : tools.opening() + text);
                    if (!calls.calls().isEmpty()) {
                        message.put("tool_calls", ToolChoice.wire(tools.firstCallOnly()
                                ? calls.calls().subList(0, 1) : calls.calls()));
                        text = calls.content();
                        finishReason = "tool_calls";
                    }
                }
                message.put("content", text.isEmpty() && message.containsKey("tool_calls") ? null : text);
                if (reasoningText != null) {
                    message.put("reasoning_content", reasoningText);
                }
                Map<String, Object> choice = new LinkedHashMap<>();
                choice.put("index", i);
                choice.put("message", message);
                choice.put("logprobs", logprobsBody(i));
                choice.put("finish_reason", finishReason);
                choice.put("stop_reason", stopReasons[i]);
                choices.add(choice);
            }
            Map<String, Object> result = envelope("chat.completion");
            result.put("choices", choices);
            result.put("usage", usage());
            return result;
        }

        void stream(Outputs outputs, SseWriter sse, RequestTimer timer) throws IOException, InterruptedException {
            for (int i = 0; i < texts.length; i++) {
                Map<String, Object> delta = new LinkedHashMap<>();
                delta.put("role", "assistant");
                delta.put("content", "");
                sse.send(chunk(i, delta, null, null, null));
            }
            Outputs.Item item;
            while ((item = outputs.next()) != null) {
                timer.tokens(item.output().tokenIds().length);
                int i = item.index();
                record(item);
                List<Map<String, Object>> lp = null;
                if (item.output().logprobs().size() > 0) {
                    lp = LogprobsBodies.chat(item.output().logprobs(), model.codec());
                }
                for (Map<String, Object> delta : deltas(i, item.output().text(), item.output().finished())) {
                    sse.send(chunk(i, delta, null, lp, null));
                    lp = null;
                }
                if (lp != null) {
                    sse.send(chunk(i, new LinkedHashMap<>(), null, lp, null));
                }
                if (item.output().finished()) {
                    String reason = toolCallCounts[i] > 0 ? "tool_calls" : finish[i];
                    sse.send(chunk(i, new LinkedHashMap<>(), reason, null, stopReasons[i]));
                }
            }
            if (includeUsage) {
                Map<String, Object> last = envelope("chat.completion.chunk");
                last.put("choices", List.of());
                last.put("usage", usage());
                sse.send(last);
            }
            sse.done();
        }

        /** The deltas a piece of text makes after the reasoning and tool parsers had their say. */
        private List<Map<String, Object>> deltas(int i, String text, boolean last) {
            String reasoning = "";
            String content = text;
            if (reasoningStreams[i] != null) {
                ReasoningParser.Extracted split = reasoningStreams[i].onDelta(text);
                if (last) {
                    ReasoningParser.Extracted rest = reasoningStreams[i].finish();
                    split = new ReasoningParser.Extracted(split.reasoning() + rest.reasoning(),
                            split.content() + rest.content());
                }
                reasoning = split.reasoning();
                content = split.content();
            }
            List<Map<String, Object>> out = new ArrayList<>();
            if (!reasoning.isEmpty()) {
                out.add(new LinkedHashMap<>(Map.of("reasoning_content", reasoning)));
            }
            if (toolStreams[i] != null) {
                if (!openingRead[i] && tools.opening() != null) {
                    // the output continues the call opening that ends the prompt
                    content = tools.opening() + content;
                }
                openingRead[i] = true;
                ToolParser.Pieces pieces = toolStreams[i].onDeltaInPieces(content);
                if (last) {
                    ToolParser.Pieces rest = toolStreams[i].finishInPieces();
                    List<ToolParser.CallPiece> all = new ArrayList<>(pieces.calls());
                    all.addAll(rest.calls());
                    pieces = new ToolParser.Pieces(pieces.content() + rest.content(), all);
                }
                content = pieces.content();
                if (!pieces.calls().isEmpty()) {
                    if (!content.isEmpty()) {
                        out.add(new LinkedHashMap<>(Map.of("content", content)));
                        content = "";
                    }
                    out.add(new LinkedHashMap<>(Map.of("tool_calls", wirePieces(i, pieces.calls()))));
                }
            }
            if (!content.isEmpty()) {
                out.add(new LinkedHashMap<>(Map.of("content", content)));
            }
            return out;
        }

        /**
         * Call pieces as streamed {@code tool_calls} deltas, as vLLM sends them: an opening piece carries the index
         * the call gets, its id, type and name; later pieces carry the index and an arguments fragment, merged
         * when they follow each other in one delta.
         */
        private List<Map<String, Object>> wirePieces(int choice, List<ToolParser.CallPiece> pieces) {
            List<Map<String, Object>> wire = new ArrayList<>();
            Map<String, Object> previous = null;
            for (ToolParser.CallPiece piece : pieces) {
                if (piece.opensCall()) {
                    droppingCall[choice] = tools.firstCallOnly() && toolCallCounts[choice] > 0;
                }
                if (droppingCall[choice]) {
                    continue;
                }
                if (piece.opensCall()) {
                    Map<String, Object> fn = new LinkedHashMap<>();
                    fn.put("name", piece.name());
                    fn.put("arguments", piece.arguments());
                    Map<String, Object> call = new LinkedHashMap<>();
                    call.put("index", toolCallCounts[choice]++);
                    call.put("id", piece.id());
                    call.put("type", "function");
                    call.put("function", fn);
                    wire.add(call);
                    previous = call;
                } else if (toolCallCounts[choice] == 0) {
                    throw new IllegalStateException("the tool parser continued a call it never opened: " + piece);
                } else if (previous != null) {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> fn = (Map<String, Object>) previous.get("function");
                    fn.put("arguments", fn.get("arguments") + piece.arguments());
                } else {
                    Map<String, Object> call = new LinkedHashMap<>();
                    call.put("index", toolCallCounts[choice] - 1);
                    call.put("function", new LinkedHashMap<>(Map.of("arguments", piece.arguments())));
                    wire.add(call);
                    previous = call;
                }
            }
            return wire;
        }

        private void record(Outputs.Item item) {
            if (item.output().finished()) {
                finish[item.index()] = item.output().finishReason().wireName();
                stopReasons[item.index()] = item.output().stopReason();
                completionTokens += item.output().outputTokens();
            }
        }

        private void addLogprobs(Outputs.Item item) {
            if (!item.output().logprobs().isEmpty()) {
                logprobs.get(item.index()).addAll(LogprobsBodies.chat(item.output().logprobs(), model.codec()));
            }
        }

        private Map<String, Object> logprobsBody(int i) {
            return logprobs.get(i).isEmpty() ? null : Map.of("content", logprobs.get(i));
        }

        private Map<String, Object> chunk(int index, Map<String, Object> delta, String finishReason,
                                          List<Map<String, Object>> lp, Object stopReason) {
            Map<String, Object> choice = new LinkedHashMap<>();
            choice.put("index", index);
            choice.put("delta", delta);
            choice.put("logprobs", lp == null ? null : Map.of("content", lp));
            choice.put("finish_reason", finishReason);
            choice.put("stop_reason", stopReason);
            Map<String, Object> chunk = envelope("chat.completion.chunk");
            chunk.put("choices", List.of(choice));
            if (includeUsage) {
                chunk.put("usage", null);
            }
            return chunk;
        }

        private Map<String, Object> envelope(String object) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", id);
            m.put("object", object);
            m.put("created", created);
            m.put("model", model.name());
            return m;
        }

        private Map<String, Object> usage() {
            Map<String, Object> usage = new LinkedHashMap<>();
            usage.put("prompt_tokens", promptTokens);
            usage.put("completion_tokens", completionTokens);
            usage.put("total_tokens", promptTokens + completionTokens);
            return usage;
        }
    }
}
