package ai.tessera.core.resolve;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import ai.tessera.api.AttentionBackend;
import ai.tessera.api.AttentionLayerSpec;
import ai.tessera.api.ModelConfig;
import ai.tessera.api.ModelContext;
import ai.tessera.api.ModelLoadException;
import ai.tessera.api.Platform;
import ai.tessera.api.WeightSource;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The {@link ModelContext} the container hands an architecture.
 *
 * @param forcedAttention           the backend {@code --attention-backend} named for every layer, or {@code null}
 * @param compileMultimodalEncoders {@code compile_mm_encoder} of {@code --compilation-config}
 */
public record LoadedContext(ModelConfig config, WeightSource weights, Platform platform, ScalarType dtype,
                            Optional<Path> modelDirectory, Resolver resolver, String forcedAttention,
                            boolean compileMultimodalEncoders)
        implements ModelContext {

    @Override
    public AttentionBackend attentionFor(AttentionLayerSpec spec) throws ModelLoadException {
        return resolver.attention(spec, platform, forcedAttention);
    }

    @Override
    public AttentionBackend attentionForAll(List<AttentionLayerSpec> layers) throws ModelLoadException {
        return resolver.attentionForAll(layers, platform, forcedAttention);
    }
}
