package ai.tessera.core.cli;

import java.net.URI;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

import ai.tessera.core.registry.PluginRegistry;
import ai.tessera.core.server.ModelSlot;
import ai.tessera.core.server.ServedModels;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.service.cm.ManagedServiceFactory;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * Models configured at run time: every Config Admin configuration of the factory PID {@value #FACTORY_PID} is one
 * served model, e.g. from a file {@code etc/ai.tessera.model-NAME.cfg} that FileInstall picks up. Adding one loads
 * the model, editing it reloads that model (draining its requests), deleting it unloads it. An edit that does not
 * parse is logged and not applied: the model keeps serving its previous configuration.
 *
 * <p>Under Tessera's launcher (framework property {@value #DEFERRED} = true) configurations are only applied while
 * {@code tessera serve} runs, so that {@code tessera plugins} or {@code generate} load no model; in another
 * container (e.g. Karaf) they are applied as they come.
 */
@Component(service = {ManagedServiceFactory.class, ModelConfigurations.class}, immediate = true,
        property = Constants.SERVICE_PID + "=" + ModelConfigurations.FACTORY_PID)
public class ModelConfigurations implements ManagedServiceFactory {
    static final String FACTORY_PID = "ai.tessera.model";
    /** Framework property: apply configurations only between {@link #startServing()} and {@link #stopServing()}. */
    static final String DEFERRED = "tessera.models.deferred";
    private static final Logger LOG = Logger.getLogger(ModelConfigurations.class.getName());
    private static final String FILE_KEY = "felix.fileinstall.filename";

    /** A configuration applied: the name it serves and where it came from. */
    private record Applied(String name, String source, ModelSpec spec) {
    }

    private final ServedModels served;
    private final PluginRegistry registry;
    private final Path home;
    private final Map<String, Applied> applied = new ConcurrentHashMap<>();
    /** The latest properties of every configuration, applied or not (by PID). */
    private final Map<String, Map<String, Object>> received = new LinkedHashMap<>();
    private final boolean deferred;
    /** Whether configurations are applied as they come; guarded by this. */
    private boolean serving;
    /** Configurations seen, applied or rejected: {@code serve} waits until those in etc/ are. */
    private final Set<String> sourcesSeen = Collections.synchronizedSet(new HashSet<>());

    @Activate
    public ModelConfigurations(@Reference ServedModels served, @Reference PluginRegistry registry, BundleContext context) {
        this.served = served;
        this.registry = registry;
        String home = context.getProperty("tessera.home");
        this.home = Path.of(home != null ? home : ".").toAbsolutePath().normalize();
        this.deferred = Boolean.parseBoolean(context.getProperty(DEFERRED));
        this.serving = !deferred;
    }

    @Override
    public String getName() {
        return "Tessera served models";
    }

    /**
     * Applies a configuration. A bad one is logged (one line naming the file and the key) rather than thrown as a
     * ConfigurationException, which Config Admin would log again with a stack trace.
     */
    @Override
    public synchronized void updated(String pid, Dictionary<String, ?> properties) {
        Map<String, Object> props = new LinkedHashMap<>();
        for (Enumeration<String> keys = properties.keys(); keys.hasMoreElements(); ) {
            String key = keys.nextElement();
            props.put(key, properties.get(key));
        }
        received.put(pid, props);
        if (serving) {
            apply(pid, props);
        } else {
            sourcesSeen.add(sourceOf(pid, props));
        }
    }

    /** Where a configuration came from: its file name, else its PID. */
    private static String sourceOf(String pid, Map<String, Object> props) {
        Object file = props.get(FILE_KEY);
        return file != null ? fileName(file.toString()) : "configuration " + pid;
    }

    private void apply(String pid, Map<String, Object> props) {
        Object file = props.get(FILE_KEY);
        String source = sourceOf(pid, props);
        Applied previous = applied.get(pid);
        ModelSpec spec;
        try {
            spec = ModelSpec.fromConfiguration(props, home, nameOf(file, pid));
        } catch (IllegalArgumentException e) {
            LOG.severe(source + ": " + e.getMessage() + (previous != null ? "; not applied, the model '"
                    + previous.name() + "' keeps its previous configuration" : "; no model loaded"));
            sourcesSeen.add(source);
            return;
        }
        try {
            String name = spec.servedName();
            ModelLoader loader = new ModelLoader(registry, spec);
            if (previous != null && previous.name().equals(name)) {
                LOG.info(source + " changed: reloading model " + name);
                served.find(name).orElseThrow(() -> new IllegalStateException("model " + name + " vanished"))
                        .reconfigure(spec.settings(), loader, source + " changed");
            } else {
                if (previous != null) {
                    served.close(previous.name(), source + " now names the model '" + name + "'");
                    applied.remove(pid);
                }
                LOG.info(source + ": loading model " + name + " from " + spec.modelDir);
                served.open(name, spec.modelDir.toAbsolutePath().toString(), source, spec.settings(), loader,
                        ModelSlot.UNTIL_REGISTERED, true);
            }
            applied.put(pid, new Applied(name, source, spec));
        } catch (IllegalArgumentException e) {
            LOG.severe(source + ": " + e.getMessage() + "; no model loaded");
        } finally {
            sourcesSeen.add(source);
        }
    }

    @Override
    public synchronized void deleted(String pid) {
        received.remove(pid);
        unload(pid);
    }

    private void unload(String pid) {
        Applied gone = applied.remove(pid);
        if (gone != null) {
            LOG.info(gone.source() + (received.containsKey(pid) ? ": serve ended, unloading model "
                    : " was deleted: unloading model ") + gone.name());
            served.close(gone.name(), received.containsKey(pid) ? "serve ended" : gone.source() + " was deleted");
        }
    }

    /** Whether a configuration (by file name, or PID without a file) has been received, applied or not. */
    boolean seen(String source) {
        return sourcesSeen.contains(source);
    }

    /** The {@code --max-num-seqs} of every model configured now (the HTTP thread pool is sized by their sum). */
    List<Integer> maxNumSeqs() {
        return applied.values().stream().map(a -> a.spec().engine.maxNumSeqs).toList();
    }

    /** Applies every configuration received so far, and the later ones as they come ({@code serve} starts). */
    synchronized void startServing() {
        serving = true;
        received.forEach(this::apply);
    }

    /** Unloads the configured models again, under the launcher ({@code serve} ends). */
    synchronized void stopServing() {
        if (deferred) {
            serving = false;
            List.copyOf(applied.keySet()).forEach(this::unload);
        }
    }

    @Deactivate
    synchronized void deactivate() {
        List.copyOf(applied.keySet()).forEach(this::unload);
    }

    /** The file name of a FileInstall configuration (its key is a URL or a path). */
    static String fileName(String location) {
        try {
            if (location.startsWith("file:")) {
                return Path.of(URI.create(location)).getFileName().toString();
            }
        } catch (IllegalArgumentException notAUri) {
            return Path.of(location).getFileName().toString();
        }
        return Path.of(location).getFileName().toString();
    }

    /**
     * The NAME of {@code ai.tessera.model-NAME.cfg}, or of the PID {@code ai.tessera.model~NAME} that Config Admin
     * gives a named factory configuration; null for anonymous ones.
     */
    static String nameOf(Object file, String pid) {
        if (file != null) {
            String fileName = fileName(file.toString());
            String prefix = FACTORY_PID + "-";
            int dot = fileName.lastIndexOf('.');
            if (fileName.startsWith(prefix) && dot > prefix.length()) {
                return fileName.substring(prefix.length(), dot);
            }
        }
        int tilde = pid.indexOf('~');
        return tilde >= 0 ? pid.substring(tilde + 1) : null;
    }
}
