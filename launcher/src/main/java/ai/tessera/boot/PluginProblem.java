package ai.tessera.boot;

/** A bundle that failed to start, or a component of it that failed to activate, and why. */
public record PluginProblem(String bundle, String version, String component, String message) {
}
