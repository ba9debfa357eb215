package ai.tessera.core.server;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;

import ai.tessera.core.engine.Engine;
import ai.tessera.core.engine.GenerationOutput;
import ai.tessera.core.engine.GenerationRequest;

/**
 * The outputs of the {@code n} engine requests of one API request (one per choice), merged into one blocking
 * stream for the servlet thread. {@link #abortAll()} frees every request's KV blocks, e.g. when the client left.
 */
final class Outputs {
    /** One delta of one choice. */
    record Item(int index, GenerationOutput output) {
    }

    private record Failure(Throwable error) {
    }

    private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final Engine engine;
    private final List<String> requestIds = new ArrayList<>();
    private int open;

    Outputs(Engine engine) {
        this.engine = engine;
    }

    /** Submits one choice's request. */
    void submit(int index, GenerationRequest request) {
        requestIds.add(request.requestId());
        open++;
        engine.generate(request).subscribe(new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription subscription) {
                subscription.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(GenerationOutput item) {
                queue.add(new Item(index, item));
            }

            @Override
            public void onError(Throwable throwable) {
                queue.add(new Failure(throwable));
            }

            @Override
            public void onComplete() {
                // The finished delta already said so.
            }
        });
    }

    /** The next delta of any choice, or null once every choice has finished. */
    Item next() throws InterruptedException {
        if (open == 0) {
            return null;
        }
        Object item = queue.take();
        if (item instanceof Failure) {
            abortAll();
            Throwable t = ((Failure) item).error();
            if (t instanceof IllegalArgumentException) {
                throw OpenAiException.badRequest(null, t.getMessage());
            }
            throw OpenAiException.internal("generation failed: " + t.getMessage());
        }
        Item delta = (Item) item;
        if (delta.output().finished()) {
            open--;
        }
        return delta;
    }

    void abortAll() {
        requestIds.forEach(engine::abort);
        open = 0;
    }
}
