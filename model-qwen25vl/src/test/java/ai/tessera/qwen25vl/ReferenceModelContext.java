package ai.tessera.qwen25vl;

import java.nio.file.Path;
import java.util.Optional;

import ai.tessera.api.AttentionBackend;
import ai.tessera.api.AttentionLayerSpec;
import ai.tessera.api.ModelConfig;
import ai.tessera.api.ModelContext;
import ai.tessera.api.ModelLoadException;
import ai.tessera.api.Platform;
import ai.tessera.api.WeightSource;
import ai.tessera.core.attention.SdpaAttentionBackend;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** A context without the container: the given platform and weights, and SDPA attention for every layer. */
record ReferenceModelContext(ModelConfig config, WeightSource weights, Platform platform, ScalarType dtype)
        implements ModelContext {

    @Override
    public Optional<Path> modelDirectory() {
        return Optional.empty();
    }

    @Override
    public AttentionBackend attentionFor(AttentionLayerSpec spec) throws ModelLoadException {
        AttentionBackend sdpa = new SdpaAttentionBackend();
        String reason = sdpa.unsupportedReason(spec, platform);
        if (reason != null) {
            throw new ModelLoadException("sdpa cannot run " + spec + ": " + reason);
        }
        return sdpa;
    }
}
