package ai.tessera.it;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bnd baselining fails the build on an incompatible API change. A copy of {@code ai.tessera.api} with one method
 * removed from an interface and the package version left as it is, built as a bundle of its own and baselined
 * (bnd-baseline-maven-plugin, configured as runtime-core is) against the committed baseline of runtime-core, fails
 * its build, and the report names the method and the version the package would need. The unchanged API passing is
 * runtime-core's own baseline check, earlier in the same build.
 */
class ApiBaselineTest {
    private static final Path API = Artifacts.ROOT.resolve("runtime-core/src/main/java/ai/tessera/api");
    private static final String REMOVED = "    Optional<Path> modelDirectory();\n";

    @TempDir
    Path work;

    @Test
    void aRemovedMethodFailsTheBuild() throws Exception {
        Path project = probe(work.resolve("probe"));
        Path context = project.resolve("src/main/java/ai/tessera/api/ModelContext.java");
        String source = Files.readString(context, StandardCharsets.UTF_8);
        assertTrue(source.contains(REMOVED), "ModelContext declares modelDirectory(): " + source);
        Files.writeString(context, source.replace(REMOVED, ""), StandardCharsets.UTF_8);

        NestedMaven.Result broken = NestedMaven.runWithHead(Files.createDirectories(work.resolve("repository")), project,
                Duration.ofSeconds(240), "verify", "-DskipTests");
        assertNotEquals(0, broken.code(), broken.output());
        String out = broken.output();
        assertTrue(out.contains("Baseline problems detected"), out);
        assertTrue(out.matches("(?s).*\\* ai\\.tessera\\.api\\s+PACKAGE\\s+MAJOR\\s+1\\.1\\.0\\s+1\\.0\\.0\\s+2\\.0\\.0.*"),
                "the package needs 2.0.0:\n" + out);
        assertTrue(out.contains("modelDirectory()"), "the report names the removed method:\n" + out);
    }

    /** A bundle project holding a copy of the API package, with runtime-core's baseline configuration. */
    private static Path probe(Path dir) throws IOException {
        Path sources = Files.createDirectories(dir.resolve("src/main/java/ai/tessera/api"));
        try (Stream<Path> files = Files.list(API)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Files.copy(file, sources.resolve(file.getFileName()));
            }
        }
        String pom = """
                <?xml version="1.0" encoding="UTF-8"?>
                <project xmlns="http://maven.apache.org/POM/4.0.0">
                  <modelVersion>4.0.0</modelVersion>
                  <parent><groupId>ai.tessera</groupId><artifactId>tessera-parent</artifactId><version>%s</version>
                    <relativePath>%s</relativePath></parent>
                  <artifactId>api-baseline-probe</artifactId>
                  <repositories>
                    <repository><id>tessera-api-baseline</id><url>%s</url>
                      <releases><enabled>true</enabled></releases><snapshots><enabled>false</enabled></snapshots></repository>
                  </repositories>
                  <dependencies>
                    <dependency><groupId>org.bytedeco</groupId><artifactId>pytorch</artifactId><scope>provided</scope></dependency>
                    <dependency><groupId>org.bytedeco</groupId><artifactId>javacpp</artifactId><scope>provided</scope></dependency>
                    <dependency><groupId>org.osgi</groupId><artifactId>osgi.annotation</artifactId></dependency>
                  </dependencies>
                  <build>
                    <plugins>
                      <plugin><groupId>biz.aQute.bnd</groupId><artifactId>bnd-maven-plugin</artifactId></plugin>
                      <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-jar-plugin</artifactId>
                        <configuration><archive><manifestFile>${project.build.outputDirectory}/META-INF/MANIFEST.MF</manifestFile></archive></configuration></plugin>
                      <plugin><groupId>biz.aQute.bnd</groupId><artifactId>bnd-baseline-maven-plugin</artifactId>
                        <configuration>
                          <base><groupId>ai.tessera</groupId><artifactId>runtime-core</artifactId></base>
                          <diffpackages><diffpackage>ai.tessera.api</diffpackage></diffpackages>
                        </configuration></plugin>
                    </plugins>
                  </build>
                </project>
                """.formatted(System.getProperty("tessera.version"), dir.relativize(Artifacts.ROOT.resolve("pom.xml")),
                Artifacts.ROOT.resolve("baseline/repository").toUri());
        Files.writeString(dir.resolve("pom.xml"), pom, StandardCharsets.UTF_8);
        return dir;
    }
}
