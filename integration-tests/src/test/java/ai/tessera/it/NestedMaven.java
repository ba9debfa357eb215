package ai.tessera.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Maven run as a user runs it, on a project of a test's own: the repository's wrapper, offline, on the local
 * repository of the build that runs the test (everything it needs was downloaded by that build).
 */
final class NestedMaven {
    private NestedMaven() {
    }

    /** What the run printed and returned. */
    record Result(int code, String output) {
    }

    /**
     * Runs with {@code head} as the local repository and the build's as its read-only tail (Maven 3.9's chained
     * local repositories): artifacts a test installs into {@code head} are found first, the build's own repository
     * is never written to, and its artifacts are used whichever remote repository they came from (offline, a plain
     * local repository refuses those recorded as downloaded from a repository the nested project does not declare).
     */
    static Result runWithHead(Path head, Path dir, Duration limit, String... args) throws IOException, InterruptedException {
        return run(dir, limit, List.of("-Dmaven.repo.local=" + head, "-Dmaven.repo.local.tail=" + localRepository()), args);
    }

    private static Result run(Path dir, Duration limit, List<String> repositories, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Artifacts.ROOT.resolve("mvnw").toString(), "-o", "-B"));
        command.addAll(repositories);
        command.addAll(List.of(args));
        Path output = Files.createTempFile(dir, "maven-", ".log");
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(output.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().remove("MAVEN_OPTS");
        Process maven = builder.start();
        if (!maven.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            maven.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("mvn " + List.of(args) + " did not finish within " + limit + ":\n"
                    + Files.readString(output, StandardCharsets.UTF_8));
        }
        return new Result(maven.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
    }

    static String localRepository() {
        String repo = System.getProperty("tessera.it.localRepository");
        if (repo == null) {
            throw new IllegalStateException("surefire passes the build's local repository as tessera.it.localRepository");
        }
        return repo;
    }
}
