package ai.tessera.launcher;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where a container finds its pieces.
 *
 * @param systemBundles folder of the infrastructure bundles started first (SCR, Config Admin, FileInstall, HTTP)
 * @param deployFolder  folder that FileInstall watches: dropping a jar here installs it
 * @param configFolder  folder of configurations that FileInstall also watches: a file {@code PID.cfg} or
 *                      {@code FACTORY_PID-NAME.cfg} here is a Config Admin configuration (e.g. one served model)
 * @param storage       the framework's cache; wiped at start so that the deploy folder is the only truth
 * @param properties    extra framework properties (they win over the defaults)
 */
public record ContainerSettings(Path systemBundles, Path deployFolder, Path configFolder, Path storage,
                                Map<String, String> properties) {

    /** The layout that {@code ./mvnw install} assembles under the repository root. */
    public static ContainerSettings forHome(Path home, Path storage) {
        return new ContainerSettings(home.resolve("lib/system"), home.resolve("bundles"), home.resolve("etc"), storage,
                new LinkedHashMap<>());
    }

    public ContainerSettings withProperty(String key, String value) {
        Map<String, String> copy = new LinkedHashMap<>(properties);
        copy.put(key, value);
        return new ContainerSettings(systemBundles, deployFolder, configFolder, storage, copy);
    }

    public ContainerSettings withDeployFolder(Path folder) {
        return new ContainerSettings(systemBundles, folder, configFolder, storage, properties);
    }

    public ContainerSettings withConfigFolder(Path folder) {
        return new ContainerSettings(systemBundles, deployFolder, folder, storage, properties);
    }
}
