package ai.tessera.core.server;

import java.util.Optional;
import java.util.logging.Logger;

import ai.tessera.boot.PluginInfo.Kind;
import ai.tessera.core.registry.PluginRegistry;
import ai.tessera.core.registry.Registration;

/**
 * A plugin a served model uses by name (its reasoning or tool-call parser), looked up in the registry at each
 * request rather than held: when its bundle is removed the feature turns off with a logged warning instead of
 * calling into an uninstalled bundle, and when the bundle comes back (or a new version arrives) it turns on again.
 */
public final class NamedPlugin<T> {
    private static final Logger LOG = Logger.getLogger(NamedPlugin.class.getName());

    private final PluginRegistry registry;
    private final Kind kind;
    private final String name;
    private final Class<T> type;
    private volatile boolean missing;

    private NamedPlugin(PluginRegistry registry, Kind kind, String name, Class<T> type) {
        this.registry = registry;
        this.kind = kind;
        this.name = name;
        this.type = type;
    }

    public static <T> NamedPlugin<T> of(PluginRegistry registry, Kind kind, String name, Class<T> type) {
        return new NamedPlugin<>(registry, kind, name, type);
    }

    /** No plugin configured. */
    public static <T> NamedPlugin<T> none(Class<T> type) {
        return new NamedPlugin<>(null, null, null, type);
    }

    public boolean configured() {
        return name != null;
    }

    public String name() {
        return name;
    }

    /** The plugin registered under the name now, or empty (logged once per disappearance). */
    public Optional<T> current() {
        if (name == null) {
            return Optional.empty();
        }
        Optional<Registration> found = registry.find(kind, name);
        if (found.isEmpty()) {
            if (!missing) {
                missing = true;
                LOG.warning(kind.label() + " " + name + " is no longer registered (its bundle was removed or is being"
                        + " updated): requests are served without it until it comes back");
            }
            return Optional.empty();
        }
        if (missing) {
            missing = false;
            LOG.info(kind.label() + " " + name + " is registered again, from " + found.get().bundleName() + " "
                    + found.get().bundleVersion() + ": requests use it again");
        }
        return Optional.of(registry.service(found.get(), type));
    }
}
