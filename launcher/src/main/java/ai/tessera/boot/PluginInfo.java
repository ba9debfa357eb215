package ai.tessera.boot;

/** One registered plugin: its kind, the name it is resolved by, and the bundle that provides it. */
public record PluginInfo(Kind kind, String name, String bundle, String version, boolean available, String detail) {
    /** The kinds of service a bundle can contribute; {@link #property()} is the name property of each. */
    public enum Kind {
        ARCHITECTURE("tessera.architecture"),
        MULTIMODAL_PROCESSOR("tessera.multimodal-processor"),
        REASONING_PARSER("tessera.reasoning-parser"),
        TOOL_PARSER("tessera.tool-parser"),
        PLATFORM("tessera.platform"),
        ATTENTION_BACKEND("tessera.attention");

        private final String property;

        Kind(String property) {
            this.property = property;
        }

        public String property() {
            return property;
        }

        /** The lower-case, hyphenated form used in tables and JSON, e.g. {@code reasoning-parser}. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }
}
