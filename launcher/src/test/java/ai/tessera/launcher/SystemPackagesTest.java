package ai.tessera.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SystemPackagesTest {

    @Test
    void bootApiVersionIsReadFromExportPackage() {
        assertEquals("1.2.3", Container.bootApiVersion("ai.tessera.boot;version=\"1.2.3\""));
        assertEquals("2.0.0", Container.bootApiVersion(
                "ai.tessera.other;version=\"9.0.0\";uses:=\"a.b,c.d\",ai.tessera.boot;uses:=\"x.y,z\";version=\"2.0.0\""));
        IllegalStateException none = assertThrows(IllegalStateException.class,
                () -> Container.bootApiVersion("ai.tessera.bootstrap;version=\"1.0.0\""));
        assertTrue(none.getMessage().contains("exports no versioned ai.tessera.boot"), none.getMessage());
    }

    /** The framework exports the boot API at the version bnd wrote from its package-info, then the native packages. */
    @Test
    void systemPackagesStartWithTheBootApiAtItsManifestVersion() {
        String packages = Container.systemPackagesExtra();
        assertTrue(packages.startsWith("ai.tessera.boot;version=" + Container.bootApiVersion() + ","), packages);
        assertTrue(Container.bootApiVersion().matches("[1-9][0-9]*\\.[0-9]+\\.[0-9]+"), Container.bootApiVersion());
        assertTrue(packages.contains("org.bytedeco.pytorch;version="), packages);
    }
}
