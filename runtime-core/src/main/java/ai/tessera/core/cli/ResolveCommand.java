package ai.tessera.core.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import ai.tessera.core.config.JsonModelConfig;
import ai.tessera.core.registry.PluginRegistry;
import ai.tessera.core.registry.Registration;
import picocli.CommandLine;

/** {@code tessera resolve MODEL_DIR}: which bundle would serve this model folder. */
@CommandLine.Command(name = "resolve", mixinStandardHelpOptions = true,
        description = "Prints the architecture of a model folder and the bundle that implements it.")
final class ResolveCommand implements Callable<Integer> {
    private final PluginRegistry registry;

    @CommandLine.Parameters(paramLabel = "MODEL_DIR", description = "A Hugging Face model folder (with config.json).")
    Path modelDir;

    @CommandLine.Mixin
    ModelOptions model = new ModelOptions();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    ResolveCommand(PluginRegistry registry) {
        this.registry = registry;
    }

    @Override
    public Integer call() throws Exception {
        JsonModelConfig config = model.config(modelDir);
        Registration r = model.architecture(registry, config);
        spec.commandLine().getOut().println(r.name() + " -> " + r.bundleName() + " " + r.bundleVersion());
        return 0;
    }
}
