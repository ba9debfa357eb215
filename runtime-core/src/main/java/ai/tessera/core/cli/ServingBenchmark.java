package ai.tessera.core.cli;

import java.util.List;
import java.util.concurrent.Flow;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import ai.tessera.core.engine.Engine;
import ai.tessera.core.engine.GenerationOutput;
import ai.tessera.core.engine.GenerationRequest;

/**
 * Output throughput of an engine under load, as a server sees it (vLLM's {@code benchmark_serving} with
 * {@code --max-concurrency}): the requests are submitted in order, never more than {@code maxConcurrency} in
 * flight; a finished request lets the next one in while the others keep decoding (continuous batching). Output
 * tokens/s counts every generated token over the wall time from the first submission to the last completion,
 * prefill included.
 */
final class ServingBenchmark {
    private ServingBenchmark() {
    }

    /**
     * One run.
     *
     * @param meanTtftSeconds mean time from a request's submission to its first token
     */
    record Result(int maxConcurrency, int requests, double seconds, long outputTokens, double meanTtftSeconds) {
        public double outputTokensPerSecond() {
            return outputTokens / seconds;
        }
    }

    /** Runs {@code requests} on the engine with at most {@code maxConcurrency} in flight and waits for all of them. */
    static Result run(Engine engine, List<GenerationRequest> requests, int maxConcurrency)
            throws InterruptedException {
        return run(engine::generate, requests, maxConcurrency);
    }

    /** As {@link #run(Engine, List, int)}, submitting each request through {@code submit}. */
    static Result run(Function<GenerationRequest, Flow.Publisher<GenerationOutput>> submit,
                      List<GenerationRequest> requests, int maxConcurrency) throws InterruptedException {
        if (maxConcurrency < 1 || requests.isEmpty()) {
            throw new IllegalArgumentException("max concurrency and the number of requests must be positive, got "
                    + maxConcurrency + " and " + requests.size());
        }
        Semaphore slots = new Semaphore(maxConcurrency);
        AtomicLong outputTokens = new AtomicLong();
        AtomicLong ttftNanos = new AtomicLong();
        AtomicReference<Throwable> error = new AtomicReference<>();
        long start = System.nanoTime();
        for (GenerationRequest request : requests) {
            slots.acquire();
            if (error.get() != null) {
                slots.release();
                break;   // stop submitting; the requests in flight still finish below
            }
            long submitted = System.nanoTime();
            submit.apply(request).subscribe(new Flow.Subscriber<>() {
                private int tokens;

                @Override
                public void onSubscribe(Flow.Subscription s) {
                    s.request(Long.MAX_VALUE);
                }

                @Override
                public void onNext(GenerationOutput item) {
                    if (tokens == 0 && item.outputTokens() > 0) {
                        ttftNanos.addAndGet(System.nanoTime() - submitted);
                    }
                    tokens = item.outputTokens();
                }

                @Override
                public void onError(Throwable t) {
                    error.compareAndSet(null, t);
                    done();
                }

                @Override
                public void onComplete() {
                    outputTokens.addAndGet(tokens);
                    done();
                }

                private void done() {
                    slots.release();
                }
            });
        }
        // every permit back: all submitted requests completed or failed
        if (!slots.tryAcquire(maxConcurrency, 1, TimeUnit.HOURS)) {
            throw new IllegalStateException(requests.size() + " requests at concurrency " + maxConcurrency
                    + " did not finish within an hour");
        }
        long end = System.nanoTime();
        if (error.get() != null) {
            throw new IllegalStateException("a benchmark request failed: " + error.get().getMessage(), error.get());
        }
        return new Result(maxConcurrency, requests.size(), (end - start) / 1e9, outputTokens.get(),
                ttftNanos.get() / 1e9 / requests.size());
    }
}
