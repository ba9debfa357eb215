package ai.tessera.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import ai.tessera.api.AttentionBackend;
import ai.tessera.api.AttentionLayerSpec;
import ai.tessera.api.ModelConfig;
import ai.tessera.api.ModelContext;
import ai.tessera.api.ModelLoadException;
import ai.tessera.api.Platform;
import ai.tessera.api.WeightSource;
import ai.tessera.core.attention.SdpaAttentionBackend;
import ai.tessera.core.resolve.AttentionChoice;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * A context without the container: the given platform and weights, and attention backends chosen as the container
 * chooses them ({@link AttentionChoice}) among SDPA and any test backends, optionally forced as
 * {@code --attention-backend} forces one.
 */
public final class ReferenceModelContext implements ModelContext {
    private final ModelConfig config;
    private final WeightSource weights;
    private final Platform platform;
    private final ScalarType dtype;
    private final Map<String, AttentionBackend> backends = new LinkedHashMap<>();
    private final String forced;
    private boolean compileEncoders;

    public ReferenceModelContext(ModelConfig config, WeightSource weights, Platform platform, ScalarType dtype) {
        this(config, weights, platform, dtype, Map.of(), null);
    }

    public ReferenceModelContext(ModelConfig config, WeightSource weights, Platform platform, ScalarType dtype,
                          Map<String, AttentionBackend> extraBackends, String forced) {
        this.config = config;
        this.weights = weights;
        this.platform = platform;
        this.dtype = dtype;
        this.backends.put("sdpa", new SdpaAttentionBackend());
        this.backends.putAll(extraBackends);
        this.forced = forced;
    }

    /** This context with {@code compile_mm_encoder} set (encoders may use the platform's compiled kernels). */
    public ReferenceModelContext compilingEncoders() {
        compileEncoders = true;
        return this;
    }

    @Override
    public boolean compileMultimodalEncoders() {
        return compileEncoders;
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public WeightSource weights() {
        return weights;
    }

    @Override
    public Platform platform() {
        return platform;
    }

    @Override
    public ScalarType dtype() {
        return dtype;
    }

    @Override
    public Optional<Path> modelDirectory() {
        return Optional.empty();
    }

    @Override
    public AttentionBackend attentionFor(AttentionLayerSpec spec) throws ModelLoadException {
        return attentionForAll(List.of(spec));
    }

    @Override
    public AttentionBackend attentionForAll(List<AttentionLayerSpec> layers) throws ModelLoadException {
        return AttentionChoice.forAllLayers(layers, platform, forced, new AttentionChoice.Backends() {
            @Override
            public Optional<AttentionBackend> find(String name) {
                return Optional.ofNullable(backends.get(name));
            }

            @Override
            public List<String> names() {
                return new ArrayList<>(backends.keySet());
            }
        });
    }
}
