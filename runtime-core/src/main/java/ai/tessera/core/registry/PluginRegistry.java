package ai.tessera.core.registry;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Logger;

import ai.tessera.boot.PluginInfo.Kind;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Filter;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.util.tracker.ServiceTracker;
import org.osgi.util.tracker.ServiceTrackerCustomizer;

/**
 * Tracks every plugin service by its name property and answers "which X is registered under name N" at any
 * moment. Registrations coming and going are logged with the providing bundle's name and version.
 */
@Component(service = PluginRegistry.class)
public class PluginRegistry {
    private static final Logger LOG = Logger.getLogger(PluginRegistry.class.getName());

    private final Map<Kind, ServiceTracker<Object, List<Registration>>> trackers = new EnumMap<>(Kind.class);
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private final List<RegistrationListener> registrationListeners = new CopyOnWriteArrayList<>();
    private BundleContext context;

    @Activate
    void activate(BundleContext context) throws InvalidSyntaxException {
        this.context = context;
        for (Kind kind : Kind.values()) {
            Filter filter = FrameworkUtil.createFilter("(&(objectClass=" + PluginKinds.serviceType(kind).getName()
                    + ")(" + kind.property() + "=*))");
            ServiceTracker<Object, List<Registration>> tracker = new ServiceTracker<>(context, filter, customizer(kind));
            trackers.put(kind, tracker);
            tracker.open(true);
        }
    }

    @Deactivate
    void deactivate() {
        trackers.values().forEach(ServiceTracker::close);
        trackers.clear();
    }

    private ServiceTrackerCustomizer<Object, List<Registration>> customizer(Kind kind) {
        return new ServiceTrackerCustomizer<>() {
            @Override
            public List<Registration> addingService(ServiceReference<Object> ref) {
                // Getting the service activates a delayed DS component now: a component that fails to activate is
                // never indexed, so a resolved name always has a working service behind it.
                Object service = context.getService(ref);
                if (service == null) {
                    LOG.warning(kind.label() + " " + Registration.namesOf(ref, kind) + " from " + ref.getBundle()
                            + " failed to activate and is not used; `tessera plugins` shows why");
                    return null;
                }
                List<Registration> regs = new ArrayList<>();
                for (String name : Registration.namesOf(ref, kind)) {
                    Registration r = new Registration(kind, name, ref, service);
                    regs.add(r);
                    LOG.info("registered " + kind.label() + " " + name + " from " + r.bundleName() + " "
                            + r.bundleVersion());
                }
                fire();
                regs.forEach(r -> registrationListeners.forEach(l -> l.added(r)));
                return regs;
            }

            @Override
            public void modifiedService(ServiceReference<Object> ref, List<Registration> regs) {
                fire();
            }

            @Override
            public void removedService(ServiceReference<Object> ref, List<Registration> regs) {
                // Still registered and its bundle's classes still loadable: users drain before it goes.
                regs.forEach(r -> registrationListeners.forEach(l -> l.removing(r)));
                context.ungetService(ref);
                for (Registration r : regs) {
                    LOG.info("unregistered " + kind.label() + " " + r.name() + " from " + r.bundleName() + " "
                            + r.bundleVersion());
                }
                fire();
            }
        };
    }

    private void fire() {
        synchronized (this) {
            notifyAll();
        }
        listeners.forEach(Runnable::run);
    }

    /** Called on every registration change (from the thread that changed it). */
    public void addListener(Runnable listener) {
        listeners.add(listener);
    }

    public void removeListener(Runnable listener) {
        listeners.remove(listener);
    }

    /** Told of each registration that appears or is about to go away, with which one it is. */
    public void addRegistrationListener(RegistrationListener listener) {
        registrationListeners.add(listener);
    }

    public void removeRegistrationListener(RegistrationListener listener) {
        registrationListeners.remove(listener);
    }

    /** All registrations of a kind, sorted by name, newest bundle version first among equal names. */
    public List<Registration> registrations(Kind kind) {
        ServiceTracker<Object, List<Registration>> tracker = trackers.get(kind);
        List<Registration> all = new ArrayList<>();
        if (tracker != null) {
            tracker.getTracked().values().forEach(all::addAll);
        }
        all.sort(Comparator.comparing(Registration::name).thenComparing(r -> r.reference(), Comparator.reverseOrder()));
        return all;
    }

    /** Names registered for a kind now. */
    public List<String> names(Kind kind) {
        TreeSet<String> names = new TreeSet<>();
        registrations(kind).forEach(r -> names.add(r.name()));
        return new ArrayList<>(names);
    }

    /** The registration for a name: the highest-ranked service when several bundles register the same name. */
    public Optional<Registration> find(Kind kind, String name) {
        return registrations(kind).stream().filter(r -> r.name().equals(name)).findFirst();
    }

    /** The service object of a registration (held by the registry until the service goes away). */
    public <T> T service(Registration registration, Class<T> type) {
        return type.cast(registration.service());
    }

    /** Waits up to {@code timeout} for a name to be registered. */
    public Optional<Registration> await(Kind kind, String name, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (this) {
            while (true) {
                Optional<Registration> found = find(kind, name);
                long left = deadline - System.nanoTime();
                if (found.isPresent() || left <= 0) {
                    return found;
                }
                // Bounded slices: fire() runs inside the tracker's addingService, before the tracker indexes the
                // new registration, so the notification can come a moment too early to see it.
                wait(Math.max(1, Math.min(50, left / 1_000_000)));
            }
        }
    }

    /** The exception for a name that is not registered: names it and lists what is. */
    public IllegalArgumentException notRegistered(Kind kind, String name) {
        List<String> names = names(kind);
        return new IllegalArgumentException("No " + kind.label() + " named '" + name + "' is registered. Registered "
                + kind.label() + "s: " + (names.isEmpty() ? "none" : String.join(", ", names))
                + ". Drop the bundle that provides it into the deploy folder, or wait for it with --wait-for-plugins.");
    }
}
