package ai.tessera.api;

import java.util.Set;

import org.bytedeco.pytorch.Tensor;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The weights of a model: from safetensors files, or random ({@code --load-format dummy}) in the shapes the
 * architecture asks for. Tensors come in the model's dtype on the model's device.
 */
@ProviderType
public interface WeightSource {
    /**
     * The tensor {@code name}, checked against {@code shape}.
     *
     * @throws ModelLoadException naming the tensor when it is missing or its shape differs (expected vs actual)
     */
    Tensor load(String name, long... shape) throws ModelLoadException;

    /** Names the source holds (empty for random weights). */
    Set<String> names();
}
