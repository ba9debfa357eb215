package ai.tessera.nn;

/**
 * A dotted Hugging Face parameter path such as {@code model.layers.3.self_attn}, built the way the modules nest,
 * so that model code names its weights as the checkpoint does without string concatenation scattered about.
 */
public record WeightPrefix(String path) {
    public WeightPrefix {
        if (path == null || path.isEmpty() || path.startsWith(".") || path.endsWith(".")) {
            throw new IllegalArgumentException("a weight prefix must be a non-empty dotted path, got '" + path + "'");
        }
    }

    public static WeightPrefix of(String path) {
        return new WeightPrefix(path);
    }

    /** {@code model} → {@code model.layers}. */
    public WeightPrefix child(String name) {
        return new WeightPrefix(path + "." + name);
    }

    /** {@code model.layers} → {@code model.layers.3}. */
    public WeightPrefix child(int index) {
        return new WeightPrefix(path + "." + index);
    }

    /** The tensor {@code leaf} of this module, e.g. {@code model.norm.weight}. */
    public String tensor(String leaf) {
        return path + "." + leaf;
    }

    @Override
    public String toString() {
        return path;
    }
}
