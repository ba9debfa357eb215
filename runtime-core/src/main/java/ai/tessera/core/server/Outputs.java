package ai.tessera.core.server;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.logging.Level;
import java.util.logging.Logger;

import ai.tessera.core.engine.Engine;
import ai.tessera.core.engine.FinishReason;
import ai.tessera.core.engine.GenerationOutput;
import ai.tessera.core.engine.GenerationRequest;

/**
 * The outputs of the {@code n} engine requests of one API request (one per choice), merged into one blocking
 * stream for the servlet thread. {@link #abortAll()} frees every request's KV blocks, e.g. when the client left.
 */
final class Outputs {
    private static final Logger LOG = Logger.getLogger(Outputs.class.getName());

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

    /**
     * Submits the requests of all choices, choice {@code i} being {@code requests.get(i)}. When the engine refuses
     * one, those already submitted are aborted, so that a refused API request holds no KV blocks.
     */
    void submitAll(List<GenerationRequest> requests) {
        try {
            for (int i = 0; i < requests.size(); i++) {
                submit(i, requests.get(i));
            }
        } catch (RuntimeException refused) {
            abortAll();
            throw refused;
        }
    }

    private void submit(int index, GenerationRequest request) {
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
                throw OpenAiException.badRequest(null, OpenAiException.firstLine(t.getMessage()));
            }
            // An engine step failure may carry a native (libtorch) trace: the engine logged the step, the client
            // gets one line.
            LOG.log(Level.FINE, "generation failed", t);
            throw OpenAiException.internal("generation failed: " + t.getMessage());
        }
        Item delta = (Item) item;
        if (delta.output().finished() && delta.output().finishReason() == FinishReason.ABORT) {
            // Not the client (it is gone when abortAll runs): the engine was closed under the request, i.e. the
            // model was swapped or removed and the request outlived the drain timeout.
            abortAll();
            throw OpenAiException.unavailable("The request was aborted because its model was unloaded while it ran "
                    + "(reloaded or removed; it ran longer than the drain timeout). Retry it.");
        }
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
