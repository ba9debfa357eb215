package ai.tessera.core.registry;

import java.util.ArrayList;
import java.util.List;

import ai.tessera.boot.PluginProblem;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/** What went wrong in the container: bundles that never resolved and components that failed to activate. */
public final class ProblemReport {
    private ProblemReport() {
    }

    public static List<PluginProblem> collect(BundleContext context, ServiceComponentRuntime scr) {
        List<PluginProblem> problems = new ArrayList<>();
        for (Bundle bundle : context.getBundles()) {
            boolean fragment = bundle.getHeaders().get(Constants.FRAGMENT_HOST) != null;
            if (bundle.getState() == Bundle.INSTALLED) {
                problems.add(new PluginProblem(bundle.getSymbolicName(), bundle.getVersion().toString(), "",
                        "installed but not resolved: a package it imports is missing (the log names it)"));
            } else if (bundle.getState() == Bundle.RESOLVED && !fragment) {
                problems.add(new PluginProblem(bundle.getSymbolicName(), bundle.getVersion().toString(), "",
                        "resolved but not started (its activator failed or it was stopped)"));
            }
        }
        for (ComponentDescriptionDTO description : scr.getComponentDescriptionDTOs()) {
            for (ComponentConfigurationDTO configuration : scr.getComponentConfigurationDTOs(description)) {
                if (configuration.state == ComponentConfigurationDTO.FAILED_ACTIVATION) {
                    problems.add(new PluginProblem(description.bundle.symbolicName, versionOf(context, description),
                            description.name, "failed to activate: " + firstLine(configuration.failure)));
                }
            }
        }
        return problems;
    }

    private static String versionOf(BundleContext context, ComponentDescriptionDTO description) {
        Bundle b = context.getBundle(description.bundle.id);
        return b == null ? "" : b.getVersion().toString();
    }

    /** SCR's failure text is a whole stack trace; its first line carries the message. */
    private static String firstLine(String failure) {
        if (failure == null) {
            return "unknown reason";
        }
        int end = failure.indexOf('\n');
        return (end < 0 ? failure : failure.substring(0, end)).trim();
    }
}
