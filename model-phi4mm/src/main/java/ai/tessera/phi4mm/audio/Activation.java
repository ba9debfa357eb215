package ai.tessera.phi4mm.audio;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** The activations the conformer's config names (the original code's {@code get_activation}). */
public enum Activation {
    SWISH, RELU, SIGMOID, GELU;

    /** {@code "swish"} (SiLU), {@code "relu"}, {@code "sigmoid"} or {@code "gelu"}. */
    public static Activation named(String name) {
        return switch (name) {
            case "swish", "silu" -> SWISH;
            case "relu" -> RELU;
            case "sigmoid" -> SIGMOID;
            case "gelu" -> GELU;
            default -> throw new IllegalArgumentException("unknown activation \"" + name
                    + "\"; expected swish, relu, sigmoid or gelu");
        };
    }

    Tensor apply(Tensor x) {
        return switch (this) {
            case SWISH -> torch.silu(x);
            case RELU -> torch.relu(x);
            case SIGMOID -> torch.sigmoid(x);
            case GELU -> torch.gelu(x);
        };
    }
}
