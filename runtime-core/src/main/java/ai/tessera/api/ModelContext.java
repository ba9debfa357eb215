package ai.tessera.api;

import java.nio.file.Path;
import java.util.Optional;

import org.bytedeco.pytorch.global.torch.ScalarType;
import org.osgi.annotation.versioning.ProviderType;

/** What an architecture gets to build a model: configuration, weights, platform and the resolved dtype. */
@ProviderType
public interface ModelContext {
    ModelConfig config();

    WeightSource weights();

    Platform platform();

    /** The dtype of weights and activations ({@code --dtype}; {@code auto} already resolved). */
    ScalarType dtype();

    /** The model folder, when the model was loaded from one. */
    Optional<Path> modelDirectory();

    /** The attention backend chosen for a layer of this spec on this platform. */
    AttentionBackend attentionFor(AttentionLayerSpec spec) throws ModelLoadException;
}
