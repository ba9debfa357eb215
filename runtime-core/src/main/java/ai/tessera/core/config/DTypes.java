package ai.tessera.core.config;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

import ai.tessera.api.ModelConfig;
import ai.tessera.api.Platform;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** {@code --dtype} and the dtype a checkpoint declares, as vLLM resolves them. */
public final class DTypes {
    /** The values {@code --dtype} accepts. */
    public static final List<String> FLAG_VALUES = List.of("auto", "float32", "float", "bfloat16", "float16", "half");
    /** Where a config declares its dtype, in the order looked at ({@code dtype} is what transformers 5 writes). */
    static final List<String> CONFIG_KEYS = List.of("dtype", "torch_dtype", "text_config.dtype",
            "text_config.torch_dtype");

    private DTypes() {
    }

    /**
     * The model dtype for {@code --dtype flag}. {@code auto} (or null) keeps the dtype the config declares, as vLLM
     * does, and falls back to float32 when the config declares none.
     *
     * @throws IllegalArgumentException for a flag not in {@link #FLAG_VALUES}, or a config dtype that is no
     *                                  floating-point type
     */
    public static ScalarType resolve(String flag, ModelConfig config) {
        String value = flag == null ? "auto" : flag.trim().toLowerCase(Locale.ROOT);
        if (!value.equals("auto")) {
            return parse(value).orElseThrow(() -> new IllegalArgumentException("--dtype must be one of "
                    + String.join(", ", FLAG_VALUES) + ", got '" + flag + "'"));
        }
        for (String key : CONFIG_KEYS) {
            Optional<String> declared = config.getString(key);
            if (declared.isPresent()) {
                String name = declared.get().trim().toLowerCase(Locale.ROOT);
                return parse(name.startsWith("torch.") ? name.substring("torch.".length()) : name)
                        .orElseThrow(() -> new IllegalArgumentException("config.json '" + key + "' is '"
                                + declared.get() + "', which is not a model dtype Tessera runs; pass --dtype"
                                + " bfloat16, float16 or float32"));
            }
        }
        return ScalarType.Float;
    }

    /**
     * The dtype to run on {@code platform}. libtorch runs bfloat16 and float16 on CPU as well as on GPUs, so the
     * requested dtype is kept; this is the one place to change should a platform lack one.
     */
    public static ScalarType forPlatform(ScalarType dtype, Platform platform) {
        return dtype;
    }

    /** The Hugging Face name of a model dtype ({@code bfloat16}), for logs and the API. */
    public static String name(ScalarType dtype) {
        // intern(): tensor.scalar_type() returns a distinct object that switch and == do not recognise
        switch (dtype.intern()) {
            case Float:
                return "float32";
            case BFloat16:
                return "bfloat16";
            case Half:
                return "float16";
            case Double:
                return "float64";
            default:
                return dtype.intern().name().toLowerCase(Locale.ROOT);
        }
    }

    private static Optional<ScalarType> parse(String name) {
        switch (name) {
            case "float32":
            case "float":
                return Optional.of(ScalarType.Float);
            case "bfloat16":
                return Optional.of(ScalarType.BFloat16);
            case "float16":
            case "half":
                return Optional.of(ScalarType.Half);
            default:
                return Optional.empty();
        }
    }
}
