package ai.tessera.api;

import java.nio.file.Path;
import java.util.List;
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

    /**
     * Whether the multimodal encoders (vision, audio towers) may run runtime-compiled kernels
     * ({@code --compilation-config '{"compile_mm_encoder": true}'}, vLLM's name). Off by default: encoders run plain
     * libtorch ops even where the platform compiles kernels for the decoder, as vLLM keeps them out of
     * {@code torch.compile} unless asked.
     */
    default boolean compileMultimodalEncoders() {
        return false;
    }

    /** The attention backend chosen for a layer of this spec on this platform. */
    AttentionBackend attentionFor(AttentionLayerSpec spec) throws ModelLoadException;

    /**
     * One attention backend for every layer of a model whose layers differ (Gemma 4's sliding and full layers have
     * different head sizes): the platform's first preference, or {@code --attention-backend}, that supports all of
     * them, so that no layer runs on a kernel of other numerics than its neighbours (vLLM forces one backend for
     * such models too). Asked before any weight is loaded, so that a backend that cannot run some layer fails fast.
     *
     * @param layers the spec of each decoder layer, indexed by layer number (errors name the layer)
     * @throws ModelLoadException naming the first layer a backend cannot run, its head size and the backend's reason
     */
    default AttentionBackend attentionForAll(List<AttentionLayerSpec> layers) throws ModelLoadException {
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("a model needs at least one attention layer");
        }
        AttentionBackend backend = attentionFor(layers.get(0));
        for (int i = 1; i < layers.size(); i++) {
            String reason = backend.unsupportedReason(layers.get(i), platform());
            if (reason != null) {
                throw new ModelLoadException("the attention backend chosen for layer 0 cannot run layer " + i + " ("
                        + layers.get(i) + "): " + reason);
            }
        }
        return backend;
    }
}
