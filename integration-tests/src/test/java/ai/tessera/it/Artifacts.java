package ai.tessera.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** The jars the reactor built, found under the repository root that surefire passes as {@code tessera.root}. */
final class Artifacts {
    static final Path ROOT = Path.of(System.getProperty("tessera.root", "..")).toAbsolutePath().normalize();

    /** The deployable bundles of the product, as the distribution put them in the deploy folder. */
    static final List<String> PRODUCT_BUNDLES = List.of("runtime-core", "model-phi4", "model-phi4mm", "model-qwen25vl",
            "model-gemma4", "parsers", "platform-cuda", "platform-rocm");

    private Artifacts() {
    }

    /** The built jar of a module, e.g. {@code runtime-core} or {@code examples/example-architecture}. */
    static Path jar(String modulePath) {
        return jar(modulePath, modulePath.substring(modulePath.lastIndexOf('/') + 1));
    }

    /** The built jar of a module whose artifactId is not its folder's name. */
    static Path jar(String modulePath, String artifact) {
        Path target = ROOT.resolve(modulePath).resolve("target");
        try (Stream<Path> files = Files.list(target)) {
            List<Path> jars = files.filter(p -> {
                String n = p.getFileName().toString();
                return n.startsWith(artifact + "-") && n.endsWith(".jar") && !n.endsWith("-sources.jar")
                        && !n.endsWith("-tests.jar");
            }).collect(Collectors.toList());
            if (jars.size() != 1) {
                throw new IllegalStateException("expected one jar of " + modulePath + " in " + target + ", found " + jars);
            }
            return jars.get(0);
        } catch (IOException e) {
            throw new UncheckedIOException("build " + modulePath + " first (./mvnw install)", e);
        }
    }

    /**
     * A copy of {@code jar} whose manifest says {@code Bundle-Version: version} and which carries nothing else new:
     * the second version of a third-party bundle, as its author would ship it.
     */
    static void withVersion(Path jar, String version, Path target) throws IOException {
        try (JarInputStream in = new JarInputStream(Files.newInputStream(jar))) {
            Manifest manifest = new Manifest(in.getManifest());
            manifest.getMainAttributes().put(new Attributes.Name("Bundle-Version"), version);
            Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
            try (OutputStream os = Files.newOutputStream(tmp); JarOutputStream out = new JarOutputStream(os, manifest)) {
                JarEntry entry;
                while ((entry = in.getNextJarEntry()) != null) {
                    out.putNextEntry(new JarEntry(entry.getName()));
                    in.transferTo(out);
                    out.closeEntry();
                }
            }
            // FileInstall must see a complete jar: write aside, then move into place.
            Files.move(tmp, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
    }

    static void copyInto(Path jar, Path folder, String name) throws IOException {
        Path tmp = folder.resolve(name + ".tmp");
        try (InputStream in = Files.newInputStream(jar)) {
            Files.copy(in, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        Files.move(tmp, folder.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
}
