package ai.tessera.core.resolve;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

import ai.tessera.api.AttentionBackend;
import ai.tessera.api.AttentionLayerSpec;
import ai.tessera.api.AttentionMetadata;
import ai.tessera.api.KvCache;
import ai.tessera.api.ModelConfig;
import ai.tessera.api.ModelContext;
import ai.tessera.api.ModelLoadException;
import ai.tessera.api.Platform;
import ai.tessera.api.WeightSource;
import ai.tessera.core.platform.CpuPlatform;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;

/** One backend for all the layers of a model, and the messages when none fits. */
class AttentionChoiceTest {
    private static final AttentionLayerSpec SLIDING = new AttentionLayerSpec(256, 8, 1, OptionalInt.of(512),
            OptionalDouble.empty(), ScalarType.BFloat16);
    private static final AttentionLayerSpec FULL = AttentionLayerSpec.causal(512, 8, 1, ScalarType.BFloat16);
    private static final List<AttentionLayerSpec> LAYERS = List.of(SLIDING, SLIDING, SLIDING, SLIDING, FULL);

    /** A backend limited to head sizes up to {@code maxHeadDim}, like FlashAttention 2/3 (256). */
    private record Limited(int maxHeadDim) implements AttentionBackend {
        @Override
        public String unsupportedReason(AttentionLayerSpec spec, Platform platform) {
            return spec.headDim() > maxHeadDim ? "head_dim " + spec.headDim() + " exceeds " + maxHeadDim : null;
        }

        @Override
        public Tensor forward(Tensor query, Tensor key, Tensor value, KvCache.Layer cache,
                              AttentionMetadata metadata, AttentionLayerSpec spec, double scale) {
            throw new AssertionError("not run here");
        }
    }

    private static final AttentionBackend FLASH = new Limited(256);
    private static final AttentionBackend WIDE = new Limited(1024);

    private static AttentionChoice.Backends registered(Map<String, AttentionBackend> backends) {
        return new AttentionChoice.Backends() {
            @Override
            public Optional<AttentionBackend> find(String name) {
                return Optional.ofNullable(backends.get(name));
            }

            @Override
            public List<String> names() {
                return new ArrayList<>(backends.keySet());
            }
        };
    }

    private static Platform preferring(String... names) {
        return new CpuPlatform() {
            @Override
            public List<String> attentionPreference() {
                return List.of(names);
            }
        };
    }

    private static Map<String, AttentionBackend> flashAndWide() {
        Map<String, AttentionBackend> backends = new LinkedHashMap<>();
        backends.put("flash", FLASH);
        backends.put("wide", WIDE);
        return backends;
    }

    @Test
    void mixedHeadSizesGetTheFirstPreferenceThatRunsThemAll() throws ModelLoadException {
        // flash could run the sliding layers, but every layer gets the one backend that runs the full ones too.
        assertSame(WIDE, AttentionChoice.forAllLayers(LAYERS, preferring("flash", "wide"), null,
                registered(flashAndWide())));
        assertSame(FLASH, AttentionChoice.forAllLayers(List.of(SLIDING), preferring("flash", "wide"), null,
                registered(flashAndWide())));
    }

    @Test
    void aForcedBackendThatCannotRunALayerNamesTheLayerItsHeadSizeAndTheReason() {
        String message = assertThrows(ModelLoadException.class, () -> AttentionChoice.forAllLayers(LAYERS,
                preferring("wide"), "flash", registered(flashAndWide()))).getMessage();
        assertTrue(message.startsWith("--attention-backend flash cannot run layer 4 (head_dim 512, 8 query / 1"
                + " key-value heads, full attention): head_dim 512 exceeds 256"), message);
        assertTrue(message.contains("Registered attention backends: [flash, wide]"), message);

        String unknown = assertThrows(ModelLoadException.class, () -> AttentionChoice.forAllLayers(LAYERS,
                preferring("wide"), "nope", registered(flashAndWide()))).getMessage();
        assertTrue(unknown.startsWith("--attention-backend nope is not registered"), unknown);
    }

    /** A context that only answers per spec (tests, embedders) still checks every layer against its first choice. */
    @Test
    void theDefaultAttentionForAllChecksEveryLayerAgainstTheFirstLayersBackend() throws ModelLoadException {
        ModelContext perSpec = new ModelContext() {
            @Override
            public ModelConfig config() {
                throw new UnsupportedOperationException();
            }

            @Override
            public WeightSource weights() {
                throw new UnsupportedOperationException();
            }

            @Override
            public Platform platform() {
                return new CpuPlatform();
            }

            @Override
            public ScalarType dtype() {
                return ScalarType.BFloat16;
            }

            @Override
            public Optional<Path> modelDirectory() {
                return Optional.empty();
            }

            @Override
            public AttentionBackend attentionFor(AttentionLayerSpec spec) {
                return FLASH;
            }
        };
        assertSame(FLASH, perSpec.attentionForAll(List.of(SLIDING, SLIDING)));
        String message = assertThrows(ModelLoadException.class, () -> perSpec.attentionForAll(LAYERS)).getMessage();
        assertTrue(message.contains("cannot run layer 4") && message.contains("head_dim 512 exceeds 256"), message);
    }

    @Test
    void noPreferenceFittingEveryLayerSaysWhyForEachCandidate() {
        String message = assertThrows(ModelLoadException.class, () -> AttentionChoice.forAllLayers(LAYERS,
                preferring("flash", "missing"), null, registered(flashAndWide()))).getMessage();
        assertTrue(message.contains("flash cannot run layer 4 (head_dim 512") && message.contains("missing is not"
                + " registered"), message);
        assertFalse(message.contains("layer 0"), "the sliding layers fit flash: layer 4 is the first it cannot run");
    }
}
