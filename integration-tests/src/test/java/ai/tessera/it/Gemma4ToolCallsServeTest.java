package ai.tessera.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import ai.tessera.demo.SafetensorsWriter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionNamedToolChoice;
import com.openai.models.chat.completions.ChatCompletionToolChoiceOption;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Gemma 4 reasoning and tool calls through the OpenAI API, as a client of {@code tessera serve --reasoning-parser
 * gemma4 --enable-auto-tool-choice --tool-call-parser gemma4} sees them with the official openai-java client.
 *
 * tool_choice "required" and a named function are honoured by ending the prompt in Gemma 4's call opening.
 *
 * <p>A random-weight Gemma 4 would not write a tool call, so the served model is the example bigram architecture
 * with weights that make greedy decoding follow a script: the token after {@code model} (the end of Gemma 4's
 * generation prompt with thinking on) opens the thinking channel, the token after {@code <channel|>} (its end with
 * thinking off) starts the answer, and so on to two calls and {@code <turn|>}. Its word-level tokenizer joins
 * tokens without spaces ({@code Fuse}) and marks the channel and tool-call tags special, as Gemma 4's tokenizer
 * does, so the text the parsers read is real Gemma 4 output only if the server keeps special tokens for them.
 * The prompt comes from the real Gemma 4 chat template (tools/reference/templates/gemma4.jinja).
 */
class Gemma4ToolCallsServeTest {
    private static final String MODEL = "gemma4-scripted";
    /** The script: each token's successor under greedy decoding. Special tokens are marked with a leading '!'. */
    private static final List<String> SCRIPT = List.of("model", "!<|channel>", "thought\n",
            "The user wants the weather and the time.", "!<channel|>", "Checking. ", "!<|tool_call>",
            "call:get_weather{", "location:<|\"|>Paris, ", "France<|\"|>,days:", "3,detail:{wind:", "true,hours:[9,12]}}",
            "<tool_call|><|tool_call>call:current_time{tz:", "<|\"|>UTC<|\"|>}", "!<tool_call|>", "!<turn|>");
    /** Tokens of the prompt side: the template's special tokens and a word-level vocabulary for the rest. */
    private static final List<String> PROMPT_TOKENS = List.of("!<pad>", "!<unk>", "!<bos>", "!<|turn>", "!<|think|>",
            "!<|tool>", "!<tool|>", "!<|\"|>", "!<|tool_response>", "!<tool_response|>", "!<|image|>", "{", ":",
            "get_weather{");
    /**
     * Where the script is entered besides {@code model} and {@code <channel|>}: a prompt that ends in the call
     * opening of tool_choice "required" ({@code <|tool_call>call:}, last word {@code :}) or of a named function
     * ({@code <|tool_call>call:get_weather{}, last word {@code {}).
     */
    private static final Map<String, String> ENTRIES = Map.of(":", "get_weather{", "get_weather{",
            "location:<|\"|>Paris, ", "{", "location:<|\"|>Paris, ");
    private static final String WEATHER_ARGUMENTS =
            "{\"location\": \"Paris, France\", \"days\": 3, \"detail\": {\"wind\": true, \"hours\": [9, 12]}}";
    private static final String TIME_ARGUMENTS = "{\"tz\": \"UTC\"}";
    private static final String REASONING = "The user wants the weather and the time.";

    @TempDir
    static Path work;
    private static ServeProcess server;
    private static OpenAIClient client;
    private static RawHttp http;

    @BeforeAll
    static void start() throws Exception {
        Path deploy = TesseraProcess.deployFolder(work);
        Artifacts.copyInto(Artifacts.jar("examples/example-architecture"), deploy, "example-architecture.jar");
        Path model = Files.createDirectories(work.resolve(MODEL));
        writeScriptedModel(model);
        server = ServeProcess.start(deploy, work.resolve("serve.log"), "gemma4-tools-key", model.toString(),
                "--dtype", "float32", "--max-model-len", "1024", "--reasoning-parser", "gemma4",
                "--enable-auto-tool-choice", "--tool-call-parser", "gemma4");
        server.awaitReady(Duration.ofSeconds(180));
        client = OpenAIOkHttpClient.builder().baseUrl(server.uri("/v1").toString()).apiKey(server.apiKey)
                .maxRetries(0).timeout(Duration.ofSeconds(60)).build();
        http = new RawHttp(server);
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    /** config.json, a one-hot bigram table that walks {@link #SCRIPT}, the tokenizer and the Gemma 4 template. */
    private static void writeScriptedModel(Path model) throws IOException {
        List<String> vocab = new ArrayList<>(PROMPT_TOKENS);
        vocab.addAll(SCRIPT);
        int size = vocab.size();
        Files.writeString(model.resolve("config.json"), "{\"architectures\":[\"TesseraExampleBigramLM\"],"
                + "\"vocab_size\":" + size + ",\"hidden_size\":" + size + "}");
        float[] embed = new float[size * size];
        float[] lmHead = new float[size * size];
        for (int id = 0; id < size; id++) {
            embed[id * size + id] = 1;
        }
        List<String> words = vocab.stream().map(t -> t.startsWith("!") ? t.substring(1) : t).toList();
        Map<String, String> next = new LinkedHashMap<>(ENTRIES);
        for (int step = 0; step + 1 < SCRIPT.size(); step++) {
            next.put(words.get(PROMPT_TOKENS.size() + step), words.get(PROMPT_TOKENS.size() + step + 1));
        }
        // logits[next] = lm_head[next] . embed[current] = 1, every other logit 0
        next.forEach((current, following) -> lmHead[words.indexOf(following) * size + words.indexOf(current)] = 1);
        SafetensorsWriter.write(model.resolve("model.safetensors"), List.of(
                new SafetensorsWriter.Tensor("model.embed_tokens.weight", new long[] {size, size}, embed),
                new SafetensorsWriter.Tensor("lm_head.weight", new long[] {size, size}, lmHead)));

        ObjectNode tokenizer = RawHttp.JSON.createObjectNode();
        ArrayNode added = tokenizer.putArray("added_tokens");
        ObjectNode vocabulary = RawHttp.JSON.createObjectNode();
        for (int id = 0; id < size; id++) {
            String token = vocab.get(id);
            boolean special = token.startsWith("!");
            String text = special ? token.substring(1) : token;
            vocabulary.put(text, id);
            if (special) {
                added.addObject().put("id", id).put("content", text).put("single_word", false).put("lstrip", false)
                        .put("rstrip", false).put("normalized", false).put("special", true);
            }
        }
        tokenizer.putObject("pre_tokenizer").put("type", "Whitespace");
        tokenizer.putObject("decoder").put("type", "Fuse");
        tokenizer.putObject("model").put("type", "WordLevel").put("unk_token", "<unk>").set("vocab", vocabulary);
        RawHttp.JSON.writeValue(model.resolve("tokenizer.json").toFile(), tokenizer);
        Files.writeString(model.resolve("tokenizer_config.json"), "{\"bos_token\": \"<bos>\", \"eos_token\": \"<turn|>\","
                + " \"pad_token\": \"<pad>\", \"tokenizer_class\": \"PreTrainedTokenizerFast\"}");
        Files.copy(Artifacts.ROOT.resolve("tools/reference/templates/gemma4.jinja"), model.resolve("chat_template.jinja"));
    }

    private static ChatCompletionCreateParams.Builder request(boolean thinking) {
        FunctionParameters weatherParameters = FunctionParameters.builder()
                .putAdditionalProperty("type", JsonValue.from("object"))
                .putAdditionalProperty("properties", JsonValue.from(Map.of(
                        "location", Map.of("type", "string", "description", "City and country"),
                        "days", Map.of("type", "integer"),
                        "detail", Map.of("type", "object", "properties", Map.of(
                                "wind", Map.of("type", "boolean"),
                                "hours", Map.of("type", "array", "items", Map.of("type", "integer")))))))
                .putAdditionalProperty("required", JsonValue.from(List.of("location")))
                .build();
        return ChatCompletionCreateParams.builder().model(MODEL).temperature(0.0).maxTokens(64)
                .addSystemMessage("You are a travel assistant.")
                .addUserMessage("Weather in Paris, and what time is it?")
                .addFunctionTool(FunctionDefinition.builder().name("get_weather").description("Current weather")
                        .parameters(weatherParameters).build())
                .addFunctionTool(FunctionDefinition.builder().name("current_time").description("The time now")
                        .parameters(FunctionParameters.builder().putAdditionalProperty("type", JsonValue.from("object"))
                                .putAdditionalProperty("properties", JsonValue.from(Map.of("tz",
                                        Map.of("type", "string")))).build()).build())
                .putAdditionalBodyProperty("chat_template_kwargs", JsonValue.from(Map.of("enable_thinking", thinking)));
    }

    private static Optional<String> reasoningOf(Map<String, JsonValue> additional) {
        JsonValue value = additional.get("reasoning_content");
        return value == null ? Optional.empty() : value.asString();
    }

    @Test
    void thinkingAndTwoCallsComeAsReasoningContentAndToolCalls() {
        ChatCompletion completion = client.chat().completions().create(request(true).build());
        ChatCompletion.Choice choice = completion.choices().get(0);
        assertEquals(ChatCompletion.Choice.FinishReason.TOOL_CALLS, choice.finishReason());
        assertEquals(Optional.of(REASONING), reasoningOf(choice.message()._additionalProperties()));
        assertEquals(Optional.of("Checking."), choice.message().content(), "content before the calls, stripped");
        List<ChatCompletionMessageFunctionToolCall> calls = choice.message().toolCalls().orElseThrow().stream()
                .map(c -> c.asFunction()).toList();
        assertEquals(2, calls.size());
        assertEquals("get_weather", calls.get(0).function().name());
        assertEquals(WEATHER_ARGUMENTS, calls.get(0).function().arguments());
        assertEquals("current_time", calls.get(1).function().name());
        assertEquals(TIME_ARGUMENTS, calls.get(1).function().arguments());
        assertTrue(calls.get(0).id().startsWith("chatcmpl-tool-"), calls.get(0).id());
        assertFalse(calls.get(0).id().equals(calls.get(1).id()));
        // the script's 15 tokens after "model", <turn|> (end of sequence) included
        assertEquals(15, completion.usage().orElseThrow().completionTokens());
    }

    /** Thinking off: the template closes an empty channel in the prompt, so the model starts with its answer. */
    @Test
    void withoutThinkingThereIsNoReasoning() {
        ChatCompletion.Choice choice = client.chat().completions().create(request(false).build()).choices().get(0);
        assertEquals(Optional.empty(), reasoningOf(choice.message()._additionalProperties()));
        assertEquals(Optional.of("Checking."), choice.message().content());
        assertEquals(2, choice.message().toolCalls().orElseThrow().size());
    }

    /**
     * Streamed: reasoning in reasoning_content deltas, then content, then each call opened once with its index, id
     * and name and its arguments in several fragments that add up to the same JSON; finish_reason tool_calls.
     */
    @Test
    void streamedCallsOpenOnceThenGrowByFragments() {
        StringBuilder reasoning = new StringBuilder();
        StringBuilder content = new StringBuilder();
        Map<Long, String> names = new LinkedHashMap<>();
        Map<Long, String> ids = new LinkedHashMap<>();
        Map<Long, StringBuilder> arguments = new LinkedHashMap<>();
        Map<Long, Integer> fragments = new LinkedHashMap<>();
        List<String> finishReasons = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions()
                .createStreaming(request(true).build())) {
            stream.stream().forEach(chunk -> chunk.choices().forEach(choice -> {
                ChatCompletionChunk.Choice.Delta delta = choice.delta();
                reasoningOf(delta._additionalProperties()).ifPresent(reasoning::append);
                delta.content().ifPresent(content::append);
                choice.finishReason().ifPresent(f -> finishReasons.add(f.asString()));
                delta.toolCalls().ifPresent(calls -> calls.forEach(call -> {
                    long index = call.index();
                    call.id().ifPresent(id -> assertEquals(null, ids.put(index, id), "call " + index + " opened twice"));
                    call.function().flatMap(ChatCompletionChunk.Choice.Delta.ToolCall.Function::name)
                            .ifPresent(name -> names.put(index, name));
                    assertTrue(ids.containsKey(index), "call " + index + " continued before it was opened");
                    call.function().flatMap(ChatCompletionChunk.Choice.Delta.ToolCall.Function::arguments)
                            .filter(a -> !a.isEmpty()).ifPresent(a -> {
                                arguments.computeIfAbsent(index, k -> new StringBuilder()).append(a);
                                fragments.merge(index, 1, Integer::sum);
                            });
                }));
            }));
        }
        assertEquals(REASONING, reasoning.toString());
        assertEquals("Checking. ", content.toString(), "streamed content is the text outside calls, verbatim");
        assertEquals(Map.of(0L, "get_weather", 1L, "current_time"), names);
        assertEquals(WEATHER_ARGUMENTS, arguments.get(0L).toString());
        assertEquals(TIME_ARGUMENTS, arguments.get(1L).toString());
        assertTrue(fragments.get(0L) >= 4, "get_weather's arguments grew token by token: " + fragments);
        assertEquals(List.of("tool_calls"), finishReasons);
    }

    /** tool_choice none: the tools are in the prompt but the output is not parsed for calls. */
    @Test
    void toolChoiceNoneLeavesTheCallTextInTheContent() {
        ChatCompletion.Choice choice = client.chat().completions().create(request(false)
                .toolChoice(ChatCompletionToolChoiceOption.Auto.NONE).build()).choices().get(0);
        assertEquals(ChatCompletion.Choice.FinishReason.STOP, choice.finishReason());
        assertTrue(choice.message().toolCalls().isEmpty() || choice.message().toolCalls().get().isEmpty());
        String content = choice.message().content().orElseThrow();
        assertTrue(content.startsWith("Checking. <|tool_call>call:get_weather{location:<|\"|>Paris"), content);
    }

    /** Without a parser's need, special tokens stay out of the text as usual; a request may keep them. */
    @Test
    void skipSpecialTokensIsARequestField() throws Exception {
        ObjectNode body = RawHttp.JSON.createObjectNode();
        body.put("model", MODEL).put("prompt", "model").put("max_tokens", 4).put("temperature", 0);
        JsonNode skipped = http.post("/v1/completions", body.toString()).json();
        assertEquals("thought\n" + REASONING, skipped.get("choices").get(0).get("text").asText());
        body.put("skip_special_tokens", false);
        JsonNode kept = http.post("/v1/completions", body.toString()).json();
        assertEquals("<|channel>thought\n" + REASONING + "<channel|>", kept.get("choices").get(0).get("text").asText());
    }

    /**
     * A named function: the prompt ends in the call's opening, the model writes its arguments, and only that call
     * comes back (the script's second call is dropped), whole and streamed.
     */
    @Test
    void aNamedFunctionIsCalledThroughItsOpening() {
        ChatCompletionCreateParams params = request(true).toolChoice(ChatCompletionNamedToolChoice.builder().function(
                ChatCompletionNamedToolChoice.Function.builder().name("get_weather").build()).build()).build();
        ChatCompletion.Choice choice = client.chat().completions().create(params).choices().get(0);
        List<ChatCompletionMessageFunctionToolCall> calls = choice.message().toolCalls().orElseThrow().stream()
                .map(c -> c.asFunction()).toList();
        assertEquals(1, calls.size());
        assertEquals("get_weather", calls.get(0).function().name());
        assertEquals(WEATHER_ARGUMENTS, calls.get(0).function().arguments());
        assertTrue(choice.message().content().orElse("").isEmpty(), choice.message().content().toString());
        assertEquals(Optional.empty(), reasoningOf(choice.message()._additionalProperties()));

        Map<Long, String> names = new LinkedHashMap<>();
        Map<Long, StringBuilder> arguments = new LinkedHashMap<>();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
            stream.stream().forEach(chunk -> chunk.choices().forEach(c -> c.delta().toolCalls().ifPresent(list ->
                    list.forEach(call -> {
                        call.function().flatMap(ChatCompletionChunk.Choice.Delta.ToolCall.Function::name)
                                .ifPresent(name -> names.put(call.index(), name));
                        call.function().flatMap(ChatCompletionChunk.Choice.Delta.ToolCall.Function::arguments)
                                .ifPresent(a -> arguments.computeIfAbsent(call.index(), k -> new StringBuilder())
                                        .append(a));
                    }))));
        }
        assertEquals(Map.of(0L, "get_weather"), names);
        assertEquals(WEATHER_ARGUMENTS, arguments.get(0L).toString());
    }

    /** tool_choice required: the prompt ends in {@code <|tool_call>call:}; the model names the function. */
    @Test
    void requiredMakesTheModelCall() {
        ChatCompletion.Choice choice = client.chat().completions().create(request(false)
                .toolChoice(ChatCompletionToolChoiceOption.Auto.REQUIRED).build()).choices().get(0);
        assertEquals(ChatCompletion.Choice.FinishReason.TOOL_CALLS, choice.finishReason());
        List<ChatCompletionMessageFunctionToolCall> calls = choice.message().toolCalls().orElseThrow().stream()
                .map(c -> c.asFunction()).toList();
        assertEquals(List.of("get_weather", "current_time"), calls.stream().map(c -> c.function().name()).toList());
        assertEquals(WEATHER_ARGUMENTS, calls.get(0).function().arguments());
        assertEquals(TIME_ARGUMENTS, calls.get(1).function().arguments());
    }

    @Test
    void aNamedFunctionMustBeATool() {
        BadRequestException e = assertThrows(BadRequestException.class, () -> client.chat().completions()
                .create(request(false).toolChoice(ChatCompletionNamedToolChoice.builder().function(
                        ChatCompletionNamedToolChoice.Function.builder().name("book_flight").build()).build()).build()));
        assertTrue(e.getMessage().contains("Tool 'book_flight' has not been passed in 'tools'"), e.getMessage());
    }
}
