package ai.tessera.core.cli;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import ai.tessera.boot.PluginInfo;
import ai.tessera.boot.PluginProblem;
import ai.tessera.boot.RegistryView;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import picocli.CommandLine;

/** {@code tessera plugins}: everything registered in the container, as a table or as JSON. */
@CommandLine.Command(name = "plugins", mixinStandardHelpOptions = true,
        description = "Lists the registered architectures, processors, parsers, platforms and attention backends.")
final class PluginsCommand implements Callable<Integer> {
    private final RegistryView view;

    @CommandLine.Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    PluginsCommand(RegistryView view) {
        this.view = view;
    }

    @Override
    public Integer call() throws Exception {
        List<PluginInfo> plugins = view.plugins();
        List<PluginProblem> problems = view.problems();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(asJson(plugins, problems)));
        } else {
            out.print(PluginTable.render(plugins, problems));
        }
        out.flush();
        return 0;
    }

    /** {"architecture":[{name,bundle,version,...}], ..., "problems":[...]}, every kind present even when empty. */
    static Map<String, Object> asJson(List<PluginInfo> plugins, List<PluginProblem> problems) {
        Map<String, Object> root = new LinkedHashMap<>();
        for (PluginInfo.Kind kind : PluginInfo.Kind.values()) {
            root.put(kind.label(), plugins.stream().filter(p -> p.kind() == kind).map(p -> {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("name", p.name());
                row.put("bundle", p.bundle());
                row.put("version", p.version());
                if (kind == PluginInfo.Kind.PLATFORM) {
                    row.put("available", p.available());
                    row.put("detail", p.detail());
                }
                return row;
            }).toArray());
        }
        root.put("problems", problems);
        return root;
    }
}
