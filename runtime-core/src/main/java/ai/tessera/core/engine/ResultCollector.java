package ai.tessera.core.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;

/** Subscribes to a request's stream and assembles the whole result, for {@link Engine#complete}. */
final class ResultCollector implements Flow.Subscriber<GenerationOutput> {
    private final GenerationRequest request;
    private final CountDownLatch done = new CountDownLatch(1);
    private final StringBuilder text = new StringBuilder();
    private final List<Integer> tokens = new ArrayList<>();
    private final List<TokenLogprob> logprobs = new ArrayList<>();
    private volatile GenerationOutput last;
    private volatile Throwable error;

    ResultCollector(GenerationRequest request) {
        this.request = request;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
        subscription.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(GenerationOutput item) {
        for (int t : item.tokenIds()) {
            tokens.add(t);
        }
        text.append(item.text());
        logprobs.addAll(item.logprobs());
        last = item;
    }

    @Override
    public void onError(Throwable throwable) {
        error = throwable;
        done.countDown();
    }

    @Override
    public void onComplete() {
        done.countDown();
    }

    GenerationResult result() throws InterruptedException {
        done.await();
        if (error != null) {
            if (error instanceof RuntimeException re && !(error instanceof IllegalStateException)) {
                throw re;
            }
            throw new IllegalStateException("request " + request.requestId() + " failed: " + error.getMessage(), error);
        }
        GenerationOutput end = last;
        return new GenerationResult(request.requestId(), tokens.stream().mapToInt(Integer::intValue).toArray(),
                text.toString(), logprobs, end == null ? FinishReason.ABORT : end.finishReason(),
                end == null ? null : end.stopReason(), request.promptLength(),
                end == null ? 0 : end.cachedPromptTokens());
    }
}
