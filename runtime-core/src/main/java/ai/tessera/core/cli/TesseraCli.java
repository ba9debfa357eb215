package ai.tessera.core.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import ai.tessera.boot.CommandService;
import ai.tessera.boot.RegistryView;
import ai.tessera.core.registry.PluginRegistry;
import ai.tessera.core.server.ServedModels;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import picocli.CommandLine;

/** The {@code tessera} command line, run inside the container on behalf of the launcher. */
// Immediate: the launcher holds this object for a whole `serve`; a delayed component would be deactivated
// as soon as the launcher's service tracker let go of it.
@Component(service = CommandService.class, immediate = true)
public class TesseraCli implements CommandService {
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(TesseraCli.class.getName());
    private final PluginRegistry registry;
    private final RegistryView view;
    private final ConfigurationAdmin configAdmin;
    private final ServedModels served;
    private final ModelConfigurations configurations;
    /** The folder of model configurations that FileInstall watches ({@code tessera.etc}), if any. */
    private final java.nio.file.Path etc;
    private final String version;
    /** Released when the container stops, so that a blocking {@code serve} returns. */
    private final CountDownLatch stopped = new CountDownLatch(1);
    /** Whether a {@code serve} runs, and its end (after its models drained). */
    private final ServeCommand.Running serving = new ServeCommand.Running();

    @Activate
    public TesseraCli(@Reference PluginRegistry registry, @Reference RegistryView view,
                      @Reference ConfigurationAdmin configAdmin, @Reference ServedModels served,
                      @Reference ModelConfigurations configurations, BundleContext context) {
        this.served = served;
        this.configurations = configurations;
        String etcFolder = context.getProperty("tessera.etc");
        this.etc = etcFolder == null ? null : java.nio.file.Path.of(etcFolder);
        this.registry = registry;
        this.view = view;
        this.configAdmin = configAdmin;
        this.version = context.getBundle().getVersion().toString();
    }

    @Deactivate
    void deactivate() {
        stopped.countDown();
    }

    /** {@code serve}: new requests get a 503, those in flight finish (each model's drain timeout), then it returns. */
    @Override
    public void shutdown(java.time.Duration timeout) throws InterruptedException {
        if (!serving.active()) {
            return;
        }
        served.refuseNewRequests("the server is shutting down");
        LOG.info("shutting down: new requests are refused, those in flight may finish");
        stopped.countDown();
        if (!serving.awaitEnd(timeout)) {
            LOG.warning("serve did not end within " + timeout.toSeconds() + " s of the shutdown; stopping anyway");
        }
    }

    @Override
    public int execute(List<String> args, PrintStream out, PrintStream err) {
        PrintWriter outWriter = new PrintWriter(out, true);
        PrintWriter errWriter = new PrintWriter(err, true);
        CommandLine cli = new CommandLine(new RootCommand())
                .addSubcommand(new PluginsCommand(view))
                .addSubcommand(new ResolveCommand(registry))
                .addSubcommand(new ServeCommand(registry, served, configurations, configAdmin, etc, stopped, serving))
                .addSubcommand(new GenerateCommand(registry))
                .addSubcommand(new BenchCommand(registry))
                .setOut(outWriter).setErr(errWriter)
                .setParameterExceptionHandler(TesseraCli::badUsage)
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    // Errors a user can act on are printed as one line; no stack trace reaches the terminal.
                    errWriter.println("tessera " + cmd.getCommandName() + ": " + e.getMessage());
                    LOG.log(java.util.logging.Level.FINE, "tessera " + cmd.getCommandName() + " failed", e);
                    return 1;
                });
        cli.getCommandSpec().version("tessera " + version);
        int code = cli.execute(args.toArray(String[]::new));
        outWriter.flush();
        errWriter.flush();
        return code;
    }

    /**
     * Bad usage (an unknown flag, a value of the wrong kind, a missing one): one line that says what is wrong and
     * where the usage is, exit code 2, rather than the whole usage text after the error.
     */
    private static int badUsage(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        String command = cmd.getCommandSpec().qualifiedName();
        err.println(command + ": " + e.getMessage() + " (see '" + command + " --help')");
        CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
        return cmd.getCommandSpec().exitCodeOnInvalidInput();
    }

    @CommandLine.Command(name = "tessera", mixinStandardHelpOptions = true,
            description = "Serves multimodal LLMs from Hugging Face model folders in an OSGi container.",
            subcommandsRepeatable = false)
    static final class RootCommand implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            spec.commandLine().usage(spec.commandLine().getOut());
        }
    }
}
