package ai.tessera.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import ai.tessera.boot.PluginInfo;
import ai.tessera.boot.PluginInfo.Kind;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;

/** The product's bundles in a real container: every service registered under its name, every bundle active. */
class ContainerRegistrationTest {
    private static TestContainer tessera;

    @BeforeAll
    static void start() throws Exception {
        tessera = TestContainer.start(Artifacts.PRODUCT_BUNDLES);
    }

    @AfterAll
    static void stop() throws Exception {
        tessera.close();
    }

    private static Set<String> names(Kind kind) {
        return tessera.registry.plugins().stream().filter(p -> p.kind() == kind).map(PluginInfo::name)
                .collect(Collectors.toSet());
    }

    private static PluginInfo row(Kind kind, String name) {
        return tessera.registry.plugins().stream().filter(p -> p.kind() == kind && p.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError(kind + " " + name + " not registered"));
    }

    @Test
    void everyBundleIsActive() {
        for (Bundle bundle : tessera.container.context().getBundles()) {
            boolean fragment = bundle.getHeaders().get("Fragment-Host") != null;
            assertEquals(fragment ? Bundle.RESOLVED : Bundle.ACTIVE, bundle.getState(), bundle.getSymbolicName()
                    + " is not active: " + tessera.container.describeBundles());
        }
        assertEquals(List.of(), tessera.registry.problems());
    }

    @Test
    void platformsAndAttentionBackendsAreRegisteredByName() {
        assertTrue(names(Kind.PLATFORM).containsAll(Set.of("cpu", "cuda", "rocm")), names(Kind.PLATFORM).toString());
        assertTrue(names(Kind.ATTENTION_BACKEND).containsAll(Set.of("sdpa", "paged")),
                names(Kind.ATTENTION_BACKEND).toString());
        // the paged backend (platform-cuda) activates once the sdpa backend it hands prefill to is there
        assertEquals("ai.tessera.platform-cuda", tessera.registry.resolve(Kind.ATTENTION_BACKEND, "paged").bundle());
        PluginInfo cpu = tessera.registry.resolve(Kind.PLATFORM, "cpu");
        assertEquals("ai.tessera.runtime-core", cpu.bundle());
        PluginInfo cuda = tessera.registry.resolve(Kind.PLATFORM, "cuda");
        assertEquals("ai.tessera.platform-cuda", cuda.bundle());
        PluginInfo rocm = tessera.registry.resolve(Kind.PLATFORM, "rocm");
        assertEquals("ai.tessera.platform-rocm", rocm.bundle());
    }

    @Test
    void platformsSayWhyTheyAreUnavailable() {
        PluginInfo cpu = row(Kind.PLATFORM, "cpu");
        assertTrue(cpu.available());
        PluginInfo rocm = row(Kind.PLATFORM, "rocm");
        assertFalse(rocm.available(), "no ROCm libtorch on the test class path");
        assertTrue(rocm.detail().contains("ROCm"), rocm.detail());
    }

    @Test
    void everyArchitectureResolvesToTheBundleThatRegistersIt() {
        for (PluginInfo arch : tessera.registry.plugins()) {
            if (arch.kind() == Kind.ARCHITECTURE) {
                assertTrue(arch.bundle().startsWith("ai.tessera.model-"), arch.toString());
                assertEquals(arch.bundle(), tessera.registry.resolve(Kind.ARCHITECTURE, arch.name()).bundle());
            }
        }
    }

    @Test
    void pluginsCommandPrintsEveryRegistration() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = tessera.commands.execute(List.of("plugins"), new PrintStream(out, true, StandardCharsets.UTF_8),
                System.err);
        String table = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, table);
        for (PluginInfo p : tessera.registry.plugins()) {
            assertTrue(table.lines().anyMatch(l -> l.contains(p.name()) && l.contains(p.bundle())), p + "\n" + table);
        }
        assertTrue(table.contains("problems (0)"), table);
    }
}
