package ai.tessera.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.chat.completions.ChatCompletionTokenLogprob;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionChoice;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.completions.CompletionUsage;
import com.openai.models.models.Model;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The OpenAI-compatible server as its users meet it: one {@code tessera serve} process on the demo model (random
 * weights, so the text is gibberish but greedy decoding is deterministic), called with the official openai-java
 * client and, for what that client cannot send, with raw HTTP and a raw socket.
 */
class OpenAiServerTest {
    private static final String MODEL = "tessera-demo";
    private static final int MAX_MODEL_LEN = 512;
    private static final String PROMPT = "Say hello to Tessera";
    /** o200k ids of "Hello world" (checked through the server's own decoding in the completions test). */
    private static final List<Long> HELLO_WORLD_IDS = List.of(13225L, 2375L);

    @TempDir
    static Path work;
    private static Path deploy;
    private static ServeProcess server;
    private static OpenAIClient client;
    private static RawHttp http;
    /** What {@code tessera generate --chat} prints for {@link #PROMPT}, greedy, 16 tokens. */
    private static String generated;

    @BeforeAll
    static void startServer() throws Exception {
        deploy = TesseraProcess.deployFolder(work);
        server = ServeProcess.start(deploy, work.resolve("serve.log"), "it-secret-key", "--max-model-len",
                Integer.toString(MAX_MODEL_LEN));
        // The CLI's generate loads the model on its own; while it runs, the server loads too.
        TesseraProcess.Result gen = TesseraProcess.run(deploy, Duration.ofSeconds(120), "generate", "--model",
                Artifacts.ROOT.resolve("demo-model/tessera-demo").toString(), "--prompt", PROMPT, "--chat",
                "--temperature", "0", "--max-tokens", "16");
        assertEquals(0, gen.code(), gen.err());
        assertTrue(gen.out().endsWith("\n"), gen.out());
        generated = gen.out().substring(0, gen.out().length() - 1);
        server.awaitReady(Duration.ofSeconds(120));
        client = OpenAIOkHttpClient.builder().baseUrl(server.uri("/v1").toString()).apiKey(server.apiKey)
                .maxRetries(0).timeout(Duration.ofSeconds(60)).build();
        http = new RawHttp(server);
    }

    @AfterAll
    static void stopServer() throws InterruptedException {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private static ChatCompletionCreateParams.Builder chat(String prompt, long maxTokens) {
        return ChatCompletionCreateParams.builder().model(MODEL).addUserMessage(prompt).temperature(0.0)
                .maxTokens(maxTokens);
    }

    private static String content(ChatCompletion c) {
        return c.choices().get(0).message().content().orElse("");
    }

    @Test
    void modelsListContainsTheServedName() throws Exception {
        List<String> ids = client.models().list().data().stream().map(Model::id).collect(Collectors.toList());
        assertEquals(List.of(MODEL), ids);
        JsonNode raw = http.get("/v1/models").json().get("data").get(0);
        assertEquals(MAX_MODEL_LEN, raw.get("max_model_len").asInt(), raw.toString());
    }

    /**
     * The server renders the chat template and decodes greedily exactly as {@code tessera generate --chat} does:
     * same template, same tokenizer, same engine, so the 16 tokens must be the same text.
     */
    /** A body declared as anything but JSON gets vLLM's 415, in an OpenAI error body. */
    @Test
    void aBodyThatIsNotDeclaredAsJsonIs415() throws Exception {
        RawHttp.Reply r = http.postAs("/v1/completions", "{\"prompt\":\"hi\",\"max_tokens\":1}", "text/plain");
        assertEquals(415, r.status(), r.body());
        assertTrue(r.json().at("/error/message").asText().contains("only 'application/json' is allowed, got"
                + " 'text/plain"), r.body());
    }

    /** A request refused after its model is known counts under that model; one refused before, under no model. */
    @Test
    void refusedRequestsCountUnderTheirModel() throws Exception {
        Map<String, String> refused = Map.of("model", MODEL, "status", "400");
        double before = Prometheus.sum(http.get("/metrics").body(), "tessera_requests_total", refused);
        String auth = "Bearer " + server.apiKey;
        RawHttp.Reply hot = http.post("/v1/chat/completions", "{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":"
                + "\"user\",\"content\":\"hi\"}],\"temperature\":5}", auth);
        assertEquals(400, hot.status(), hot.body());
        assertEquals(before + 1, Prometheus.sum(http.get("/metrics").body(), "tessera_requests_total", refused));
    }

    /** Each request is logged when it arrives and when it ends, by its id (vLLM does; --disable-log-requests not). */
    @Test
    void requestsAreLoggedByTheirId() throws Exception {
        ChatCompletion c = client.chat().completions().create(chat(PROMPT, 4).build());
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        String log = "";
        while (System.nanoTime() < deadline && !log.contains("finished request " + c.id())) {
            Thread.sleep(50);
            log = Files.readString(work.resolve("serve.log"));
        }
        assertTrue(log.contains("received request " + c.id() + " for " + MODEL + ": "), log);
        assertTrue(log.contains("finished request " + c.id() + ": ok, 4 tokens generated in"), log);
    }

    @Test
    void greedyChatEqualsTheCliGenerate() {
        ChatCompletion c = client.chat().completions().create(chat(PROMPT, 16).build());
        assertFalse(generated.isEmpty());
        assertEquals(generated, content(c));
        assertEquals(MODEL, c.model());
        assertEquals(ChatCompletion.Choice.FinishReason.LENGTH, c.choices().get(0).finishReason());
        assertEquals(16, c.usage().orElseThrow().completionTokens());
    }

    @Test
    void streamedChatConcatenatesToTheSameTextWithUsageLast() {
        ChatCompletion whole = client.chat().completions().create(chat(PROMPT, 16).build());
        StringBuilder text = new StringBuilder();
        List<CompletionUsage> usages = new ArrayList<>();
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(chat(PROMPT, 16)
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            stream.stream().forEach(chunk -> {
                chunks.add(chunk);
                chunk.choices().forEach(choice -> choice.delta().content().ifPresent(text::append));
                chunk.usage().ifPresent(usages::add);
            });
        }
        assertEquals(content(whole), text.toString());
        assertTrue(chunks.size() > 2, "streamed in pieces: " + chunks.size());
        assertEquals(1, usages.size(), "one usage chunk");
        ChatCompletionChunk last = chunks.get(chunks.size() - 1);
        assertTrue(last.choices().isEmpty() && last.usage().isPresent(), "usage comes last, without choices");
        assertEquals(whole.usage().orElseThrow().promptTokens(), usages.get(0).promptTokens());
        assertEquals(16, usages.get(0).completionTokens());
        assertEquals(usages.get(0).promptTokens() + 16, usages.get(0).totalTokens());
    }

    /** A string prompt and its token ids give the same greedy text; {@code echo} shows the ids decode to it. */
    @Test
    void completionsTakeAStringOrTokenIds() {
        Completion fromText = client.completions().create(CompletionCreateParams.builder().model(MODEL)
                .prompt("Hello world").maxTokens(8).temperature(0.0).build());
        Completion fromIds = client.completions().create(CompletionCreateParams.builder().model(MODEL)
                .promptOfArrayOfTokens(HELLO_WORLD_IDS).maxTokens(8).temperature(0.0).echo(true).build());
        String text = fromText.choices().get(0).text();
        assertFalse(text.isEmpty());
        assertEquals(2, fromText.usage().orElseThrow().promptTokens());
        assertEquals("Hello world" + text, fromIds.choices().get(0).text());
        assertEquals(2, fromIds.usage().orElseThrow().promptTokens());
        assertEquals(CompletionChoice.FinishReason.LENGTH, fromText.choices().get(0).finishReason());
        Completion unbounded = client.completions().create(CompletionCreateParams.builder().model(MODEL)
                .prompt("Hello world").temperature(0.0)
                .putAdditionalBodyProperty("ignore_eos", JsonValue.from(true)).build());
        assertEquals(16, unbounded.usage().orElseThrow().completionTokens(),
                "without max_tokens a completion stops at 16 tokens, as OpenAI's and vLLM's");

        StringBuilder streamed = new StringBuilder();
        try (StreamResponse<Completion> stream = client.completions().createStreaming(CompletionCreateParams.builder()
                .model(MODEL).prompt("Hello world").maxTokens(8).temperature(0.0).build())) {
            stream.stream().forEach(chunk -> chunk.choices().forEach(c -> streamed.append(c.text())));
        }
        assertEquals(text, streamed.toString());
    }

    @Test
    void chatLogprobsHaveOneEntryPerTokenWithTwoAlternatives() {
        ChatCompletion c = client.chat().completions().create(chat(PROMPT, 8).logprobs(true).topLogprobs(2).build());
        List<ChatCompletionTokenLogprob> lps = c.choices().get(0).logprobs().orElseThrow().content().orElseThrow();
        assertEquals(8, lps.size());
        for (ChatCompletionTokenLogprob lp : lps) {
            assertTrue(lp.logprob() <= 0, lp.toString());
            assertEquals(2, lp.topLogprobs().size(), lp.toString());
            // Greedy: the chosen token is the most likely one.
            assertEquals(lp.token(), lp.topLogprobs().get(0).token());
            assertEquals(lp.logprob(), lp.topLogprobs().get(0).logprob(), 1e-6);
            assertTrue(lp.topLogprobs().get(0).logprob() >= lp.topLogprobs().get(1).logprob(), lp.toString());
            assertTrue(lp.topLogprobs().get(1).logprob() <= 0);
            assertFalse(lp.bytes().orElseThrow().isEmpty());
        }
        assertEquals(content(c), content(client.chat().completions().create(chat(PROMPT, 8).build())),
                "logprobs do not change the text");
    }

    @Test
    void completionLogprobsAreParallelLists() {
        Completion c = client.completions().create(CompletionCreateParams.builder().model(MODEL).prompt("Hello world")
                .maxTokens(6).temperature(0.0).logprobs(2).build());
        CompletionChoice.Logprobs lp = c.choices().get(0).logprobs().orElseThrow();
        List<String> tokens = lp.tokens().orElseThrow();
        List<Double> logprobs = lp.tokenLogprobs().orElseThrow();
        List<Long> offsets = lp.textOffset().orElseThrow();
        assertEquals(6, tokens.size());
        assertEquals(6, logprobs.size());
        assertEquals(6, offsets.size());
        assertEquals(6, lp.topLogprobs().orElseThrow().size());
        assertEquals(0, offsets.get(0));
        for (int i = 0; i < 6; i++) {
            assertTrue(logprobs.get(i) <= 0, logprobs.toString());
            Map<String, JsonValue> top = lp.topLogprobs().get().get(i)._additionalProperties();
            assertEquals(2, top.size(), top.toString());
            assertTrue(top.containsKey(tokens.get(i)), "greedy token among the top 2: " + top);
            if (i > 0) {
                assertEquals(offsets.get(i - 1) + tokens.get(i - 1).length(), offsets.get(i));
            }
        }
    }

    @Test
    void nChoicesWithASeedAreDistinctAndReproducible() {
        ChatCompletionCreateParams params = chat(PROMPT, 8).temperature(1.0).n(2).seed(1234).build();
        ChatCompletion first = client.chat().completions().create(params);
        ChatCompletion again = client.chat().completions().create(params);
        assertEquals(2, first.choices().size());
        assertEquals(List.of(0L, 1L), first.choices().stream().map(ChatCompletion.Choice::index).toList());
        List<String> texts = first.choices().stream().map(ch -> ch.message().content().orElse("")).toList();
        assertEquals(texts, again.choices().stream().map(ch -> ch.message().content().orElse("")).toList());
        assertNotEquals(texts.get(0), texts.get(1), "each choice draws with its own seed");
        assertEquals(16, first.usage().orElseThrow().completionTokens());
    }

    /** A stop string cuts the text before its first occurrence, with finish reason {@code stop}. */
    @Test
    void stopStringsCutTheText() {
        String stop = middle(generated, 2);
        String expected = generated.substring(0, generated.indexOf(stop));

        ChatCompletion c = client.chat().completions().create(chat(PROMPT, 16).stopOfStrings(List.of("never-there",
                stop)).build());
        assertEquals(expected, content(c));
        assertEquals(ChatCompletion.Choice.FinishReason.STOP, c.choices().get(0).finishReason());

        // Streamed, text that could be the start of the stop string is held back, and never sent once it is.
        StringBuilder streamed = new StringBuilder();
        List<ChatCompletionChunk.Choice.FinishReason> reasons = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(chat(PROMPT, 16)
                .stop(stop).build())) {
            stream.stream().flatMap(chunk -> chunk.choices().stream()).forEach(ch -> {
                ch.delta().content().ifPresent(streamed::append);
                ch.finishReason().ifPresent(reasons::add);
            });
        }
        assertEquals(expected, streamed.toString());
        assertEquals(List.of(ChatCompletionChunk.Choice.FinishReason.STOP), reasons);

        Completion cut = client.completions().create(CompletionCreateParams.builder().model(MODEL)
                .prompt("Hello world").maxTokens(8).temperature(0.0).build());
        String full = cut.choices().get(0).text();
        String stop2 = middle(full, 3);
        Completion stopped = client.completions().create(CompletionCreateParams.builder().model(MODEL)
                .prompt("Hello world").maxTokens(8).temperature(0.0).stopOfStrings(List.of(stop2, "never")).build());
        assertEquals(full.substring(0, full.indexOf(stop2)), stopped.choices().get(0).text());
        assertEquals(CompletionChoice.FinishReason.STOP, stopped.choices().get(0).finishReason());
        Completion kept = client.completions().create(CompletionCreateParams.builder().model(MODEL)
                .prompt("Hello world").maxTokens(8).temperature(0.0).stopOfStrings(List.of(stop2))
                .putAdditionalBodyProperty("include_stop_str_in_output", JsonValue.from(true)).build());
        assertEquals(full.substring(0, full.indexOf(stop2) + stop2.length()), kept.choices().get(0).text(),
                "include_stop_str_in_output: the text ends with the stop string");

        ChatCompletion plain = client.chat().completions().create(chat(PROMPT, 16).stop("never-there").build());
        assertEquals(generated, content(plain), "a stop string that never comes changes nothing");
    }

    /** {@code length} code points from the middle of {@code text}: a stop string that the text surely holds. */
    private static String middle(String text, int length) {
        int start = text.offsetByCodePoints(0, text.codePointCount(0, text.length()) / 2);
        return text.substring(start, text.offsetByCodePoints(start, length));
    }

    /** 32 streams at once are batched together; greedy decoding must not depend on what shares the batch. */
    @Test
    void concurrentStreamsGiveTheSequentialTextsAndCountInMetrics() throws Exception {
        List<String> prompts = new ArrayList<>();
        List<String> sequential = new ArrayList<>();
        for (int p = 0; p < 8; p++) {
            prompts.add("Prompt number " + p + " for the batch");
            sequential.add(content(client.chat().completions().create(chat(prompts.get(p), 12).build())));
        }
        String before = http.get("/metrics").body();
        ExecutorService pool = Executors.newFixedThreadPool(32);
        CountDownLatch go = new CountDownLatch(1);
        List<String> texts = new ArrayList<>();
        try {
            List<Future<String>> futures = new ArrayList<>();
            long[] tokens = new long[32];
            for (int i = 0; i < 32; i++) {
                int k = i;
                futures.add(pool.submit(() -> {
                    go.await();
                    StringBuilder text = new StringBuilder();
                    try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(
                            chat(prompts.get(k % 8), 12).streamOptions(ChatCompletionStreamOptions.builder()
                                    .includeUsage(true).build()).build())) {
                        s.stream().forEach(chunk -> {
                            chunk.choices().forEach(ch -> ch.delta().content().ifPresent(text::append));
                            chunk.usage().ifPresent(u -> tokens[k] = u.completionTokens());
                        });
                    }
                    return text.toString();
                }));
            }
            go.countDown();
            for (Future<String> f : futures) {
                texts.add(f.get(120, TimeUnit.SECONDS));
            }
            for (int i = 0; i < 32; i++) {
                assertEquals(sequential.get(i % 8), texts.get(i), "stream " + i);
            }
            long generatedTokens = Arrays.stream(tokens).sum();
            assertTrue(generatedTokens >= 32, "usage reported: " + generatedTokens);
            Map<String, String> ok = Map.of("model", MODEL, "status", "ok");
            double requestsBefore = Prometheus.sum(before, "tessera_requests_total", ok);
            double tokensBefore = Prometheus.sum(before, "tessera_generation_tokens_total", Map.of("model", MODEL));
            // A stream's [DONE] may reach the client a moment before the server counts the request.
            String after = awaitMetrics("32 more finished requests", Duration.ofSeconds(10), text ->
                    Prometheus.sum(text, "tessera_requests_total", ok) >= requestsBefore + 32);
            assertTrue(Prometheus.sum(after, "tessera_generation_tokens_total", Map.of("model", MODEL))
                    >= tokensBefore + generatedTokens, after);
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * A client that leaves mid-stream must not keep its KV blocks: the next SSE write fails, the server aborts the
     * engine request, and the cache is free again while the request had hundreds of tokens to go.
     */
    @Test
    void aClientThatLeavesMidStreamFreesItsKvCache() throws Exception {
        String kv = "tessera_kv_cache_usage_perc";
        Map<String, String> model = Map.of("model", MODEL);
        double abortedBefore = Prometheus.sum(http.get("/metrics").body(), "tessera_requests_total",
                Map.of("model", MODEL, "status", "aborted"));
        String body = "{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + PROMPT
                + "\"}],\"max_tokens\":480,\"ignore_eos\":true,\"stream\":true}";
        try (Socket socket = new Socket("127.0.0.1", server.port)) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:" + server.port + "\r\n"
                    + "Authorization: Bearer " + server.apiKey + "\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(bytes);
            out.flush();
            String head = readUntil(socket.getInputStream(), "\"content\":\"");
            assertTrue(head.startsWith("HTTP/1.1 200"), head);
            awaitMetrics("the request to hold KV blocks", Duration.ofSeconds(10),
                    text -> Prometheus.sum(text, kv, model) > 0);
        }
        // Run to its end, the request would take seconds more; aborted, its blocks are free at once.
        awaitMetrics("the request to be aborted and the KV cache to be free again", Duration.ofSeconds(5),
                text -> Prometheus.sum(text, kv, model) == 0
                        && Prometheus.sum(text, "tessera_num_requests_running", model) == 0
                        && Prometheus.sum(text, "tessera_requests_total", Map.of("model", MODEL, "status", "aborted"))
                        == abortedBefore + 1);
        assertEquals(generated, content(client.chat().completions().create(chat(PROMPT, 16).build())));
    }

    /** Reads from a stream until {@code marker} has come (twice: the role chunk's content, then a token's). */
    private static String readUntil(InputStream in, String marker) throws IOException {
        StringBuilder seen = new StringBuilder();
        byte[] buffer = new byte[4096];
        while (seen.indexOf(marker) < 0 || seen.indexOf(marker, seen.indexOf(marker) + 1) < 0) {
            int n = in.read(buffer);
            if (n < 0) {
                throw new AssertionError("the stream ended early: " + seen);
            }
            seen.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
        }
        return seen.toString();
    }

    /** Polls {@code /metrics} until {@code done} holds, for up to {@code limit}; returns that exposition. */
    private static String awaitMetrics(String what, Duration limit, Predicate<String> done) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        String text = http.get("/metrics").body();
        while (!done.test(text)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what + "; /metrics:\n" + text);
            }
            Thread.sleep(100);
            text = http.get("/metrics").body();
        }
        return text;
    }

    static Stream<Arguments> badRequests() {
        return BadRequests.cases(MAX_MODEL_LEN);
    }

    /** Every malformed request gets its status and an OpenAI error body that says what is wrong, in words. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("badRequests")
    void badRequestsGetOpenAiErrors(BadRequests.Case c) throws Exception {
        String auth = switch (c.auth()) {
            case BadRequests.KEY -> "Bearer " + server.apiKey;
            case BadRequests.WRONG_KEY -> "Bearer not-the-key";
            default -> null;
        };
        RawHttp.Reply r = c.body() != null ? http.post(c.path(), c.body(), auth)
                : http.send(c.method(), c.path(), auth);
        assertEquals(c.status(), r.status(), r.body());
        JsonNode error = r.json().get("error");
        assertTrue(error != null && error.isObject(), r.body());
        for (String field : List.of("message", "type", "param", "code")) {
            assertTrue(error.has(field), field + " missing: " + r.body());
        }
        String message = error.get("message").asText();
        assertFalse(message.isBlank(), r.body());
        assertFalse(error.get("type").asText().isBlank(), r.body());
        assertEquals(c.status(), error.get("code").asInt(), r.body());
        for (String internal : List.of("\tat ", "Exception", "frame #", "c10::", ".java:", "\n")) {
            assertFalse(message.contains(internal), "internals in the message: " + message);
        }
        for (String word : c.words()) {
            assertTrue(message.contains(word), "'" + word + "' not in: " + message);
        }
        // The server keeps serving.
        RawHttp.Reply good = http.post(BadRequests.COMPLETIONS, "{\"prompt\":\"hi\",\"max_tokens\":1}");
        assertEquals(200, good.status(), good.body());
    }

    @Test
    void theOfficialClientSeesAWrongKeyAs401() {
        OpenAIClient wrong = OpenAIOkHttpClient.builder().baseUrl(server.uri("/v1").toString())
                .apiKey("not-the-key").maxRetries(0).build();
        try {
            UnauthorizedException e = assertThrows(UnauthorizedException.class, () -> wrong.models().list());
            assertEquals(401, e.statusCode());
            assertTrue(e.getMessage().contains("API key"), e.getMessage());
        } finally {
            wrong.close();
        }
    }

    /** A chat template that does not parse is a flag error before the model loads, not a 400 on every chat. */
    @Test
    void aBrokenChatTemplateStopsServeBeforeLoading() throws Exception {
        Path broken = Files.createTempFile("broken", ".jinja");
        try {
            Files.writeString(broken, "{% for m in messages %}{{ m.content }");
            TesseraProcess.Result r = TesseraProcess.run(deploy, Duration.ofSeconds(60), "serve", "--chat-template",
                    broken.toString());
            assertEquals(1, r.code(), r.err());
            String line = r.err().lines().filter(l -> l.startsWith("tessera serve: --chat-template: ")).findFirst()
                    .orElseThrow(() -> new AssertionError("no one-line template error in:\n" + r.err()));
            assertTrue(line.contains("never closed"), line);
            assertFalse(r.err().contains("Loading weights"), "the model must not load:\n" + r.err());
        } finally {
            Files.deleteIfExists(broken);
        }
    }

    /** Flags are checked before the model loads: a quick, one-line error and no stack trace. */
    @ParameterizedTest
    @ValueSource(strings = {"--port|0|1|--port must be between 1 and 65535, got 0",
        "--limit-mm-per-prompt|{\"image\":\"x\"}|1|--limit-mm-per-prompt: image must be a non-negative integer",
        "--no-such-flag||2|Unknown option: '--no-such-flag'",
        "--reasoning-parser|nope|1|No reasoning-parser named 'nope' is registered"})
    void badServeFlagsFailBeforeLoading(String spec) throws Exception {
        String[] parts = spec.split("\\|", -1);
        List<String> args = new ArrayList<>(List.of("serve", parts[0]));
        if (!parts[1].isEmpty()) {
            args.add(parts[1]);
        }
        TesseraProcess.Result r = TesseraProcess.run(deploy, Duration.ofSeconds(60), args.toArray(String[]::new));
        assertEquals(Integer.parseInt(parts[2]), r.code(), r.err());
        String line = r.err().lines().filter(l -> l.contains(parts[3])).findFirst()
                .orElseThrow(() -> new AssertionError("'" + parts[3] + "' not in:\n" + r.err()));
        assertTrue(line.startsWith("tessera serve: "), line);
        if (r.code() == 2) {
            assertTrue(line.endsWith("(see 'tessera serve --help')"), line);
            assertFalse(r.err().contains("Usage:"), "bad usage is one line, not the whole usage:\n" + r.err());
        }
        assertFalse(r.err().contains("\tat ") || r.out().contains("\tat "), "stack trace:\n" + r.err());
        assertFalse(line.contains("Exception"), line);
        assertFalse(r.err().contains("Loading weights"), "the model must not load:\n" + r.err());
        assertTrue(server.isAlive());
    }
}
