package ai.tessera.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SDK as a third party uses it (docs/plugin-sdk.md): {@code mvn archetype:generate} from the archetype this build
 * made, then {@code mvn verify} of the generated project, which compiles against the exported API, makes the bundle
 * with bnd and passes its unit tests. Generated with the example's parameters, its sources are
 * examples/example-architecture's, file for file: the example follows the SDK.
 */
class ArchetypeTest {
    private static final String VERSION = System.getProperty("tessera.version");
    private static final Path EXAMPLE = Artifacts.ROOT.resolve("examples/example-architecture");

    @TempDir
    Path work;

    @Test
    void generatedProjectBuildsAndIsTheExample() throws Exception {
        // What `mvn install` would have put into the local repository: the archetype, and runtime-core with its parent.
        Path head = Files.createDirectories(work.resolve("repository"));
        install(head, "tessera-parent", Artifacts.ROOT.resolve("pom.xml"), null);
        install(head, "runtime-core", Artifacts.ROOT.resolve("runtime-core/pom.xml"), Artifacts.jar("runtime-core"));
        install(head, "tessera-architecture-archetype", Artifacts.ROOT.resolve("sdk/architecture-archetype/pom.xml"),
                Artifacts.jar("sdk/architecture-archetype", "tessera-architecture-archetype"));

        Path projects = Files.createDirectories(work.resolve("projects"));
        NestedMaven.Result generated = NestedMaven.runWithHead(head, projects, Duration.ofSeconds(180),
                "org.apache.maven.plugins:maven-archetype-plugin:3.3.1:generate", "-DinteractiveMode=false",
                "-DarchetypeGroupId=ai.tessera", "-DarchetypeArtifactId=tessera-architecture-archetype",
                "-DarchetypeVersion=" + VERSION, "-DgroupId=ai.tessera", "-DartifactId=example-architecture",
                "-Dversion=" + VERSION, "-Dpackage=ai.tessera.examples.bigram", "-DclassName=BigramLanguageModel",
                "-Darchitecture=TesseraExampleBigramLM");
        assertEquals(0, generated.code(), generated.output());
        Path project = projects.resolve("example-architecture");

        NestedMaven.Result built = NestedMaven.runWithHead(head, project, Duration.ofSeconds(300), "verify");
        assertEquals(0, built.code(), built.output());
        assertTrue(built.output().contains("Tests run: 3, Failures: 0, Errors: 0, Skipped: 0"), built.output());
        Path jar = project.resolve("target/example-architecture-" + VERSION + ".jar");
        try (java.util.jar.JarFile bundle = new java.util.jar.JarFile(jar.toFile())) {
            java.util.jar.Attributes manifest = bundle.getManifest().getMainAttributes();
            assertEquals("ai.tessera.example-architecture", manifest.getValue("Bundle-SymbolicName"));
            assertTrue(manifest.getValue("Import-Package").startsWith("ai.tessera.api;version=\"[1.1,2)\""),
                    manifest.getValue("Import-Package"));
            assertTrue(bundle.getEntry("OSGI-INF/ai.tessera.examples.bigram.BigramLanguageModel.xml") != null);
        }

        List<String> files = sources(project);
        assertEquals(sources(EXAMPLE), files, "the example has exactly the generated files");
        for (String file : files) {
            assertEquals(Files.readString(project.resolve(file)), Files.readString(EXAMPLE.resolve(file)),
                    file + " of examples/example-architecture differs from the archetype's output");
        }
    }

    /** The files that the archetype generates apart from the POM: src/ and bnd.bnd, as relative paths. */
    private static List<String> sources(Path project) throws IOException {
        try (Stream<Path> files = Files.walk(project.resolve("src"))) {
            List<String> list = files.filter(Files::isRegularFile).map(p -> project.relativize(p).toString())
                    .sorted().collect(Collectors.toList());
            list.add(0, "bnd.bnd");
            return list;
        }
    }

    /** Lays out a POM (and jar) as {@code mvn install} does in a local repository. */
    private static void install(Path repository, String artifact, Path pom, Path jar) throws IOException {
        Path dir = Files.createDirectories(repository.resolve("ai/tessera").resolve(artifact).resolve(VERSION));
        Files.copy(pom, dir.resolve(artifact + "-" + VERSION + ".pom"));
        if (jar != null) {
            Files.copy(jar, dir.resolve(artifact + "-" + VERSION + ".jar"));
        }
    }
}
