package ai.tessera.gemma4;

/** The two kinds of Gemma 4 decoder layer, by their {@code layer_types} names. */
enum LayerType {
    /** Local attention over the last {@code sliding_window} positions, {@code head_dim} wide, default RoPE. */
    SLIDING("sliding_attention"),
    /** Attention over the whole context, {@code global_head_dim} wide, proportional RoPE. */
    FULL("full_attention");

    private final String configName;

    LayerType(String configName) {
        this.configName = configName;
    }

    /** The name in {@code layer_types} and {@code rope_parameters}. */
    String configName() {
        return configName;
    }

    static LayerType of(String name) {
        for (LayerType type : values()) {
            if (type.configName.equals(name)) {
                return type;
            }
        }
        return null;
    }
}
