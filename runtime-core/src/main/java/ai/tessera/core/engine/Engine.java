package ai.tessera.core.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

import ai.tessera.api.LoadedModel;
import ai.tessera.core.kv.PagedKvCache;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * Generates text with a loaded model, for many concurrent requests, without HTTP.
 *
 * <p>One thread of its own runs the step loop: take new requests and aborts, let the {@link Scheduler} pick the
 * step's tokens (continuous batching, chunked prefill, preemption), run the model once over the packed batch,
 * sample, and queue each request's delta on its stream. Any thread may call {@link #generate}, {@link #complete}
 * and {@link #abort}. The engine owns its KV cache, not the model: close the model after the engine.
 *
 * <pre>{@code
 * try (Engine engine = Engine.start(model, EngineConfig.builder().maxModelLen(4096).build())) {
 *     GenerationResult r = engine.complete(GenerationRequest.of(promptIds, SamplingParams.greedy()));
 * }
 * }</pre>
 */
public final class Engine implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Engine.class.getName());
    private static final AtomicInteger ENGINES = new AtomicInteger();

    private final LoadedModel model;
    private final EngineConfig config;
    private final Queue<Runnable> inbox = new ConcurrentLinkedQueue<>();
    private final Map<String, RequestState> live = new ConcurrentHashMap<>();
    private final ExecutorService delivery;
    private final Thread loop;
    private final Object signal = new Object();
    private volatile boolean closed;
    private volatile EngineStats stats;
    /** Completed by the engine thread once the cache is allocated, or with the reason it could not be. */
    private CompletableFuture<Void> starting;

    // engine thread only
    private PagedKvCache cache;
    private BlockManager blocks;
    private Scheduler scheduler;
    private Sampler sampler;
    /** Decode steps as CUDA graphs, or null when eager. */
    private DecodeGraphs graphs;
    private long steps;
    private long generatedTokens;

    private Engine(LoadedModel model, EngineConfig config) {
        this.model = model;
        this.config = config;
        int n = ENGINES.incrementAndGet();
        AtomicInteger threads = new AtomicInteger();
        this.delivery = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "tessera-engine-" + n + "-output-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.loop = new Thread(this::run, "tessera-engine-" + n);
        this.loop.setDaemon(true);
    }

    /**
     * Sizes and allocates the KV cache (see {@link KvCacheSizing}) and starts the step loop.
     *
     * @throws IllegalArgumentException when the cache cannot hold one request of {@code --max-model-len} tokens
     */
    public static Engine start(LoadedModel model, EngineConfig config) {
        Engine engine = new Engine(model, config);
        CompletableFuture<Void> ready = new CompletableFuture<>();
        engine.startLoop(ready);
        try {
            ready.get();
        } catch (ExecutionException e) {
            engine.delivery.shutdown();
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException("the engine did not start: " + causeChain(cause), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            engine.close();
            throw new CancellationException("interrupted while the engine started");
        }
        return engine;
    }

    private void startLoop(CompletableFuture<Void> ready) {
        starting = ready;
        loop.start();
    }

    /** Allocated on the engine thread, outside any caller's PointerScope, so that no caller can free the cache. */
    private void init() {
        int numBlocks = KvCacheSizing.numBlocks(config, model);
        List<Integer> graphSizes = graphSizes();
        // graphs pad their batches with rows that write into one extra block which no sequence owns
        cache = PagedKvCache.allocate(model.attentionLayers(), graphSizes.isEmpty() ? numBlocks : numBlocks + 1,
                config.blockSize(), config.device());
        blocks = new BlockManager(numBlocks, config.blockSize(), config.prefixCaching());
        if (!graphSizes.isEmpty()) {
            int maxBlocks = (config.scheduler().maxModelLen() + config.blockSize() - 1) / config.blockSize();
            DecodeGraphs captured = new DecodeGraphs(model, config.blockSize(), numBlocks, maxBlocks, config.device());
            try {
                captured.capture(graphSizes, cache, config.device());
                graphs = captured;
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "CUDA graphs could not be captured for this model; decode steps run eagerly",
                        e);
            }
        }
        scheduler = new Scheduler(config.scheduler(), blocks, model.recomputeBeyond(), model::bidirectionalWithin);
        sampler = new Sampler(config.seed());
        publishStats();
    }

    /** The capture sizes that apply: on CUDA only, at most --max-num-seqs. */
    private List<Integer> graphSizes() {
        if (!config.device().is_cuda() || !config.decodeTables()) {
            // graphs replay the paged kernels, which read the decode tables
            return List.of();
        }
        return config.cudaGraphSizes().stream().filter(n -> n <= config.scheduler().maxNumSeqs()).distinct()
                .sorted().toList();
    }

    /** The batch sizes captured as CUDA graphs (empty when steps run eagerly). */
    public List<Integer> cudaGraphSizes() {
        return graphs == null ? List.of() : graphs.sizes();
    }

    /**
     * Starts a request when its stream is subscribed to. The stream delivers one {@link GenerationOutput} per step
     * that sampled a token for it (text held back while it may be part of a stop string), the last with a finish
     * reason; cancelling the subscription aborts the request. Until it is subscribed to, the request only holds
     * its id (no blocks); {@link #abort} releases that too.
     *
     * @throws IllegalArgumentException when the prompt is longer than {@code --max-model-len}, the request id is in
     *                                  use, or stop strings are asked for without a text decoder
     * @throws IllegalStateException    when the engine is closed
     */
    public Flow.Publisher<GenerationOutput> generate(GenerationRequest request) {
        if (closed) {
            throw new IllegalStateException("the engine is closed");
        }
        SamplingParams params = request.sampling() != null ? request.sampling() : config.samplingDefaults();
        int maxModelLen = config.scheduler().maxModelLen();
        if (request.promptLength() > maxModelLen) {
            throw new IllegalArgumentException("the prompt of request " + request.requestId() + " has "
                    + request.promptLength() + " tokens but --max-model-len is " + maxModelLen);
        }
        if (!params.stop().isEmpty() && config.textDecoder() == TextDecoder.NONE) {
            throw new IllegalArgumentException("request " + request.requestId() + " has stop strings " + params.stop()
                    + " but the engine was built without a TextDecoder to match them against");
        }
        checkItemsFitOneStep(request);
        String id = request.requestId();
        RequestPublisher publisher = new RequestPublisher(delivery, () -> submit(() -> admit(id)), () -> abort(id));
        OutputText text = new OutputText(config.textDecoder().start(request.promptTokenIds(),
                params.skipSpecialTokens()), params.stop(), params.includeStopStrInOutput());
        if (live.putIfAbsent(id, new RequestState(request, params, text, publisher)) != null) {
            throw new IllegalArgumentException("request id " + id + " is already in use by a live request");
        }
        return publisher;
    }

    /**
     * A media item the model attends within both ways is computed in one step, so it must fit in one step's token
     * budget; otherwise the request could never be scheduled.
     */
    private void checkItemsFitOneStep(GenerationRequest request) {
        if (request.multimodal() == null) {
            return;
        }
        int budget = config.scheduler().maxNumBatchedTokens();
        for (ai.tessera.api.MultimodalItem item : request.multimodal().items()) {
            if (item.length() > budget && model.bidirectionalWithin(item.modality())) {
                throw new IllegalArgumentException("request " + request.requestId() + " has a " + item.modality()
                        + " of " + item.length() + " tokens, which this model attends within both ways and so"
                        + " computes in one step, but --max-num-batched-tokens is " + budget);
            }
        }
    }

    /**
     * Runs a request to the end and returns it whole. Interrupting the caller aborts the request.
     *
     * @throws CancellationException when interrupted
     * @throws IllegalStateException when the step that ran it failed (the cause says why)
     */
    public GenerationResult complete(GenerationRequest request) {
        ResultCollector collector = new ResultCollector(request);
        generate(request).subscribe(collector);
        try {
            return collector.result();
        } catch (InterruptedException e) {
            abort(request.requestId());
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted while request " + request.requestId() + " ran");
        }
    }

    /**
     * Ends a request (e.g. its HTTP client went away): at the next step boundary (right away when the engine is
     * idle, else after the step in flight) its blocks are freed and its stream ends with {@link FinishReason#ABORT}.
     * Unknown or finished ids are ignored.
     */
    public void abort(String requestId) {
        submit(() -> abortNow(requestId));
    }

    /** The state after the last step. */
    public EngineStats stats() {
        return stats;
    }

    public EngineConfig config() {
        return config;
    }

    /** Stops the step loop, aborts the requests still running and frees the KV cache. */
    @Override
    public void close() {
        closed = true;
        synchronized (signal) {
            signal.notifyAll();
        }
        if (Thread.currentThread() != loop) {
            try {
                loop.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        delivery.shutdown();
    }

    private void submit(Runnable command) {
        inbox.add(command);
        synchronized (signal) {
            signal.notifyAll();
        }
        if (loop.getState() == Thread.State.TERMINATED) {
            // closed: nobody else runs commands now, so run them here (they abort what they touch)
            synchronized (inbox) {
                drainInbox();
            }
        }
    }

    private void run() {
        try {
            init();
            starting.complete(null);
        } catch (RuntimeException | Error e) {
            starting.completeExceptionally(e);
            return;
        }
        try {
            while (!closed) {
                drainInbox();
                if (!scheduler.hasWork()) {
                    synchronized (signal) {
                        while (inbox.isEmpty() && !closed) {
                            signal.wait();
                        }
                    }
                    continue;
                }
                step();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            LOG.log(Level.SEVERE, "the engine's step loop stopped; its requests are aborted", e);
            throw e;
        } finally {
            closed = true;
            shutdown();
        }
    }

    private void drainInbox() {
        Runnable command;
        while ((command = inbox.poll()) != null) {
            command.run();
        }
    }

    private void admit(String id) {
        if (closed) {
            abortNow(id);
            return;
        }
        RequestState r = live.get(id);
        if (r != null && !r.finished()) {
            scheduler.add(r);
            publishStats();
        }
    }

    private void abortNow(String id) {
        RequestState r = live.get(id);
        if (r == null || r.finished()) {
            return;
        }
        scheduler.remove(r);
        r.finishReason = FinishReason.ABORT;
        live.remove(id);
        r.releaseMedia();
        publishStats();
        r.publisher.emit(output(r, new int[0], List.of(), ""));
        r.publisher.complete();
    }

    /** One engine step: schedule, run the model, sample, and stream the results. */
    private void step() {
        ScheduledStep step = scheduler.schedule();
        if (step.isEmpty()) {
            failStuck();
            return;
        }
        List<Runnable> deliveries = new ArrayList<>();
        step = encodeMedia(step, deliveries);
        if (step.isEmpty()) {
            publishStats();
            deliveries.forEach(Runnable::run);
            return;
        }
        try (PointerScope scope = new PointerScope()) {
            List<RequestState> rows;
            Tensor logits;
            if (graphs != null && graphs.accepts(step)) {
                rows = new ArrayList<>();
                for (ScheduledStep.Entry e : step.entries()) {
                    rows.add(e.request());
                }
                logits = graphs.run(step);
            } else {
                BatchBuilder.Packed packed = BatchBuilder.build(step, cache, config.device(), model.positionSections(),
                        model::bidirectionalWithin, config.decodeTables());
                rows = packed.sampled();
                logits = model.forward(packed.batch());
            }
            Sampler.Result sampled = sampler.sample(logits, rows);
            scheduler.advance(step);
            for (int i = 0; i < rows.size(); i++) {
                RequestState r = rows.get(i);
                TokenLogprob logprob = sampled.logprobs()[i];
                deliveries.add(accept(r, sampled.tokens()[i], logprob));
            }
            steps++;
        } catch (RuntimeException e) {
            // blocks registered for this step were never written
            blocks.resetPrefixCache();
            if (DeviceMemory.isOutOfMemory(e)) {
                failLargestAndRetryTheRest(step, e, deliveries);
                publishStats();
                deliveries.forEach(Runnable::run);
                return;
            }
            LOG.log(Level.WARNING, "engine step over " + step.entries().size() + " requests failed", e);
            for (ScheduledStep.Entry entry : step.entries()) {
                RequestState r = entry.request();
                if (!r.finished()) {
                    scheduler.remove(r);
                    finishFailed(r, "an engine step failed: " + e.getMessage(), e, deliveries);
                }
            }
        }
        publishStats();
        deliveries.forEach(Runnable::run);
    }

    /**
     * The device ran out of memory in a step: the request that computed the most tokens in it (the last of equals,
     * the newest) fails with an error of its own, and the step's other requests are computed again from the start
     * in later steps (their KV may lean on blocks this step never wrote). Each such step so sheds one request, and
     * the server goes on instead of failing every request in flight.
     */
    private void failLargestAndRetryTheRest(ScheduledStep step, RuntimeException e, List<Runnable> deliveries) {
        DeviceMemory.releaseCached(config.device());
        ScheduledStep.Entry largest = step.entries().get(0);
        for (ScheduledStep.Entry entry : step.entries()) {
            if (entry.numNewTokens() >= largest.numNewTokens()) {
                largest = entry;
            }
        }
        RequestState culprit = largest.request();
        LOG.warning("the device ran out of memory in a step over " + step.entries().size() + " requests ("
                + step.totalTokens() + " tokens); request " + culprit.id + " (" + largest.numNewTokens()
                + " tokens) fails, the others are computed again: " + DeviceMemory.firstLine(e));
        List<ScheduledStep.Entry> others = new ArrayList<>(step.entries());
        others.remove(largest);
        for (int i = others.size() - 1; i >= 0; i--) {
            RequestState r = others.get(i).request();
            if (!r.finished()) {
                scheduler.recompute(r);
            }
        }
        scheduler.remove(culprit);
        finishFailed(culprit, "the device ran out of memory computing " + largest.numNewTokens() + " of its tokens"
                + " in a step of " + step.totalTokens() + " (" + DeviceMemory.firstLine(e) + "); a shorter prompt,"
                + " fewer media items, a lower --max-num-batched-tokens or --gpu-memory-utilization leaves more room",
                e, deliveries);
    }

    /**
     * Runs the encoders for requests whose media this step reaches for the first time (outside the step's pointer
     * scope: the embeddings live until the request ends). A request whose media fail to encode fails alone and
     * leaves the step.
     */
    private ScheduledStep encodeMedia(ScheduledStep step, List<Runnable> deliveries) {
        List<ScheduledStep.Entry> kept = new ArrayList<>();
        for (ScheduledStep.Entry e : step.entries()) {
            RequestState r = e.request();
            if (r.mmEmbeddings == null && r.overlapsMedia(r.numComputed, e.numNewTokens())) {
                try {
                    List<Tensor> embeddings = model.embedMultimodal(r.multimodal.items());
                    checkEmbeddings(r, embeddings);
                    r.mmEmbeddings = embeddings;
                    r.multimodal.close();
                } catch (RuntimeException ex) {
                    LOG.log(Level.WARNING, "encoding the media of request " + r.id + " failed", ex);
                    scheduler.remove(r);
                    finishFailed(r, "its media could not be encoded: " + ex.getMessage(), ex, deliveries);
                    continue;
                }
            }
            kept.add(e);
        }
        return kept.size() == step.entries().size() ? step : new ScheduledStep(kept, step.preempted());
    }

    private static void checkEmbeddings(RequestState r, List<Tensor> embeddings) {
        List<ai.tessera.api.MultimodalItem> items = r.multimodal.items();
        if (embeddings.size() != items.size()) {
            throw new IllegalStateException("the model returned " + embeddings.size() + " embeddings for "
                    + items.size() + " media items");
        }
        for (int i = 0; i < items.size(); i++) {
            if (embeddings.get(i).dim() != 2 || embeddings.get(i).size(0) != items.get(i).length()) {
                throw new IllegalStateException("the " + items.get(i).modality() + " item " + i + " takes "
                        + items.get(i).length() + " tokens but the model's encoder returned "
                        + java.util.Arrays.toString(embeddings.get(i).shape()));
            }
        }
    }

    private void finishFailed(RequestState r, String why, RuntimeException cause, List<Runnable> deliveries) {
        r.finishReason = FinishReason.ABORT;
        live.remove(r.id);
        r.releaseMedia();
        deliveries.add(() -> r.publisher.fail(new IllegalStateException("request " + r.id + " failed: " + why, cause)));
    }

    /** Appends a sampled token, decides whether the request is done, and returns the delivery of its delta. */
    private Runnable accept(RequestState r, int token, TokenLogprob logprob) {
        r.append(token);
        generatedTokens++;
        SamplingParams p = r.params;
        if ((!p.ignoreEos() && config.eosTokenIds().contains(token)) || p.stopTokenIds().contains(token)) {
            r.finishReason = FinishReason.STOP;
            r.stopReason = token;
        } else {
            String stop = r.text.append(new int[] {token});
            if (stop != null) {
                r.finishReason = FinishReason.STOP;
                r.stopReason = stop;
            } else if ((p.maxTokens() != null && r.numOutputTokens() >= p.maxTokens())
                    || r.numTokens() >= config.scheduler().maxModelLen()) {
                r.finishReason = FinishReason.LENGTH;
            }
        }
        List<TokenLogprob> logprobs = logprob == null ? List.of() : List.of(logprob);
        GenerationOutput out = output(r, new int[] {token}, logprobs, r.text.takeDelta(r.finished()));
        if (!r.finished()) {
            return () -> r.publisher.emit(out);
        }
        scheduler.remove(r);
        live.remove(r.id);
        r.releaseMedia();
        return () -> {
            r.publisher.emit(out);
            r.publisher.complete();
        };
    }

    /**
     * Nothing could be scheduled although requests wait: the first waiting one cannot get blocks with nothing
     * else running. The cache sizing check should make this impossible; fail that request rather than spin.
     */
    private void failStuck() {
        for (RequestState r : scheduler.all()) {
            scheduler.remove(r);
            r.finishReason = FinishReason.ABORT;
            live.remove(r.id);
            r.releaseMedia();
            r.publisher.fail(new IllegalStateException(r + " could not be scheduled: " + blocks.freeBlocks()
                    + " of " + blocks.numBlocks() + " KV cache blocks are free"));
            break;
        }
        publishStats();
    }

    private GenerationOutput output(RequestState r, int[] tokens, List<TokenLogprob> logprobs, String text) {
        return new GenerationOutput(r.id, tokens, text, logprobs, r.finishReason, r.stopReason, r.promptLength,
                Math.max(0, r.cachedPromptTokens), r.numOutputTokens());
    }

    private void publishStats() {
        stats = new EngineStats(blocks.numBlocks(), blocks.freeBlocks(), blocks.cachedBlocks(),
                blocks.prefixQueryTokens(), blocks.prefixHitTokens(), scheduler.numRunning(), scheduler.numWaiting(),
                scheduler.preemptions(), steps, generatedTokens);
    }

    /** Engine thread, on the way out: aborts what is left and frees the cache. */
    private void shutdown() {
        synchronized (inbox) {
            drainInbox();
        }
        for (RequestState r : new ArrayList<>(live.values())) {
            abortNow(r.id);
        }
        if (blocks != null) {
            publishStats();
        }
        if (graphs != null) {
            graphs.close();
        }
        if (cache != null) {
            cache.close();
        }
    }

    /** "A: why; caused by B: why" down to the root, since errors such as ExceptionInInitializerError say nothing. */
    static String causeChain(Throwable t) {
        StringBuilder text = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (text.length() > 0) {
                text.append("; caused by ");
            }
            text.append(c.getClass().getSimpleName()).append(c.getMessage() == null ? "" : ": " + c.getMessage());
        }
        return text.toString();
    }
}
