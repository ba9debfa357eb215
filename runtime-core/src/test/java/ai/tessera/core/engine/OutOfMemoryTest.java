package ai.tessera.core.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import ai.tessera.api.AttentionLayerSpec;
import ai.tessera.api.AttentionMetadata;
import ai.tessera.api.ForwardBatch;
import ai.tessera.api.LoadedModel;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A step that runs out of device memory fails one request, not every request in flight, and the engine goes on. */
@Timeout(120)
class OutOfMemoryTest {
    private static TinyModel model;

    @BeforeAll
    static void load() {
        model = new TinyModel(4321);
    }

    @AfterAll
    static void unload() {
        model.close();
    }

    /**
     * Throws what libtorch throws on CUDA (its message, then a native stack trace) when a sequence computes more
     * than {@code limit} tokens in one step; counts the steps it refused and how many sequences they held.
     */
    private static final class MemoryBoundModel implements LoadedModel {
        private final LoadedModel inner;
        private final int limit;
        private final List<Integer> refusedSteps = new ArrayList<>();

        MemoryBoundModel(LoadedModel inner, int limit) {
            this.inner = inner;
            this.limit = limit;
        }

        @Override
        public List<AttentionLayerSpec> attentionLayers() {
            return inner.attentionLayers();
        }

        @Override
        public Tensor forward(ForwardBatch batch) {
            for (AttentionMetadata.Sequence s : batch.attention().sequences()) {
                if (s.queryLength() > limit) {
                    synchronized (refusedSteps) {
                        refusedSteps.add(batch.attention().sequences().size());
                    }
                    throw new RuntimeException("CUDA out of memory. Tried to allocate 20.00 GiB. GPU 0 has a total"
                            + " capacity of 79.19 GiB of which 1.25 GiB is free.\nException raised from malloc at"
                            + " /pytorch/c10/cuda/CUDACachingAllocator.cpp:1415 (most recent call first):\nframe #0:"
                            + " c10::Error::Error(...) + 0x96");
                }
            }
            try {
                Thread.sleep(5); // the short requests are still decoding when the long one comes
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted in a forward pass", e);
            }
            return inner.forward(batch);
        }

        @Override
        public void close() {
            // the wrapped model belongs to the test
        }
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
        return new GenerationRequest(id, prompt,
                SamplingParams.builder().temperature(0).maxTokens(maxTokens).ignoreEos(true).build());
    }

    @Test
    void theLargestRequestOfTheStepFailsAloneAndTheOthersKeepTheirTokens() throws Exception {
        MemoryBoundModel bounded = new MemoryBoundModel(model, 100);
        EngineConfig config = EngineConfig.builder().maxModelLen(512).maxNumBatchedTokens(512)
                .kvCacheMemoryBytes(8 << 20).build();
        try (Engine engine = Engine.start(bounded, config)) {
            List<GenerationRequest> shorts = List.of(greedy("short-1", prompt(1, 20), 40),
                    greedy("short-2", prompt(2, 30), 40));
            List<ResultCollector> collectors = new ArrayList<>();
            for (GenerationRequest r : shorts) {
                ResultCollector c = new ResultCollector(r);
                engine.generate(r).subscribe(c);
                collectors.add(c);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (engine.stats().generatedTokens() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            GenerationRequest huge = greedy("huge", prompt(3, 300), 4);
            ResultCollector hugeResult = new ResultCollector(huge);
            engine.generate(huge).subscribe(hugeResult);

            IllegalStateException failed = assertThrows(IllegalStateException.class, hugeResult::result);
            String message = failed.getMessage();
            assertTrue(message.contains("request huge failed: the device ran out of memory computing 300 of its"
                    + " tokens") && message.contains("(CUDA out of memory. Tried to allocate 20.00 GiB."), message);
            assertFalse(message.contains("Exception raised from") || message.contains("frame #0"), message);
            for (int i = 0; i < shorts.size(); i++) {
                assertArrayEquals(model.greedyReference(shorts.get(i).promptTokenIds(), 40),
                        collectors.get(i).result().tokenIds(), "tokens of " + shorts.get(i).requestId());
            }
            assertTrue(bounded.refusedSteps.contains(3), "the step that failed also decoded both short requests: "
                    + bounded.refusedSteps);
            assertEquals(1, bounded.refusedSteps.size(), "the request was failed at its first step");

            // the engine goes on: a request after the failure runs as usual and nothing is left behind
            int[] after = prompt(4, 50);
            assertArrayEquals(model.greedyReference(after, 8), engine.complete(greedy("after", after, 8)).tokenIds());
            EngineStats s = engine.stats();
            assertEquals(s.numBlocks(), s.freeBlocks(), "every block is free: " + s);
            assertEquals(0, s.running() + s.waiting(), "no request is left: " + s);
        }
    }

    @Test
    void onlyOutOfMemoryErrorsAreTreatedSo() {
        assertTrue(DeviceMemory.isOutOfMemory(new IllegalStateException("wrapped",
                new RuntimeException("HIP out of memory. Tried to allocate 2.00 MiB"))));
        assertFalse(DeviceMemory.isOutOfMemory(new RuntimeException("shape '[2, 3]' is invalid for input of size 7")));
        assertEquals("CUDA out of memory.", DeviceMemory.firstLine(new RuntimeException("CUDA out of memory.\nframe #0")));
    }
}
