package ai.tessera.core.server;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

import ai.tessera.boot.PluginInfo.Kind;
import ai.tessera.core.registry.PluginRegistry;
import ai.tessera.core.registry.Registration;
import ai.tessera.core.registry.RegistrationListener;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * The models the HTTP API serves, by name, each in its {@link ModelSlot}, and the server-wide settings (the API
 * key). Watches the plugin registry: when a bundle that a served model runs is stopped (updated or removed), that
 * model drains and reloads; models that do not use it are untouched.
 */
@Component(service = ServedModels.class, immediate = true)
public class ServedModels implements RegistrationListener {
    private static final Logger LOG = Logger.getLogger(ServedModels.class.getName());

    private final Map<String, ModelSlot> slots = new ConcurrentHashMap<>();
    private final PluginRegistry registry;
    private final long ownBundleId;
    private volatile ApiKey apiKey = new ApiKey(null);
    private volatile boolean logRequests = true;
    /** Set while the server shuts down: why new requests get a 503; those in flight go on. */
    private volatile String refusing;

    @Activate
    public ServedModels(@Reference PluginRegistry registry, BundleContext context) {
        this.registry = registry;
        this.ownBundleId = context.getBundle().getBundleId();
        registry.addRegistrationListener(this);
    }

    /**
     * Starts serving a model under {@code name}: its first load runs in the background on the slot's thread.
     *
     * @param pluginWait how long the first load waits for the model's plugins to be registered
     * @param logFailure false when the caller reports a failure of the first load itself
     * @throws IllegalArgumentException when a model of that name is served already
     */
    public synchronized ModelSlot open(String name, String root, String source, ModelSlot.Settings settings,
                                       ModelSlot.Loader loader, Duration pluginWait, boolean logFailure) {
        ModelSlot existing = slots.get(name);
        if (existing != null) {
            throw new IllegalArgumentException("a model named '" + name + "' is already served (configured by "
                    + existing.source() + ")");
        }
        ModelSlot slot = new ModelSlot(name, root, source, settings, loader);
        slots.put(name, slot);
        slot.start(pluginWait, logFailure);
        return slot;
    }

    /** Stops serving a model: drains its requests (at most its drain timeout) and frees it. */
    public void close(String name, String why) {
        ModelSlot slot;
        synchronized (this) {
            slot = slots.remove(name);
        }
        if (slot != null) {
            slot.close(why);
        }
    }

    /** Every configured model, by name. */
    public List<ModelSlot> all() {
        List<ModelSlot> all = new ArrayList<>(slots.values());
        all.sort(Comparator.comparing(ModelSlot::name));
        return all;
    }

    public Optional<ModelSlot> find(String name) {
        return Optional.ofNullable(slots.get(name));
    }

    /** The versions serving now (for metrics). */
    List<ServedModel> ready() {
        List<ServedModel> ready = new ArrayList<>();
        for (ModelSlot slot : all()) {
            slot.current().ifPresent(v -> ready.add(v.model()));
        }
        return ready;
    }

    /**
     * Admits a request to the model it names (with one model served, a request may leave the name out), waiting for
     * a model that is loading or swapping for at most its swap wait.
     */
    ModelSlot.Lease acquire(Optional<String> requested) {
        String refusal = refusing;
        if (refusal != null) {
            throw OpenAiException.unavailable(refusal);
        }
        ModelSlot slot;
        if (requested.isEmpty()) {
            List<ModelSlot> all = all();
            if (all.size() != 1) {
                throw OpenAiException.badRequest("model", "'model' is required; served models: " + names());
            }
            slot = all.get(0);
        } else {
            slot = slots.get(requested.get());
            if (slot == null) {
                throw OpenAiException.notFound("model", "The model '" + requested.get() + "' does not exist. Served "
                        + "models: " + names());
            }
        }
        return slot.acquire();
    }

    private List<String> names() {
        return all().stream().map(ModelSlot::name).toList();
    }

    /** From now on new requests get a 503 saying {@code why}; requests in flight are not touched. */
    public void refuseNewRequests(String why) {
        this.refusing = why;
    }

    /** Takes requests again (a new {@code serve} in the same container). */
    public void admitRequests() {
        this.refusing = null;
    }

    /** Whether each API request is logged when it arrives and when it ends (off with {@code --disable-log-requests}). */
    public void setLogRequests(boolean log) {
        this.logRequests = log;
    }

    boolean logRequests() {
        return logRequests;
    }

    public void setApiKey(String key) {
        this.apiKey = new ApiKey(key);
    }

    ApiKey apiKey() {
        return apiKey;
    }

    /**
     * Runs on the thread stopping the bundle, before the bundle's code goes: each model that uses it drains and closes
     * (in parallel, each for at most its drain timeout) before this returns and the bundle stops.
     */
    @Override
    public void removing(Registration registration) {
        Bundle bundle = registration.bundle();
        if (bundle == null || bundle.getBundleId() == ownBundleId) {
            // runtime-core itself stopping: deactivate() closes everything
            return;
        }
        long id = bundle.getBundleId();
        String what = registration.kind().label() + " " + registration.name() + " (" + registration.bundleName() + " "
                + registration.bundleVersion() + ")";
        List<Thread> drains = new ArrayList<>();
        for (ModelSlot slot : all()) {
            if (slot.uses(id)) {
                Thread drain = new Thread(() -> slot.dependencyStopping(id, what), "tessera-drain-" + slot.name());
                drain.setDaemon(true);
                drain.start();
                drains.add(drain);
            } else {
                slot.dependencyStopping(id, what);
            }
        }
        for (Thread drain : drains) {
            try {
                drain.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                LOG.warning("interrupted while models drained for " + what);
                return;
            }
        }
    }

    @Override
    public void added(Registration registration) {
        if (registration.kind() == Kind.ARCHITECTURE || registration.kind() == Kind.PLATFORM) {
            String what = registration.kind().label() + " " + registration.name() + " (" + registration.bundleName()
                    + " " + registration.bundleVersion() + ")";
            all().forEach(slot -> slot.retryIfFailed(what));
        }
    }

    @Deactivate
    void deactivate() {
        registry.removeRegistrationListener(this);
        for (ModelSlot slot : all()) {
            close(slot.name(), "the container is stopping");
        }
    }
}
