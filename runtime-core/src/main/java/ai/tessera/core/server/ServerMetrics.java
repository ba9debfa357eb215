package ai.tessera.core.server;

import java.io.IOException;
import java.io.OutputStream;

import ai.tessera.core.engine.EngineStats;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;

/**
 * The server's Prometheus metrics ({@code GET /metrics}): requests by outcome, prompt and generated tokens, time to
 * first token and inter-token latency, and the engines' running/waiting requests and KV-cache usage.
 */
final class ServerMetrics {
    private static final double[] LATENCY_BUCKETS = {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75,
        1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter requests;
    private final Counter promptTokens;
    private final Counter generationTokens;
    private final Histogram timeToFirstToken;
    private final Histogram interTokenLatency;
    private final Histogram e2eLatency;

    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger("ai.tessera.requests");
    private final ServedModels models;

    ServerMetrics(ServedModels models) {
        this.models = models;
        requests = Counter.builder().name("tessera_requests").help("Finished API requests by outcome")
                .labelNames("model", "status").register(registry);
        promptTokens = Counter.builder().name("tessera_prompt_tokens").help("Prompt tokens processed")
                .labelNames("model").register(registry);
        generationTokens = Counter.builder().name("tessera_generation_tokens").help("Tokens generated")
                .labelNames("model").register(registry);
        timeToFirstToken = histogram("tessera_time_to_first_token_seconds", "Time from request to its first token");
        interTokenLatency = histogram("tessera_inter_token_latency_seconds", "Time between streamed tokens");
        e2eLatency = histogram("tessera_e2e_request_latency_seconds", "Time from request to its last token");
        GaugeWithCallback.builder().name("tessera_num_requests_running").help("Requests in the running batch")
                .labelNames("model").callback(cb -> models.ready().forEach(m -> cb.call(m.engine().stats().running(),
                        m.name()))).register(registry);
        GaugeWithCallback.builder().name("tessera_num_requests_waiting").help("Requests waiting to be scheduled")
                .labelNames("model").callback(cb -> models.ready().forEach(m -> cb.call(m.engine().stats().waiting(),
                        m.name()))).register(registry);
        GaugeWithCallback.builder().name("tessera_kv_cache_usage_perc").help("Fraction of KV-cache blocks in use")
                .labelNames("model").callback(cb -> models.ready().forEach(m -> cb.call(usage(m.engine().stats()),
                        m.name()))).register(registry);
    }

    private static double usage(EngineStats s) {
        return s.numBlocks() == 0 ? 0 : (double) (s.numBlocks() - s.freeBlocks()) / s.numBlocks();
    }

    private Histogram histogram(String name, String help) {
        return Histogram.builder().name(name).help(help).unit(Unit.SECONDS).classicOnly()
                .classicUpperBounds(LATENCY_BUCKETS).labelNames("model").register(registry);
    }

    /**
     * A request that reached the engine: counted, timed, and logged when it arrives and when it ends (as vLLM's
     * "Received request" and "Finished request" lines) unless {@code --disable-log-requests}.
     */
    RequestTimer start(String model, String id, int prompt, ai.tessera.core.engine.SamplingParams params) {
        promptTokens.labelValues(model).inc(prompt);
        boolean log = models.logRequests();
        if (log) {
            LOG.info("received request " + id + " for " + model + ": " + prompt + " prompt tokens, " + params);
        }
        return new RequestTimer() {
            private final long start = System.nanoTime();
            private long last = -1;
            private long first = -1;
            private long generated;

            @Override
            public void tokens(int count) {
                if (count == 0) {
                    return;
                }
                long now = System.nanoTime();
                generated += count;
                if (last < 0) {
                    first = now;
                    timeToFirstToken.labelValues(model).observe((now - start) / 1e9);
                } else {
                    interTokenLatency.labelValues(model).observe((now - last) / 1e9 / count);
                }
                last = now;
                generationTokens.labelValues(model).inc(count);
            }

            @Override
            public void finished(String status) {
                long end = System.nanoTime();
                requests.labelValues(model, status).inc();
                e2eLatency.labelValues(model).observe((end - start) / 1e9);
                if (log) {
                    LOG.info(String.format(java.util.Locale.ROOT, "finished request %s: %s, %d tokens generated in"
                            + " %.3f s%s", id, status, generated, (end - start) / 1e9, first < 0 ? ""
                            : String.format(java.util.Locale.ROOT, " (first after %.3f s)", (first - start) / 1e9)));
                }
            }
        };
    }

    /** A request that failed before it reached the engine (bad input, unknown model, auth). */
    void rejected(String model, int status) {
        requests.labelValues(model == null ? "" : model, Integer.toString(status)).inc();
    }

    void write(OutputStream out) throws IOException {
        PrometheusTextFormatWriter.create().write(out, registry.scrape());
    }
}
