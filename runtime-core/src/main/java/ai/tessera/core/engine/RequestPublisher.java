package ai.tessera.core.engine;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The stream of one request's outputs. Cold and single-subscriber: the request is handed to the engine when it is
 * subscribed to, so no output is lost before then. The engine thread only queues outputs; delivery runs on the
 * executor, honouring the subscriber's demand, so a slow subscriber never stalls the step loop. Cancelling the
 * subscription aborts the request.
 */
final class RequestPublisher implements Flow.Publisher<GenerationOutput> {
    private static final Logger LOG = Logger.getLogger(RequestPublisher.class.getName());
    private final Executor executor;
    private final Runnable onSubscribe;
    private final Runnable onCancel;
    private final Queue<GenerationOutput> items = new ConcurrentLinkedQueue<>();
    private final AtomicReference<Flow.Subscriber<? super GenerationOutput>> subscriber = new AtomicReference<>();
    private final AtomicLong demand = new AtomicLong();
    private final AtomicInteger pendingDrains = new AtomicInteger();
    private final AtomicBoolean cancelled = new AtomicBoolean();
    private volatile boolean done;
    private volatile Throwable error;
    private boolean terminated;

    RequestPublisher(Executor executor, Runnable onSubscribe, Runnable onCancel) {
        this.executor = executor;
        this.onSubscribe = onSubscribe;
        this.onCancel = onCancel;
    }

    @Override
    public void subscribe(Flow.Subscriber<? super GenerationOutput> s) {
        if (s == null) {
            throw new NullPointerException("subscriber");
        }
        if (!subscriber.compareAndSet(null, s)) {
            s.onSubscribe(new Flow.Subscription() {
                @Override
                public void request(long n) {
                    // nothing will ever be delivered to a second subscriber
                }

                @Override
                public void cancel() {
                    // nothing to cancel: this subscriber was refused
                }
            });
            s.onError(new IllegalStateException("a request's output stream takes one subscriber; it already has one"));
            return;
        }
        s.onSubscribe(new Flow.Subscription() {
            @Override
            public void request(long n) {
                if (n <= 0) {
                    fail(new IllegalArgumentException("Flow.Subscription.request needs n > 0, got " + n));
                    return;
                }
                demand.getAndUpdate(d -> d + n < 0 ? Long.MAX_VALUE : d + n);
                drain();
            }

            @Override
            public void cancel() {
                if (cancelled.compareAndSet(false, true)) {
                    items.clear();
                    onCancel.run();
                }
            }
        });
        onSubscribe.run();
    }

    /** Queues an output (engine thread). */
    void emit(GenerationOutput output) {
        items.add(output);
        drain();
    }

    /** Ends the stream after the queued outputs. */
    void complete() {
        done = true;
        drain();
    }

    /** Ends the stream with an error after the queued outputs. */
    void fail(Throwable t) {
        error = t;
        done = true;
        drain();
    }

    private void drain() {
        if (subscriber.get() != null && pendingDrains.getAndIncrement() == 0) {
            try {
                executor.execute(this::deliver);
            } catch (RejectedExecutionException closed) {
                // the engine closed its delivery threads; the last outputs are delivered on this thread
                deliver();
            }
        }
    }

    /** Runs on the executor, one at a time (guarded by {@code pendingDrains}). */
    private void deliver() {
        Flow.Subscriber<? super GenerationOutput> s = subscriber.get();
        int missed = 1;
        while (true) {
            while (!terminated && !cancelled.get()) {
                if (items.isEmpty()) {
                    if (done) {
                        terminated = true;
                        Throwable t = error;
                        if (t != null) {
                            s.onError(t);
                        } else {
                            s.onComplete();
                        }
                    }
                    break;
                }
                if (demand.get() == 0) {
                    break;
                }
                GenerationOutput next = items.poll();
                demand.decrementAndGet();
                try {
                    s.onNext(next);
                } catch (RuntimeException | AssertionError | LinkageError e) {
                    // A subscriber must not throw (Flow's rules); treat it as gone so the request frees its blocks
                    // and this stream's delivery does not stop half-way.
                    LOG.log(Level.WARNING, "subscriber of request " + next.requestId() + " threw; aborting it", e);
                    if (cancelled.compareAndSet(false, true)) {
                        items.clear();
                        onCancel.run();
                    }
                }
            }
            missed = pendingDrains.addAndGet(-missed);
            if (missed == 0) {
                return;
            }
        }
    }
}
