package ai.tessera.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import ai.tessera.boot.CommandService;
import ai.tessera.boot.RegistryView;
import ai.tessera.launcher.Container;
import ai.tessera.launcher.ContainerSettings;

/** A real container (Felix, SCR, Config Admin, FileInstall, HTTP) in this JVM, on a deploy folder of its own. */
final class TestContainer implements AutoCloseable {
    final Path deployFolder;
    /** The folder of configurations (FileInstall watches it too): etc/ of this container. */
    final Path configFolder;
    final Container container;
    final RegistryView registry;
    final CommandService commands;
    private final Path work;

    private TestContainer(Path work, Path deployFolder, Container container) throws Exception {
        this.work = work;
        this.deployFolder = deployFolder;
        this.configFolder = container.settings().configFolder();
        this.container = container;
        this.registry = container.awaitService(RegistryView.class, Duration.ofSeconds(60));
        this.commands = container.awaitService(CommandService.class, Duration.ofSeconds(60));
        container.awaitSettled(Duration.ofSeconds(60));
    }

    /** Starts a container whose deploy folder holds the given modules' jars. */
    static TestContainer start(List<String> modules) throws Exception {
        return start(modules, Map.of());
    }

    /** Starts a container whose deploy folder holds the given modules' jars and etc/ the given files. */
    static TestContainer start(List<String> modules, Map<String, String> configFiles) throws Exception {
        Path work = Files.createTempDirectory("tessera-it-");
        Path etc = Files.createDirectories(work.resolve("etc"));
        for (Map.Entry<String, String> file : configFiles.entrySet()) {
            Files.writeString(etc.resolve(file.getKey()), file.getValue());
        }
        Path deploy = Files.createDirectories(work.resolve("bundles"));
        for (String module : modules) {
            Path jar = Artifacts.jar(module);
            Files.copy(jar, deploy.resolve(jar.getFileName()));
        }
        ContainerSettings settings = ContainerSettings.forHome(Artifacts.ROOT, work.resolve("felix-cache"))
                .withDeployFolder(deploy).withConfigFolder(etc);
        return new TestContainer(work, deploy, Container.start(settings));
    }

    /** Polls {@code condition} until it holds; FileInstall and DS work asynchronously. */
    static void await(String what, BooleanSupplier condition) throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("timed out waiting until " + what);
            }
            Thread.sleep(100);
        }
    }

    @Override
    public void close() throws IOException {
        container.close();
        try (Stream<Path> files = Files.walk(work)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
