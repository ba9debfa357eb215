package ai.tessera.core.registry;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import ai.tessera.boot.PluginInfo.Kind;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;

/** One service registered under one name, with the service object the registry holds: what it indexes. */
public record Registration(Kind kind, String name, ServiceReference<?> reference, Object service) {

    public Bundle bundle() {
        return reference.getBundle();
    }

    public String bundleName() {
        Bundle b = reference.getBundle();
        return b == null ? "(gone)" : b.getSymbolicName();
    }

    public String bundleVersion() {
        Bundle b = reference.getBundle();
        return b == null ? "" : b.getVersion().toString();
    }

    /** The names a service is registered under: its name property may be a String, String[] or a collection. */
    static List<String> namesOf(ServiceReference<?> ref, Kind kind) {
        Object value = ref.getProperty(kind.property());
        List<String> names = new ArrayList<>();
        if (value instanceof String) {
            names.add((String) value);
        } else if (value instanceof String[]) {
            names.addAll(List.of((String[]) value));
        } else if (value instanceof Collection) {
            for (Object o : (Collection<?>) value) {
                names.add(String.valueOf(o));
            }
        }
        return names;
    }
}
