package ai.tessera.core.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import ai.tessera.api.ModelLoadException;
import ai.tessera.core.config.HfConfigLoader;
import ai.tessera.core.config.JsonModelConfig;
import ai.tessera.core.registry.PluginRegistry;
import ai.tessera.core.registry.Registration;
import ai.tessera.core.resolve.Resolver;
import picocli.CommandLine;

/** The options that say which model to run and how to find its architecture (vLLM's names). */
final class ModelOptions {
    @CommandLine.Option(names = "--hf-overrides", paramLabel = "JSON",
            description = "A JSON object deep-merged into config.json, e.g. '{\"architectures\":[\"Phi3ForCausalLM\"]}'.")
    String hfOverrides;

    @CommandLine.Option(names = "--wait-for-plugins", paramLabel = "SECONDS", defaultValue = "0",
            description = "Wait this long for the model's architecture to be registered instead of failing at once.")
    long waitForPlugins;

    /** The model's configuration; errors name the folder or the bad JSON. */
    JsonModelConfig config(Path modelDir) throws ModelLoadException {
        if (!Files.isDirectory(modelDir)) {
            throw new ModelLoadException("Model folder " + modelDir + " does not exist");
        }
        return HfConfigLoader.load(modelDir, hfOverrides);
    }

    /** The registration of the architecture named by {@code architectures[0]}, waiting if asked to. */
    Registration architecture(PluginRegistry registry, JsonModelConfig config) throws InterruptedException {
        return architecture(registry, config, pluginWait());
    }

    /** The registration of the architecture named by {@code architectures[0]}, waiting up to {@code wait}. */
    Registration architecture(PluginRegistry registry, JsonModelConfig config, Duration wait) throws InterruptedException {
        return new Resolver(registry).architecture(config.architecture(), wait);
    }

    /** {@code --wait-for-plugins} as a duration. */
    Duration pluginWait() {
        if (waitForPlugins < 0) {
            throw new IllegalArgumentException("--wait-for-plugins must be zero or more seconds, got " + waitForPlugins);
        }
        return Duration.ofSeconds(waitForPlugins);
    }
}
