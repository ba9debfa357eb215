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
 * The {@code tessera} launcher script run as a separate process on a deploy folder of its own, so that a rebuild
 * of the shared {@code bundles/} (hot deployment) cannot restart the container under a test. Output goes to files:
 * a full pipe would block a chatty process.
 */
final class TesseraProcess {
    private TesseraProcess() {
    }

    /** What a finished process printed and returned. */
    record Result(int code, String out, String err) {
    }

    /** A deploy folder under {@code dir} holding the product bundles, as the distribution lays them out. */
    static Path deployFolder(Path dir) throws IOException {
        Path deploy = Files.createDirectories(dir.resolve("bundles"));
        for (String module : Artifacts.PRODUCT_BUNDLES) {
            Path jar = Artifacts.jar(module);
            Files.copy(jar, deploy.resolve(jar.getFileName()));
        }
        return deploy;
    }

    static ProcessBuilder command(Path deploy, List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(Artifacts.ROOT.resolve("tessera").toString());
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).directory(Artifacts.ROOT.toFile());
        // A folder of configurations of its own too: model configurations in the repository's etc/ stay out.
        builder.environment().put("TESSERA_JAVA_OPTS", "-Dtessera.bundles=" + deploy + " -Dtessera.etc="
                + deploy.resolveSibling("etc"));
        // A key in the caller's environment would change what serve requires.
        builder.environment().remove("TESSERA_API_KEY");
        return builder;
    }

    /** Runs {@code tessera args...} to its end, failing if it takes longer than {@code limit}. */
    static Result run(Path deploy, Duration limit, String... args) throws IOException, InterruptedException {
        Path out = Files.createTempFile("tessera-out-", ".txt");
        Path err = Files.createTempFile("tessera-err-", ".txt");
        try {
            Process process = command(deploy, List.of(args)).redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(nullFile())).start();
            if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError("tessera " + String.join(" ", args) + " did not finish within " + limit
                        + "; it printed: " + Files.readString(err, StandardCharsets.UTF_8));
            }
            return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    private static java.io.File nullFile() {
        return new java.io.File(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
    }
}
