package ai.tessera.core.server;

import java.time.Duration;
import java.util.HashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

import ai.tessera.core.registry.Registration;

/**
 * One served model name and the versions of it that come and go: the gate between API requests and the engine.
 *
 * <p>A request holds a {@link Lease} on the version it runs on. A swap (the configuration changed, or a bundle the
 * version uses is being stopped for an update or removal) stops admitting requests, lets those in flight finish
 * for at most the drain timeout, closes the old version and loads the new one on the slot's own thread. Requests
 * that arrive meanwhile wait for at most the swap wait, then run on the new version or get a 503 that says why.
 * Other slots are untouched.
 */
public final class ModelSlot {
    private static final Logger LOG = Logger.getLogger(ModelSlot.class.getName());
    /** How long a reload waits for the plugins of its model: as long as the model is configured. */
    public static final Duration UNTIL_REGISTERED = Duration.ofDays(3650);

    /** Where the slot is. */
    public enum State {
        /** Loading or reloading (also while draining the old version); requests wait. */
        LOADING,
        /** Serving. */
        READY,
        /** The last load failed; requests get a 503 with the reason until a plugin change or an edit retries. */
        FAILED,
        /** No longer configured. */
        REMOVED;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * How a slot swaps.
     *
     * @param swapWait     how long a request waits for a model that is loading or swapping before its 503
     * @param drainTimeout how long a swap lets the requests in flight finish before their engine is closed under them
     */
    public record Settings(Duration swapWait, Duration drainTimeout) {
        public Settings {
            if (swapWait.isNegative() || drainTimeout.isNegative()) {
                throw new IllegalArgumentException("swap wait and drain timeout must not be negative, got "
                        + swapWait + " and " + drainTimeout);
            }
        }
    }

    /** Loads one version of the model; blocks, and may be interrupted when the slot is closed. */
    @FunctionalInterface
    public interface Loader {
        /**
         * @param pluginWait how long to wait for the model's architecture (and parsers) to be registered
         * @param status     takes what the load is doing (waiting for a plugin, loading), shown in 503 messages
         */
        Version load(Duration pluginWait, Consumer<String> status) throws Exception;
    }

    /** One loaded version: what the API serves, what it was loaded from, and how to free it. */
    public static final class Version {
        private final ServedModel model;
        private final Registration architecture;
        private final Set<Long> bundleIds;
        private final AutoCloseable closer;
        /** Leases held on this version; guarded by the slot's lock. */
        private int inFlight;

        /**
         * @param architecture the registration the model was loaded from
         * @param bundleIds    the bundles whose code the version runs (architecture, platform): stopping one swaps it
         * @param closer       frees the engine, codec and weights
         */
        public Version(ServedModel model, Registration architecture, Set<Long> bundleIds, AutoCloseable closer) {
            this.model = model;
            this.architecture = architecture;
            this.bundleIds = Set.copyOf(bundleIds);
            this.closer = closer;
        }

        public ServedModel model() {
            return model;
        }

        public Registration architecture() {
            return architecture;
        }

        /** Whether the registration it was loaded from is still registered. */
        boolean stillRegistered() {
            return architecture == null || architecture.reference().getBundle() != null;
        }
    }

    /** A request's hold on one version: the version stays open (up to the drain timeout) until the lease closes. */
    public final class Lease implements AutoCloseable {
        private final Version version;
        private boolean closed;

        private Lease(Version version) {
            this.version = version;
        }

        public ServedModel model() {
            return version.model;
        }

        @Override
        public void close() {
            lock.lock();
            try {
                if (!closed) {
                    closed = true;
                    version.inFlight--;
                    changed.signalAll();
                }
            } finally {
                lock.unlock();
            }
        }
    }

    private final String name;
    private final String root;
    private final String source;
    private final long created = System.currentTimeMillis() / 1000;
    private final ExecutorService worker;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();

    // guarded by lock
    private Settings settings;
    private Loader loader;
    private State state = State.LOADING;
    private String detail = "loading";
    private Version version;
    /** Bundles that were stopped while a load ran: a version that uses one is stale as soon as it is loaded. */
    private final Set<Long> stoppedWhileLoading = new HashSet<>();
    /** The slot's thread while it runs a loader (which may wait for plugins indefinitely), else null. */
    private Thread loadingThread;

    /**
     * @param root   the model folder, as {@code /v1/models} shows it
     * @param source where the model was configured, for log lines (a configuration file, the serve command)
     */
    ModelSlot(String name, String root, String source, Settings settings, Loader loader) {
        this.name = name;
        this.root = root;
        this.source = source;
        this.settings = settings;
        this.loader = loader;
        this.worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "tessera-model-" + name);
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Starts the first load on the slot's thread.
     *
     * @param logFailure false when the caller reports a failure of this first load itself (serve MODEL_DIR)
     */
    void start(Duration pluginWait, boolean logFailure) {
        worker.execute(() -> load("loading", pluginWait, logFailure));
    }

    public String name() {
        return name;
    }

    public String root() {
        return root;
    }

    public String source() {
        return source;
    }

    public long created() {
        return created;
    }

    public State state() {
        lock.lock();
        try {
            return state;
        } finally {
            lock.unlock();
        }
    }

    /** What the slot is doing or why it failed, in one line. */
    public String detail() {
        lock.lock();
        try {
            return detail;
        } finally {
            lock.unlock();
        }
    }

    /** The version serving now, if any. */
    public Optional<Version> current() {
        lock.lock();
        try {
            return Optional.ofNullable(version);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Admits a request: at once when the model is ready, else after waiting for at most the swap wait.
     *
     * @throws OpenAiException 503 when the model failed to load or did not become ready in time, 404 when it is gone
     */
    public Lease acquire() {
        lock.lock();
        try {
            long left = settings.swapWait().toNanos();
            while (state != State.READY) {
                if (state == State.REMOVED) {
                    throw OpenAiException.notFound("model", "The model '" + name + "' is no longer served: " + detail);
                }
                if (state == State.FAILED) {
                    throw OpenAiException.unavailable("The model '" + name + "' could not be loaded: " + detail);
                }
                if (left <= 0) {
                    throw OpenAiException.unavailable("The model '" + name + "' is not available: " + detail
                            + "; it did not become ready within " + seconds(settings.swapWait())
                            + " s (swap_wait_seconds). Retry later.");
                }
                left = changed.awaitNanos(left);
            }
            version.inFlight++;
            return new Lease(version);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw OpenAiException.unavailable("the server is shutting down");
        } finally {
            lock.unlock();
        }
    }

    /** Blocks until the slot is ready, failed or removed (e.g. the first load of {@code serve MODEL_DIR}). */
    public State awaitSettled() throws InterruptedException {
        lock.lock();
        try {
            while (state == State.LOADING) {
                changed.await();
            }
            return state;
        } finally {
            lock.unlock();
        }
    }

    /** Whether the version serving now runs code of the bundle. */
    boolean uses(long bundleId) {
        lock.lock();
        try {
            return version != null && version.bundleIds.contains(bundleId);
        } finally {
            lock.unlock();
        }
    }

    /**
     * A bundle is being stopped (updated or removed). When the version serving now uses it, this drains and closes
     * that version before returning, so that the bundle's code is still there for the requests in flight; the slot
     * then waits on its own thread for the plugin to come back and loads the new version.
     *
     * @param what the plugin going away, for log lines and 503 messages
     */
    void dependencyStopping(long bundleId, String what) {
        boolean mine;
        lock.lock();
        try {
            if (state == State.LOADING) {
                stoppedWhileLoading.add(bundleId);
            }
            mine = version != null && version.bundleIds.contains(bundleId);
        } finally {
            lock.unlock();
        }
        if (!mine) {
            return;
        }
        LOG.info("model " + name + ": " + what + " is being stopped (updated or removed): draining its requests");
        unload("swapping: " + what + " was stopped (updated or removed)");
        submit(() -> load("waiting for " + what + " or its new version to be registered", UNTIL_REGISTERED, true));
    }

    /** A plugin was registered: a model whose load failed tries again (the plugin may be the fix). */
    void retryIfFailed(String what) {
        lock.lock();
        try {
            if (state != State.FAILED) {
                return;
            }
            state = State.LOADING;
            detail = "retrying after " + what + " was registered";
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        submit(() -> load("retrying after " + what + " was registered", UNTIL_REGISTERED, true));
    }

    /** New settings and loader (the configuration was edited): drains, closes and loads again on the slot's thread. */
    public void reconfigure(Settings newSettings, Loader newLoader, String why) {
        lock.lock();
        try {
            settings = newSettings;
            loader = newLoader;
            if (loadingThread != null) {
                // a load of the old configuration, perhaps waiting for a plugin that never comes: superseded
                loadingThread.interrupt();
            }
            if (state == State.READY || state == State.FAILED) {
                // stop admitting now; the slot's thread drains and closes the version
                state = State.LOADING;
                detail = "reloading: " + why;
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
        submit(() -> {
            unload("reloading: " + why);
            load("reloading: " + why, UNTIL_REGISTERED, true);
        });
    }

    /**
     * Stops serving: new requests get a 404, those in flight may finish (for at most the drain timeout), then the
     * version is closed and the slot's thread stopped.
     */
    void close(String why) {
        lock.lock();
        try {
            state = State.REMOVED;
            detail = why;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        worker.shutdownNow();
        unload(why);
        try {
            // A load in progress cannot always be interrupted (an architecture building its layers): it closes what
            // it loaded when it sees the slot removed.
            if (!worker.awaitTermination(settings.drainTimeout().toSeconds() + 60, TimeUnit.SECONDS)) {
                LOG.warning("model " + name + ": a load still runs after the slot was closed; it frees its version when done");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.info("model " + name + " is no longer served: " + why);
    }

    /** "30" or "0.2": whole seconds as they were configured, fractions as tests use them. */
    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? Long.toString(d.toSeconds()) : Double.toString(d.toMillis() / 1000.0);
    }

    private void submit(Runnable task) {
        try {
            worker.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            LOG.fine("model " + name + " is closed; nothing to reload");
        }
    }

    /** Stops admitting, lets the current version's requests finish (at most the drain timeout) and closes it. */
    private void unload(String why) {
        Version old = null;
        lock.lock();
        try {
            old = version;
            version = null;
            if (state != State.REMOVED) {
                state = State.LOADING;
                detail = why;
            }
            changed.signalAll();
            if (old == null) {
                return;
            }
            long left = settings.drainTimeout().toNanos();
            while (old.inFlight > 0 && left > 0) {
                left = changed.awaitNanos(left);
            }
            if (old.inFlight > 0) {
                LOG.warning("model " + name + ": " + old.inFlight + " request(s) still running after the drain timeout of "
                        + seconds(settings.drainTimeout()) + " s (drain_timeout_seconds); they are aborted");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            LOG.warning("model " + name + ": interrupted while draining; the requests still running are aborted");
        } finally {
            lock.unlock();
        }
        closeVersion(old);
    }

    /** Loads until a version that is still current is ready, the load fails, or the slot is closed. */
    private void load(String why, Duration pluginWait, boolean logFailure) {
        String reason = why;
        while (true) {
            Loader current;
            lock.lock();
            try {
                if (state == State.REMOVED) {
                    return;
                }
                state = State.LOADING;
                detail = reason;
                stoppedWhileLoading.clear();
                current = loader;
                loadingThread = Thread.currentThread();
                changed.signalAll();
            } finally {
                lock.unlock();
            }
            long start = System.nanoTime();
            Version loaded;
            try {
                loaded = current.load(pluginWait, this::loadingStatus);
            } catch (InterruptedException e) {
                LOG.fine("model " + name + ": load interrupted (the slot was closed or reconfigured)");
                loadDone();
                return;
            } catch (Exception | LinkageError e) {
                if (loadDone() != current || failed(e, logFailure)) {
                    // superseded by a new configuration (its reload is queued), failed, or closed
                    return;
                }
                reason = "reloading: a plugin was stopped while the model loaded";
                continue;
            }
            boolean superseded;
            boolean stale;
            lock.lock();
            try {
                loadingThread = null;
                // a new configuration arrived while this one loaded: its reload is queued behind this task
                superseded = loader != current;
                stale = state == State.REMOVED || !loaded.stillRegistered()
                        || loaded.bundleIds.stream().anyMatch(stoppedWhileLoading::contains);
                if (!superseded && !stale) {
                    version = loaded;
                    state = State.READY;
                    detail = "ready";
                    changed.signalAll();
                }
            } finally {
                lock.unlock();
            }
            if (!superseded && !stale) {
                Registration a = loaded.architecture;
                LOG.info("serving model " + name + " (" + source + ")" + (a == null ? "" : " as " + a.name() + " from "
                        + a.bundleName() + " " + a.bundleVersion()) + ", loaded in "
                        + (System.nanoTime() - start) / 1_000_000 + " ms");
                return;
            }
            closeVersion(loaded);
            if (superseded) {
                return;
            }
            reason = "reloading: a plugin it used was stopped while it loaded";
        }
    }

    /** The load on the slot's thread has ended; returns the loader configured now. */
    private Loader loadDone() {
        lock.lock();
        try {
            loadingThread = null;
            return loader;
        } finally {
            lock.unlock();
        }
    }

    private void loadingStatus(String status) {
        lock.lock();
        try {
            if (state == State.LOADING) {
                detail = status;
            }
        } finally {
            lock.unlock();
        }
    }

    /** Records a failed load; false when it should be retried instead (a plugin stopped under it). */
    private boolean failed(Throwable e, boolean log) {
        String message = OpenAiException.firstLine(e.getMessage() != null ? e.getMessage() : e.toString());
        lock.lock();
        try {
            if (state == State.REMOVED) {
                return true;
            }
            if (!stoppedWhileLoading.isEmpty()) {
                return false;
            }
            state = State.FAILED;
            detail = message;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        LOG.log(log ? Level.SEVERE : Level.FINE, "model " + name + " (" + source + ") did not load: " + message);
        LOG.log(Level.FINE, "model " + name + " load failure", e);
        return true;
    }

    private void closeVersion(Version old) {
        if (old == null) {
            return;
        }
        try {
            old.closer.close();
        } catch (Exception | LinkageError e) {
            LOG.log(Level.WARNING, "model " + name + ": closing the old version failed", e);
        }
    }
}
