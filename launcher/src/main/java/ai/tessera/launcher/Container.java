package ai.tessera.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.apache.felix.framework.FrameworkFactory;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleException;
import org.osgi.framework.BundleListener;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceListener;
import org.osgi.framework.launch.Framework;
import org.osgi.util.tracker.ServiceTracker;

/**
 * A running Tessera container: Felix with Declarative Services, Config Admin, the HTTP whiteboard and
 * FileInstall watching the deploy folder. The native libraries (JavaCPP, libtorch) stay on this class path and
 * are exported to bundles as system packages: a JNI library binds to one class loader, and bundles must be
 * reloadable.
 */
public final class Container implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Container.class.getName());
    /** Bundle or service events closer together than this mean the container is still settling. */
    private static final Duration QUIET = Duration.ofMillis(600);

    private final Framework framework;
    private final ContainerSettings settings;
    private final AtomicLong lastEvent = new AtomicLong(System.nanoTime());
    private boolean closed;

    private Container(Framework framework, ContainerSettings settings) {
        this.framework = framework;
        this.settings = settings;
    }

    /** Starts the framework, the system bundles and FileInstall on the deploy folder. */
    public static Container start(ContainerSettings settings) {
        if (!Files.isDirectory(settings.systemBundles())) {
            throw new IllegalStateException("System bundles not found in " + settings.systemBundles()
                    + ": build the container first with ./mvnw -q install -DskipTests");
        }
        try {
            Files.createDirectories(settings.deployFolder());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create the deploy folder " + settings.deployFolder(), e);
        }
        try {
            Files.createDirectories(settings.configFolder());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create the configuration folder " + settings.configFolder(), e);
        }
        Framework framework = new FrameworkFactory().newFramework(frameworkProperties(settings));
        Container container = new Container(framework, settings);
        try {
            framework.init();
            BundleContext context = framework.getBundleContext();
            BundleListener bundles = event -> {
                container.touch();
                container.logBundleEvent(event);
            };
            ServiceListener services = event -> container.touch();
            context.addBundleListener(bundles);
            context.addServiceListener(services);
            framework.start();
            container.startSystemBundles();
            return container;
        } catch (BundleException | RuntimeException e) {
            container.close();
            throw new IllegalStateException("The OSGi framework did not start: " + e.getMessage(), e);
        }
    }

    private static Map<String, String> frameworkProperties(ContainerSettings settings) {
        Map<String, String> props = new HashMap<>();
        props.put(Constants.FRAMEWORK_STORAGE, settings.storage().toString());
        props.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        props.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, systemPackagesExtra());
        props.put("felix.log.level", "1");
        // FileInstall: the deploy folder and the configuration folder (one watcher each; they share the filter).
        // Jars are started when installed and updated in place when replaced; .cfg/.config files are Config Admin
        // configurations, created, updated and deleted with their file.
        props.put("felix.fileinstall.dir", settings.deployFolder().toAbsolutePath() + ","
                + settings.configFolder().toAbsolutePath());
        props.put("felix.fileinstall.filter", ".*\\.(jar|cfg|config)");
        props.put("tessera.etc", settings.configFolder().toAbsolutePath().toString());
        // Model configurations load only while `tessera serve` runs, not for `plugins` or `generate`.
        props.put("tessera.models.deferred", "true");
        props.put("felix.fileinstall.poll", "500");
        props.put("felix.fileinstall.noInitialDelay", "true");
        props.put("felix.fileinstall.bundles.new.start", "true");
        props.put("felix.fileinstall.log.level", "1");
        props.put("felix.fileinstall.enableConfigSave", "false");
        // HTTP stays off until a command that serves turns it on through Config Admin.
        props.put("org.apache.felix.http.enable", "false");
        props.put("org.osgi.service.http.port", "8000");
        props.putAll(settings.properties());
        return props;
    }

    /**
     * The boot API at its semantic version and the native packages, as the build recorded them: the version in the
     * launcher's manifest (bnd, from the package's {@code @Version}), the packages in container.properties.
     */
    static String systemPackagesExtra() {
        Properties props = new Properties();
        try (InputStream in = Container.class.getResourceAsStream("container.properties")) {
            props.load(in);
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("container.properties is missing from the launcher jar", e);
        }
        return "ai.tessera.boot;version=" + bootApiVersion() + "," + props.getProperty("tessera.native.packages");
    }

    /** The version of {@code ai.tessera.boot} in the Export-Package header that bnd wrote into the launcher's manifest. */
    static String bootApiVersion() {
        return bootApiVersion(launcherManifest().getMainAttributes().getValue("Export-Package"));
    }

    static String bootApiVersion(String exports) {
        Matcher version = Pattern.compile("(?:^|,)ai\\.tessera\\.boot;(?:[\\w.:-]+=(?:\"[^\"]*\"|[^;,\"]*);)*?"
                + "version=\"?([0-9][\\w.-]*)").matcher(exports == null ? "" : exports);
        if (!version.find()) {
            throw new IllegalStateException("the launcher's manifest exports no versioned ai.tessera.boot (Export-Package: "
                    + exports + "); was it built with bnd?");
        }
        return version.group(1);
    }

    private static Manifest launcherManifest() {
        try {
            Path location = Path.of(Container.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (Files.isDirectory(location)) {
                try (InputStream in = Files.newInputStream(location.resolve(JarFile.MANIFEST_NAME))) {
                    return new Manifest(in);
                }
            }
            try (JarFile jar = new JarFile(location.toFile())) {
                return jar.getManifest();
            }
        } catch (IOException | URISyntaxException e) {
            throw new IllegalStateException("cannot read the launcher's manifest: " + e.getMessage(), e);
        }
    }

    /** Tessera's version, as the build recorded it. */
    public static String version() {
        Properties props = new Properties();
        try (InputStream in = Container.class.getResourceAsStream("container.properties")) {
            props.load(in);
            return props.getProperty("tessera.version");
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("container.properties is missing from the launcher jar", e);
        }
    }

    /**
     * Installs and starts the infrastructure bundles. One that cannot start (e.g. Felix HTTP on a trimmed JRE
     * without java.rmi) is logged and left out: the container runs on without what it provides.
     */
    private void startSystemBundles() throws BundleException {
        BundleContext context = framework.getBundleContext();
        List<Bundle> installed = new ArrayList<>();
        for (Path jar : jarsIn(settings.systemBundles())) {
            installed.add(context.installBundle(jar.toUri().toString()));
        }
        for (Bundle bundle : installed) {
            if (bundle.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
                try {
                    bundle.start();
                } catch (BundleException e) {
                    LOG.severe("infrastructure bundle " + bundle.getSymbolicName() + " " + bundle.getVersion()
                            + " did not start, the container runs without it: " + e.getMessage());
                }
            }
        }
    }

    private static List<Path> jarsIn(Path folder) {
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().collect(Collectors.toList());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list " + folder, e);
        }
    }

    private void touch() {
        lastEvent.set(System.nanoTime());
    }

    public BundleContext context() {
        return framework.getBundleContext();
    }

    public ContainerSettings settings() {
        return settings;
    }

    /**
     * Waits for a service of the given type (from a system package) to be registered. When the deploy folder has
     * settled without it, the bundles that failed to resolve are the likely cause: their resolution errors are
     * reported at once instead of waiting out the timeout.
     */
    public <T> T awaitService(Class<T> type, Duration timeout) throws TimeoutException, InterruptedException {
        ServiceTracker<T, T> tracker = new ServiceTracker<>(context(), type, null);
        tracker.open();
        try {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                T service = tracker.waitForService(250);
                if (service != null) {
                    return service;
                }
                boolean settled = pendingJars().isEmpty() && System.nanoTime() - lastEvent.get() > 3 * QUIET.toNanos();
                List<String> unresolved = settled ? resolutionErrors() : List.of();
                if (!unresolved.isEmpty()) {
                    throw new TimeoutException("No " + type.getSimpleName() + " service: "
                            + String.join("; ", unresolved));
                }
            }
            throw new TimeoutException("No " + type.getSimpleName() + " service after " + timeout.toSeconds()
                    + " s. Bundles: " + describeBundles());
        } finally {
            tracker.close();
        }
    }

    /** "bundle: why it cannot resolve" for every installed bundle that is not resolved. */
    private List<String> resolutionErrors() {
        List<String> errors = new ArrayList<>();
        for (Bundle bundle : context().getBundles()) {
            if (bundle.getState() == Bundle.INSTALLED && bundle.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
                try {
                    bundle.start();
                } catch (BundleException e) {
                    errors.add(bundle.getSymbolicName() + " " + bundle.getVersion() + " cannot start: " + e.getMessage());
                }
            }
        }
        return errors;
    }

    /**
     * Waits until every jar of the deploy folder is installed and no bundle or service event has happened for a
     * short quiet period, i.e. FileInstall and Declarative Services have done their work.
     */
    public void awaitSettled(Duration timeout) throws TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            boolean allInstalled = pendingJars().isEmpty();
            boolean quiet = System.nanoTime() - lastEvent.get() > QUIET.toNanos();
            if (allInstalled && quiet) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("The deploy folder " + settings.deployFolder() + " did not settle in "
                        + timeout.toSeconds() + " s; not yet installed: " + pendingJars());
            }
            Thread.sleep(100);
        }
    }

    /** Jars in the deploy folder that FileInstall has not installed yet. */
    private List<String> pendingJars() {
        List<String> locations = new ArrayList<>();
        for (Bundle bundle : context().getBundles()) {
            locations.add(fileNameOf(bundle.getLocation()));
        }
        return jarsIn(settings.deployFolder()).stream().map(p -> p.getFileName().toString())
                .filter(name -> !locations.contains(name)).collect(Collectors.toList());
    }

    private static String fileNameOf(String location) {
        try {
            if (location.startsWith("file:")) {
                return Path.of(URI.create(location)).getFileName().toString();
            }
        } catch (IllegalArgumentException e) {
            return location;
        }
        return location;
    }

    /** "symbolic-name version state" for every bundle, for error messages. */
    public String describeBundles() {
        return Stream.of(context().getBundles())
                .map(b -> b.getSymbolicName() + " " + b.getVersion() + " " + stateName(b.getState()))
                .collect(Collectors.joining(", "));
    }

    static String stateName(int state) {
        switch (state) {
            case Bundle.ACTIVE: return "ACTIVE";
            case Bundle.RESOLVED: return "RESOLVED";
            case Bundle.INSTALLED: return "INSTALLED";
            case Bundle.STARTING: return "STARTING";
            case Bundle.STOPPING: return "STOPPING";
            default: return "UNINSTALLED";
        }
    }

    /** Blocks until the framework stops, e.g. from another thread's {@link #close()}. */
    public void awaitStop() throws InterruptedException {
        framework.waitForStop(0);
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            framework.stop();
            framework.waitForStop(30_000);
        } catch (BundleException e) {
            LOG.warning("The framework did not stop cleanly: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Installs, updates and uninstalls in the deploy folder are logged with the bundle's name and version. */
    private void logBundleEvent(BundleEvent event) {
        int type = event.getType();
        Bundle b = event.getBundle();
        String line = "bundle " + eventName(type) + ": " + b.getSymbolicName() + " " + b.getVersion();
        boolean infrastructure = b.getLocation().startsWith(settings.systemBundles().toUri().toString());
        if (!infrastructure && (type == BundleEvent.INSTALLED || type == BundleEvent.UPDATED || type == BundleEvent.UNINSTALLED)) {
            LOG.info(line);
        } else if (type == BundleEvent.STARTED || type == BundleEvent.STOPPED) {
            LOG.fine(line);
        }
    }

    /** For log lines: which bundle event happened. */
    static String eventName(int type) {
        switch (type) {
            case BundleEvent.INSTALLED: return "installed";
            case BundleEvent.STARTED: return "started";
            case BundleEvent.STOPPED: return "stopped";
            case BundleEvent.UPDATED: return "updated";
            case BundleEvent.UNINSTALLED: return "uninstalled";
            default: return "changed";
        }
    }
}
