package ai.tessera.launcher;

/**
 * Prints the packages that the framework must export from its class path to Tessera's bundles (the boot API and the
 * native libraries), in the syntax of {@code org.osgi.framework.system.packages.extra}: for other OSGi containers,
 * e.g. Apache Karaf's {@code etc/config.properties} (tools/karaf/install-into-karaf.sh).
 */
public final class SystemPackages {
    private SystemPackages() {
    }

    public static void main(String[] args) {
        System.out.println(Container.systemPackagesExtra());
    }
}
