package ai.tessera.boot;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * What the container has registered right now, for code outside the bundles (the launcher, tests, an
 * embedding application). Implemented by runtime-core over its plugin registry.
 */
@ProviderType
public interface RegistryView {
    /** Every registered plugin, sorted by kind and name. */
    List<PluginInfo> plugins();

    /** Bundles that did not start and components that failed to activate. */
    List<PluginProblem> problems();

    /**
     * The plugin registered under {@code name} for {@code kind}.
     *
     * @throws IllegalArgumentException naming the kind and name and listing the names registered now
     */
    PluginInfo resolve(PluginInfo.Kind kind, String name);

    /**
     * Loads the named architecture with random weights for a tiny configuration on the CPU and runs one
     * forward pass, so that a caller outside the container can check that the architecture's code works.
     *
     * @return a one-line description of the result, produced by the architecture's bundle
     */
    String smokeTest(String architecture, String tinyConfigJson);
}
