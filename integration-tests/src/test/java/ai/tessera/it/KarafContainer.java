package ai.tessera.it;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A stock Apache Karaf, unpacked from the distribution that Maven downloaded, prepared as docs/karaf.md tells an
 * operator ({@code tools/karaf/install-into-karaf.sh}) and started as a server process. For the test it is made
 * hermetic: its ports are free ones, Maven Central is removed from its repositories (everything must come from
 * {@code system/}, as the install script laid it out) and a user is enabled for {@code bin/client}.
 */
final class KarafContainer implements AutoCloseable {
    private static final String USER = "karaf";

    private final Path home;
    private final Path out;
    private Process process;

    private KarafContainer(Path home, Path out) {
        this.home = home;
        this.out = out;
    }

    /** Unpacks {@code distribution} (apache-karaf-X.tar.gz) into {@code dir} and runs the install script on it. */
    static KarafContainer prepare(Path distribution, Path dir) throws IOException, InterruptedException {
        run(Files.createDirectories(dir), Duration.ofSeconds(120), "tar", "xzf", distribution.toString());
        Path home;
        try (Stream<Path> entries = Files.list(dir)) {
            home = entries.filter(p -> p.getFileName().toString().startsWith("apache-karaf")).findFirst()
                    .orElseThrow(() -> new AssertionError("no apache-karaf folder in " + distribution));
        }
        String installed = run(Artifacts.ROOT, Duration.ofSeconds(120), "bash",
                Artifacts.ROOT.resolve("tools/karaf/install-into-karaf.sh").toString(), home.toString());
        if (!installed.contains("feature:install tessera")) {
            throw new AssertionError("the install script did not finish as documented:\n" + installed);
        }
        KarafContainer karaf = new KarafContainer(home, dir.resolve("karaf.out"));
        karaf.configureForTest(dir);
        return karaf;
    }

    private void configureForTest(Path dir) throws IOException {
        Path etc = home.resolve("etc");
        setProperty(etc.resolve("org.apache.karaf.shell.cfg"), "sshPort", Integer.toString(freePort()));
        setProperty(etc.resolve("org.apache.karaf.management.cfg"), "rmiRegistryPort", Integer.toString(freePort()));
        setProperty(etc.resolve("org.apache.karaf.management.cfg"), "rmiServerPort", Integer.toString(freePort()));
        // Offline: no remote repository, and an empty local one instead of the user's ~/.m2.
        Path mvn = etc.resolve("org.ops4j.pax.url.mvn.cfg");
        setProperty(mvn, "org.ops4j.pax.url.mvn.repositories", "");
        setProperty(mvn, "org.ops4j.pax.url.mvn.localRepository",
                Files.createDirectories(dir.resolve("empty-m2")).toString());
        Files.writeString(etc.resolve("users.properties"), USER + " = " + USER + ",_g_:admingroup\n"
                + "_g_\\:admingroup = group,admin,manager,viewer,systembundles,ssh\n", StandardCharsets.UTF_8);
    }

    /** Replaces {@code key} (with its continuation lines) in a properties file, or appends it. */
    static void setProperty(Path file, String key, String value) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        List<String> result = new ArrayList<>();
        boolean continuation = false;
        for (String line : lines) {
            if (continuation) {
                continuation = line.endsWith("\\");
                continue;
            }
            if (line.matches("\\s*" + java.util.regex.Pattern.quote(key) + "\\s*=.*")) {
                continuation = line.endsWith("\\");
                continue;
            }
            result.add(line);
        }
        result.add(key + " = " + value);
        Files.write(file, result, StandardCharsets.UTF_8);
    }

    Path home() {
        return home;
    }

    void start() throws IOException {
        ProcessBuilder builder = new ProcessBuilder(home.resolve("bin/karaf").toString(), "server").directory(home.toFile())
                .redirectErrorStream(true).redirectOutput(out.toFile());
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        // The script then execs the JVM instead of waiting on it, so that the process handle is Karaf itself.
        builder.environment().put("KARAF_EXEC", "exec");
        builder.environment().remove("TESSERA_API_KEY");
        process = builder.start();
        process.getOutputStream().close();
    }

    /**
     * Runs Karaf shell commands through {@code bin/client} (SSH, retried until Karaf listens), failing with the
     * output and the log when a command fails.
     */
    String shell(Duration limit, String... commands) throws IOException, InterruptedException {
        Path script = Files.writeString(Files.createTempFile(out.getParent(), "commands-", ".txt"),
                String.join("\n", commands) + "\n", StandardCharsets.UTF_8);
        String port = property(home.resolve("etc/org.apache.karaf.shell.cfg"), "sshPort");
        ProcessBuilder builder = new ProcessBuilder(home.resolve("bin/client").toString(), "-a", port, "-u", USER,
                "-p", USER, "-r", "90", "-d", "1", "-b").directory(home.toFile())
                .redirectInput(script.toFile()).redirectErrorStream(true);
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Path output = Files.createTempFile(out.getParent(), "client-", ".txt");
        Process client = builder.redirectOutput(output.toFile()).start();
        if (!client.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            client.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("bin/client " + List.of(commands) + " did not finish within " + limit + "\n" + logs());
        }
        String text = Files.readString(output, StandardCharsets.UTF_8);
        if (client.exitValue() != 0 || text.contains("Error executing command")) {
            throw new AssertionError("bin/client " + List.of(commands) + " exited with " + client.exitValue() + ":\n"
                    + text + "\n" + logs());
        }
        return text;
    }

    void writeConfig(String pid, String text) throws IOException {
        // Written aside and moved, so that FileInstall never reads half a file.
        Path target = home.resolve("etc/" + pid + ".cfg");
        Path tmp = home.resolve(pid + ".cfg.tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    void deleteConfig(String pid) throws IOException {
        Files.delete(home.resolve("etc/" + pid + ".cfg"));
    }

    boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** The console output and the end of Karaf's log, for failure messages. */
    String logs() throws IOException {
        Path log = home.resolve("data/log/karaf.log");
        String tail = Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8).stream()
                .skip(Math.max(0, Files.readAllLines(log, StandardCharsets.UTF_8).size() - 60))
                .collect(Collectors.joining("\n")) : "(no data/log/karaf.log)";
        String console = Files.exists(out) ? Files.readString(out, StandardCharsets.UTF_8) : "";
        return "--- karaf console:\n" + console + "\n--- karaf.log (end):\n" + tail;
    }

    @Override
    public void close() throws IOException, InterruptedException {
        if (process == null) {
            return;
        }
        // KARAF_EXEC=exec made the process Karaf's JVM: TERM runs its shutdown hooks, which stop the framework.
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static String property(Path file, String key) throws IOException {
        java.util.Properties props = new java.util.Properties();
        try (var in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            props.load(in);
        }
        return props.getProperty(key).trim();
    }

    private static String run(Path dir, Duration limit, String... command) throws IOException, InterruptedException {
        Path output = Files.createTempFile("karaf-it-", ".txt");
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(output.toFile()).start();
            if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError(List.of(command) + " did not finish within " + limit);
            }
            String text = Files.readString(output, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new AssertionError(List.of(command) + " exited with " + p.exitValue() + ":\n" + text);
            }
            return text;
        } finally {
            Files.deleteIfExists(output);
        }
    }
}
