package ai.tessera.core.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Prefill and decode throughput of an engine for one batch size: {@code batch} random prompts of {@code inputLen}
 * tokens submitted at once, greedy with {@code ignore_eos} for exactly {@code outputLen} tokens each. Prefill
 * tokens/s counts the prompt tokens up to the moment every request has its first token; decode tokens/s counts
 * the remaining tokens over the rest of the run. Random prompts keep the prefix cache from helping.
 */
public final class ThroughputBenchmark {
    private ThroughputBenchmark() {
    }

    /** One timed run. */
    public record Run(int batch, double prefillSeconds, double decodeSeconds, long promptTokens, long decodeTokens) {
        public double prefillTokensPerSecond() {
            return promptTokens / prefillSeconds;
        }

        public double decodeTokensPerSecond() {
            return decodeSeconds > 0 ? decodeTokens / decodeSeconds : Double.NaN;
        }
    }

    /**
     * Runs one batch and waits for it.
     *
     * @param vocab prompt token ids are drawn below this
     */
    public static Run run(Engine engine, int batch, int inputLen, int outputLen, int vocab, Random random)
            throws InterruptedException {
        if (batch < 1 || inputLen < 1 || outputLen < 1 || vocab < 1) {
            throw new IllegalArgumentException("batch, input length, output length and vocabulary must be positive,"
                    + " got " + batch + ", " + inputLen + ", " + outputLen + " and " + vocab);
        }
        SamplingParams params = sampling(outputLen);
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < batch; i++) {
            int[] ids = new int[inputLen];
            for (int t = 0; t < inputLen; t++) {
                ids[t] = random.nextInt(vocab);
            }
            requests.add(GenerationRequest.of(ids, params));
        }
        return run(engine, requests, outputLen);
    }

    /** Greedy, {@code ignore_eos}, exactly {@code outputLen} tokens: what every benchmark request samples with. */
    public static SamplingParams sampling(int outputLen) {
        return SamplingParams.builder().temperature(0).ignoreEos(true).maxTokens(outputLen).build();
    }

    /** Runs prepared requests (sampling with {@link #sampling}) at once and waits for them. */
    public static Run run(Engine engine, List<GenerationRequest> requests, int outputLen) throws InterruptedException {
        int batch = requests.size();
        long promptTokens = 0;
        for (GenerationRequest r : requests) {
            promptTokens += r.promptLength();
        }
        CountDownLatch finished = new CountDownLatch(batch);
        AtomicLong lastFirstToken = new AtomicLong();
        AtomicReference<Throwable> error = new AtomicReference<>();
        long start = System.nanoTime();
        for (GenerationRequest request : requests) {
            engine.generate(request).subscribe(new Flow.Subscriber<>() {
                @Override
                public void onSubscribe(Flow.Subscription s) {
                    s.request(Long.MAX_VALUE);
                }

                @Override
                public void onNext(GenerationOutput item) {
                    if (item.outputTokens() == 1) {
                        lastFirstToken.accumulateAndGet(System.nanoTime(), Math::max);
                    }
                }

                @Override
                public void onError(Throwable t) {
                    error.set(t);
                    finished.countDown();
                }

                @Override
                public void onComplete() {
                    finished.countDown();
                }
            });
        }
        if (!finished.await(1, TimeUnit.HOURS)) {
            throw new IllegalStateException("the batch of " + batch + " did not finish within an hour");
        }
        long end = System.nanoTime();
        if (error.get() != null) {
            throw new IllegalStateException("a benchmark request failed: " + error.get().getMessage(), error.get());
        }
        return new Run(batch, (lastFirstToken.get() - start) / 1e9, (end - lastFirstToken.get()) / 1e9,
                promptTokens, (long) batch * (outputLen - 1));
    }
}
