package ai.tessera.core.weights;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import ai.tessera.api.ModelLoadException;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** Picks the weight source {@code --load-format} asks for. */
public final class WeightSources {
    /** The {@code --load-format} values, as vLLM names them. */
    public static final List<String> LOAD_FORMATS = List.of("auto", "safetensors", "dummy");

    private WeightSources() {
    }

    /**
     * The weights of the model in {@code modelDir}, with progress shown on the console or logged.
     *
     * @param modelDir   the model folder; may be null with {@code dummy}
     * @param loadFormat {@code auto} (safetensors; null means auto), {@code safetensors} or {@code dummy}
     * @param dtype      the dtype of floating-point weights
     * @param seed       the seed of random weights ({@code dummy} only)
     * @throws IllegalArgumentException for an unknown load format
     * @throws ModelLoadException       when the folder holds no checkpoint or a file is damaged
     */
    public static ModelWeights open(Path modelDir, String loadFormat, ScalarType dtype, Device device, long seed)
            throws ModelLoadException {
        return open(modelDir, loadFormat, dtype, device, seed, LoadProgress.automatic());
    }

    /** As {@link #open(Path, String, ScalarType, Device, long)}, reporting progress to {@code progress}. */
    public static ModelWeights open(Path modelDir, String loadFormat, ScalarType dtype, Device device, long seed,
                                    LoadProgress.Factory progress) throws ModelLoadException {
        String format = loadFormat == null ? "auto" : loadFormat.toLowerCase(Locale.ROOT);
        switch (format) {
            case "dummy":
                return new DummyWeightSource(dtype, device, seed);
            case "auto":
            case "safetensors":
                if (modelDir == null) {
                    throw new ModelLoadException("--load-format " + format + " needs a model folder; use"
                            + " --load-format dummy for random weights");
                }
                return SafetensorsWeightSource.open(modelDir, dtype, device, progress);
            default:
                throw new IllegalArgumentException("--load-format must be one of " + String.join(", ", LOAD_FORMATS)
                        + ", got '" + loadFormat + "'");
        }
    }

    static String noCheckpointMessage(Path modelDir) {
        String message = "no " + SafetensorsWeightSource.SINGLE_FILE + " or " + ShardIndex.FILE_NAME + " in "
                + modelDir + "; use --load-format dummy for random weights";
        List<String> others = otherWeightFiles(modelDir);
        return others.isEmpty() ? message
                : message + " (found " + String.join(", ", others) + ", which Tessera does not load)";
    }

    /** Other checkpoint files a user may expect to work (PyTorch pickles, unindexed safetensors). */
    private static List<String> otherWeightFiles(Path modelDir) {
        if (!Files.isDirectory(modelDir)) {
            return List.of();
        }
        try (Stream<Path> listing = Files.list(modelDir)) {
            return listing.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".safetensors") || n.endsWith(".bin") || n.endsWith(".pt")
                            || n.endsWith(".gguf"))
                    .sorted().limit(5).collect(Collectors.toList());
        } catch (IOException e) {
            return List.of("(cannot list " + modelDir + ": " + e.getMessage() + ")");
        }
    }
}
