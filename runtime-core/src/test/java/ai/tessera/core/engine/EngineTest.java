package ai.tessera.core.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The engine end to end on {@link TinyModel}: batching, prefix caching, preemption, abort and limits. */
@Timeout(120)
class EngineTest {
    private static TinyModel model;

    @BeforeAll
    static void load() {
        model = new TinyModel(1234);
    }

    @AfterAll
    static void unload() {
        model.close();
    }

    private static int[] prompt(long seed, int length) {
        Random random = new Random(seed);
        int[] ids = new int[length];
        for (int i = 0; i < length; i++) {
            ids[i] = random.nextInt(TinyModel.VOCAB);
        }
        return ids;
    }

    private static GenerationRequest greedy(String id, int[] prompt, int maxTokens) {
        return new GenerationRequest(id, prompt, SamplingParams.builder().temperature(0).maxTokens(maxTokens).build());
    }

    /**
     * Subscribes to all requests from this thread at once, so that they run concurrently (joining within a step or
     * two), and waits for all.
     */
    private static List<GenerationResult> runTogether(Engine engine, List<GenerationRequest> requests) {
        List<ResultCollector> collectors = new ArrayList<>();
        for (GenerationRequest r : requests) {
            ResultCollector c = new ResultCollector(r);
            engine.generate(r).subscribe(c);
            collectors.add(c);
        }
        List<GenerationResult> results = new ArrayList<>();
        for (ResultCollector c : collectors) {
            try {
                results.add(c.result());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
        return results;
    }

    private static void assertAllBlocksFree(Engine engine) {
        EngineStats s = engine.stats();
        assertEquals(s.numBlocks(), s.freeBlocks(), "every block is free once all requests finished: " + s);
        assertEquals(0, s.running() + s.waiting(), "no request is left: " + s);
    }

    @Test
    void batchOfDifferentLengthsGivesTheSameGreedyTokensAsEachPromptAlone() {
        int[] lengths = {1, 5, 16, 17, 40, 100};
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < lengths.length; i++) {
            requests.add(greedy("r" + i, prompt(i, lengths[i]), 12));
        }
        // a budget below the longest prompt forces chunked prefill next to decodes
        EngineConfig config = EngineConfig.builder().maxModelLen(256).maxNumBatchedTokens(48).maxNumSeqs(8)
                .kvCacheMemoryBytes(16 << 20).build();
        try (Engine engine = Engine.start(model, config)) {
            List<GenerationResult> together = runTogether(engine, requests);
            for (int i = 0; i < requests.size(); i++) {
                GenerationRequest r = requests.get(i);
                int[] alone = engine.complete(greedy(r.requestId() + "-alone", r.promptTokenIds(), 12)).tokenIds();
                int[] reference = model.greedyReference(r.promptTokenIds(), 12);
                assertArrayEquals(reference, alone, "prompt of " + lengths[i] + " tokens alone vs reference");
                assertArrayEquals(reference, together.get(i).tokenIds(), "prompt of " + lengths[i] + " tokens batched");
                assertEquals(FinishReason.LENGTH, together.get(i).finishReason());
            }
            assertAllBlocksFree(engine);
        }
    }

    @Test
    void cudaGraphSizesAndDecodeTablesLeaveCpuResultsAsTheyAre() {
        int[] ids = prompt(7, 20);
        int[] reference = model.greedyReference(ids, 12);
        for (boolean tables : new boolean[] {true, false}) {
            // graphs are for CUDA only: on the CPU the engine captures nothing and decodes eagerly
            EngineConfig config = EngineConfig.builder().maxModelLen(64).kvCacheMemoryBytes(8 << 20)
                    .cudaGraphSizes(EngineConfig.DEFAULT_CUDA_GRAPH_SIZES).decodeTables(tables).build();
            try (Engine engine = Engine.start(model, config)) {
                assertEquals(List.of(), engine.cudaGraphSizes());
                assertArrayEquals(reference, engine.complete(greedy("g" + tables, ids, 12)).tokenIds());
                assertAllBlocksFree(engine);
            }
        }
    }

    @Test
    void promptsWithASharedPrefixReuseItsBlocksAndKeepTheirTokens() {
        int[] prefix = prompt(99, 48); // three full blocks
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            int[] suffix = prompt(200 + i, 5 + i);
            int[] ids = new int[prefix.length + suffix.length];
            System.arraycopy(prefix, 0, ids, 0, prefix.length);
            System.arraycopy(suffix, 0, ids, prefix.length, suffix.length);
            requests.add(greedy("shared" + i, ids, 10));
        }
        EngineConfig config = EngineConfig.builder().maxModelLen(128).kvCacheMemoryBytes(8 << 20).build();
        try (Engine engine = Engine.start(model, config)) {
            GenerationResult first = engine.complete(requests.get(0));
            assertEquals(0, first.cachedPromptTokens());
            List<GenerationResult> rest = runTogether(engine, requests.subList(1, requests.size()));
            for (GenerationResult r : rest) {
                assertEquals(48, r.cachedPromptTokens(), "request " + r.requestId() + " reuses the 3 prefix blocks");
            }
            assertEquals(3 * 48, engine.stats().prefixHitTokens());
            for (int i = 0; i < requests.size(); i++) {
                GenerationResult r = i == 0 ? first : rest.get(i - 1);
                assertArrayEquals(model.greedyReference(requests.get(i).promptTokenIds(), 10), r.tokenIds(),
                        "tokens of " + r.requestId());
            }
            assertAllBlocksFree(engine);
            assertTrue(engine.stats().cachedBlocks() >= 3, "freed prefix blocks stay cached: " + engine.stats());
        }
    }

    @Test
    void requestsScheduledInOneStepShareAPrefixComputedInThatStep() {
        int[] prefix = prompt(7, 32);
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            int[] ids = java.util.Arrays.copyOf(prefix, 36);
            ids[32] = i;
            requests.add(greedy("same-step" + i, ids, 4));
        }
        EngineConfig config = EngineConfig.builder().maxModelLen(64).kvCacheMemoryBytes(8 << 20).build();
        try (Engine engine = Engine.start(model, config)) {
            List<GenerationResult> results = runTogether(engine, requests);
            for (int i = 0; i < requests.size(); i++) {
                assertArrayEquals(model.greedyReference(requests.get(i).promptTokenIds(), 4), results.get(i).tokenIds());
            }
            assertAllBlocksFree(engine);
        }
    }

    @Test
    void aCacheTooSmallForAllRequestsPreemptsAndStillGivesTheSameTokens() {
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            requests.add(greedy("p" + i, prompt(300 + i, 20 + 7 * i), 40));
        }
        // 12 blocks hold 192 tokens; the six requests grow to about 460 tokens together
        EngineConfig config = EngineConfig.builder().maxModelLen(128).numBlocksOverride(12).maxNumSeqs(6).build();
        try (Engine engine = Engine.start(model, config)) {
            List<GenerationResult> results = runTogether(engine, requests);
            assertTrue(engine.stats().preemptions() > 0, "the small cache forced preemption: " + engine.stats());
            for (int i = 0; i < requests.size(); i++) {
                assertArrayEquals(model.greedyReference(requests.get(i).promptTokenIds(), 40), results.get(i).tokenIds(),
                        "tokens of " + requests.get(i).requestId());
                assertEquals(FinishReason.LENGTH, results.get(i).finishReason());
            }
            assertAllBlocksFree(engine);
        }
    }

    @Test
    void abortEndsTheStreamAndFreesTheBlocksAtOnce() throws Exception {
        EngineConfig config = EngineConfig.builder().maxModelLen(1024).kvCacheMemoryBytes(8 << 20).build();
        // 10 ms a step: the 984 tokens this request could generate would take 10 s, the abort takes one step
        try (Engine engine = Engine.start(new SlowModel(model, 10), config)) {
            GenerationRequest request = new GenerationRequest("to-abort", prompt(5, 40),
                    SamplingParams.builder().temperature(0).ignoreEos(true).build());
            CountDownLatch done = new CountDownLatch(1);
            AtomicReference<GenerationOutput> last = new AtomicReference<>();
            AtomicReference<EngineStats> whileRunning = new AtomicReference<>();
            List<Integer> tokens = new ArrayList<>();
            engine.generate(request).subscribe(new Flow.Subscriber<>() {
                @Override
                public void onSubscribe(Flow.Subscription s) {
                    s.request(Long.MAX_VALUE);
                }

                @Override
                public void onNext(GenerationOutput item) {
                    for (int t : item.tokenIds()) {
                        tokens.add(t);
                    }
                    last.set(item);
                    // the ABORT output carries no token: without this check it would take the snapshot again
                    if (item.tokenIds().length > 0 && tokens.size() == 3) {
                        whileRunning.set(engine.stats());
                        engine.abort(item.requestId());
                    }
                }

                @Override
                public void onError(Throwable t) {
                    done.countDown();
                }

                @Override
                public void onComplete() {
                    done.countDown();
                }
            });
            assertTrue(done.await(60, TimeUnit.SECONDS), "the aborted stream completes");
            assertTrue(whileRunning.get().freeBlocks() < whileRunning.get().numBlocks(),
                    "the request held blocks: " + whileRunning.get());
            assertEquals(FinishReason.ABORT, last.get().finishReason());
            assertTrue(tokens.size() < 100, "stopped early, after " + tokens.size() + " tokens");
            assertAllBlocksFree(engine);
        }
    }

    @Test
    void cancellingTheSubscriptionAbortsTheRequest() throws Exception {
        EngineConfig config = EngineConfig.builder().maxModelLen(1024).kvCacheMemoryBytes(8 << 20).build();
        try (Engine engine = Engine.start(new SlowModel(model, 10), config)) {
            CountDownLatch cancelled = new CountDownLatch(1);
            engine.generate(new GenerationRequest("cancel-me", prompt(6, 10),
                    SamplingParams.builder().temperature(0).ignoreEos(true).build())).subscribe(new Flow.Subscriber<>() {
                        private Flow.Subscription subscription;

                        @Override
                        public void onSubscribe(Flow.Subscription s) {
                            subscription = s;
                            s.request(2);
                        }

                        @Override
                        public void onNext(GenerationOutput item) {
                            if (item.outputTokens() == 2) {
                                subscription.cancel();
                                cancelled.countDown();
                            }
                        }

                        @Override
                        public void onError(Throwable t) {
                        }

                        @Override
                        public void onComplete() {
                        }
                    });
            assertTrue(cancelled.await(60, TimeUnit.SECONDS));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (engine.stats().running() + engine.stats().waiting() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertAllBlocksFree(engine);
        }
    }

    @Test
    void aPromptLongerThanTheModelLengthIsRejectedWithBothNumbers() {
        EngineConfig config = EngineConfig.builder().maxModelLen(64).kvCacheMemoryBytes(8 << 20).build();
        try (Engine engine = Engine.start(model, config)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> engine.generate(greedy("long", prompt(1, 65), 4)));
            assertTrue(e.getMessage().contains("65 tokens") && e.getMessage().contains("--max-model-len is 64"),
                    e.getMessage());
            // the longest allowed prompt still runs, and stops at the model length
            GenerationResult r = engine.complete(greedy("exact", prompt(1, 64), 4));
            assertEquals(1, r.tokenIds().length);
            assertEquals(FinishReason.LENGTH, r.finishReason());
            assertAllBlocksFree(engine);
        }
    }

    @Test
    void aCacheThatCannotHoldOneRequestOfTheModelLengthIsRefused() {
        EngineConfig config = EngineConfig.builder().maxModelLen(1024).numBlocksOverride(10).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Engine.start(model, config));
        assertTrue(e.getMessage().contains("--max-model-len 1024 needs 64") && e.getMessage().contains("gives 10"),
                e.getMessage());
    }

    @Test
    void aSeededRequestDrawsTheSameTokensAloneAndInABatch() {
        SamplingParams seeded = SamplingParams.builder().temperature(1.0).topP(0.9).seed(42L).maxTokens(16).build();
        EngineConfig config = EngineConfig.builder().maxModelLen(128).kvCacheMemoryBytes(8 << 20).seed(1).build();
        try (Engine engine = Engine.start(model, config)) {
            int[] ids = prompt(11, 9);
            int[] alone = engine.complete(new GenerationRequest("s1", ids, seeded)).tokenIds();
            List<GenerationRequest> batch = new ArrayList<>();
            batch.add(new GenerationRequest("s2", ids, seeded));
            for (int i = 0; i < 3; i++) {
                batch.add(new GenerationRequest("noise" + i, prompt(50 + i, 13),
                        SamplingParams.builder().temperature(1.0).maxTokens(16).build()));
            }
            int[] batched = runTogether(engine, batch).get(0).tokenIds();
            assertArrayEquals(alone, batched);
            int[] otherSeed = engine.complete(new GenerationRequest("s3", ids,
                    seeded.toBuilder().seed(43L).build())).tokenIds();
            assertNotEquals(java.util.Arrays.toString(alone), java.util.Arrays.toString(otherSeed));
        }
    }

    @Test
    void stopStringsEndTheOutputBeforeThemEvenWhenSplitAcrossTokens() {
        TextDecoder letters = TextDecoder.fromFullDecode(ids -> {
            StringBuilder s = new StringBuilder();
            for (int id : ids) {
                s.append((char) ('a' + id % 26)).append((char) ('A' + id / 26));
            }
            return s.toString();
        });
        EngineConfig config = EngineConfig.builder().maxModelLen(128).kvCacheMemoryBytes(8 << 20)
                .textDecoder(letters).build();
        try (Engine engine = Engine.start(model, config)) {
            int[] ids = prompt(21, 7);
            GenerationResult free = engine.complete(greedy("free", ids, 12));
            String text = free.text();
            assertEquals(24, text.length());
            // a stop string made of the end of token 3's text and the start of token 4's
            String stop = text.substring(7, 9);
            int firstAt = text.indexOf(stop);
            GenerationResult stopped = engine.complete(new GenerationRequest("stopped", ids,
                    SamplingParams.builder().temperature(0).maxTokens(12).stop(List.of(stop)).build()));
            assertEquals(text.substring(0, firstAt), stopped.text());
            assertEquals(FinishReason.STOP, stopped.finishReason());
            assertEquals(stop, stopped.stopReason());
            assertAllBlocksFree(engine);
        }
    }

    @Test
    void eosStopsUnlessIgnoredAndStreamedDeltasAddUpToTheResult() {
        int[] ids = prompt(31, 12);
        int[] reference = model.greedyReference(ids, 10);
        EngineConfig config = EngineConfig.builder().maxModelLen(128).kvCacheMemoryBytes(8 << 20)
                .eosTokenIds(java.util.Set.of(reference[3])).build();
        try (Engine engine = Engine.start(model, config)) {
            GenerationResult stopped = engine.complete(greedy("eos", ids, 10));
            assertArrayEquals(java.util.Arrays.copyOf(reference, indexOf(reference, reference[3]) + 1),
                    stopped.tokenIds());
            assertEquals(FinishReason.STOP, stopped.finishReason());
            GenerationResult ignored = engine.complete(new GenerationRequest("ignore", ids,
                    SamplingParams.builder().temperature(0).maxTokens(10).ignoreEos(true).logprobs(2).build()));
            assertArrayEquals(reference, ignored.tokenIds());
            assertEquals(10, ignored.logprobs().size());
            for (TokenLogprob lp : ignored.logprobs()) {
                assertEquals(1, lp.rank(), "greedy picks the most likely token");
                assertEquals(2, lp.top().size());
                assertEquals(lp.tokenId(), lp.top().get(0).tokenId());
            }
        }
    }

    @Test
    void closingAbortsWhatRunsAndRefusesNewRequests() throws Exception {
        EngineConfig config = EngineConfig.builder().maxModelLen(1024).kvCacheMemoryBytes(8 << 20).build();
        Engine engine = Engine.start(new SlowModel(model, 10), config);
        CompletableFuture<GenerationResult> running = CompletableFuture.supplyAsync(() -> engine.complete(
                new GenerationRequest("long", prompt(8, 10), SamplingParams.builder().temperature(0).ignoreEos(true)
                        .build())));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (engine.stats().generatedTokens() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        engine.close();
        assertEquals(FinishReason.ABORT, running.get(30, TimeUnit.SECONDS).finishReason());
        assertThrows(IllegalStateException.class, () -> engine.generate(greedy("late", prompt(9, 3), 2)));
        assertAllBlocksFree(engine);
    }

    @Test
    void aDuplicateRequestIdIsRefusedWhileTheFirstIsLive() {
        EngineConfig config = EngineConfig.builder().maxModelLen(64).kvCacheMemoryBytes(8 << 20).build();
        try (Engine engine = Engine.start(model, config)) {
            engine.generate(greedy("same", prompt(1, 3), 2));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> engine.generate(greedy("same", prompt(2, 3), 2)));
            assertTrue(e.getMessage().contains("same"), e.getMessage());
            engine.abort("same");
        }
    }

    private static int indexOf(int[] values, int value) {
        for (int i = 0; i < values.length; i++) {
            if (values[i] == value) {
                return i;
            }
        }
        return -1;
    }
}
