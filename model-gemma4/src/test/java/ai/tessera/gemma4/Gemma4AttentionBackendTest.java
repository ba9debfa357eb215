package ai.tessera.gemma4;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import ai.tessera.api.AttentionBackend;
import ai.tessera.api.AttentionLayerSpec;
import ai.tessera.api.AttentionMetadata;
import ai.tessera.api.KvCache;
import ai.tessera.api.LoadedModel;
import ai.tessera.api.ModelLoadException;
import ai.tessera.api.Platform;
import ai.tessera.core.config.HfConfigLoader;
import ai.tessera.core.kv.PagedKvCache;
import ai.tessera.core.platform.CpuPlatform;
import ai.tessera.testing.ReferenceModelContext;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;

/**
 * Gemma 4's layers have two head sizes (32 and 64 in the tiny models, 256 and 512 in the real ones): the model asks
 * for one backend that runs all its layers, as vLLM forces one backend, and a backend named with
 * {@code --attention-backend} that cannot run some layer fails the load before any weight is read.
 */
class Gemma4AttentionBackendTest {

    /** Like a FlashAttention kernel with a head-size limit: declines wider heads and must never run here. */
    private static final class NarrowBackend implements AttentionBackend {
        @Override
        public String unsupportedReason(AttentionLayerSpec spec, Platform platform) {
            return spec.headDim() > 32 ? "narrow supports head sizes up to 32, not " + spec.headDim() : null;
        }

        @Override
        public Tensor forward(Tensor query, Tensor key, Tensor value, KvCache.Layer cache,
                              AttentionMetadata metadata, AttentionLayerSpec spec, double scale) {
            throw new AssertionError("the narrow backend must not run any layer of a model with wider layers");
        }
    }

    private static Platform preferringNarrow() {
        return new CpuPlatform() {
            @Override
            public List<String> attentionPreference() {
                return List.of("narrow", "sdpa");
            }
        };
    }

    private static ReferenceModelContext context(Gemma4Fixture fixture, PrngWeightSource weights, Platform platform,
                                                 String forced) throws ModelLoadException {
        Map<String, AttentionBackend> extra = new LinkedHashMap<>();
        extra.put("narrow", new NarrowBackend());
        return new ReferenceModelContext(HfConfigLoader.fromJson(fixture.configJson, null), weights, platform,
                ScalarType.Float, extra, forced);
    }

    @Test
    void aForcedBackendThatCannotRunTheFullLayersFailsBeforeAnyWeightLoads() throws ModelLoadException {
        Gemma4Fixture fixture = Gemma4Fixture.load(Gemma4Fixture.E2B);
        PrngWeightSource weights = new PrngWeightSource(fixture.parameterShapes());
        ReferenceModelContext context = context(fixture, weights, new CpuPlatform(), "narrow");
        String message = assertThrows(ModelLoadException.class,
                () -> new Gemma4ForConditionalGeneration().load(context)).getMessage();
        assertTrue(message.startsWith("--attention-backend narrow cannot run layer 4 (head_dim 64, 4 query / 1"
                + " key-value heads, full attention): narrow supports head sizes up to 32, not 64"), message);
        assertEquals(0, weights.loaded().size(), "no weight is read before the backend is known to fit");
    }

    @Test
    void everyLayerGetsTheFirstPreferredBackendThatRunsThemAll() throws ModelLoadException {
        Gemma4Fixture fixture = Gemma4Fixture.load(Gemma4Fixture.MOE);
        Platform platform = preferringNarrow();
        ReferenceModelContext context = context(fixture, new PrngWeightSource(fixture.parameterShapes()), platform,
                null);
        Gemma4Fixture.Prompt prompt = fixture.prompts().get(1);
        // narrow could run the sliding layers; had any layer got it, its forward would throw.
        try (LoadedModel model = new Gemma4ForCausalLM().load(context);
             PagedKvCache cache = PagedKvCache.allocate(model.attentionLayers(), 4, 16, platform.device());
             PointerScope scope = new PointerScope()) {
            float[] logits = PagedSteps.forwardLast(model, cache,
                    new PagedSteps.SequenceStep(prompt.inputIds(), 0, new long[] {2, 0, 1}));
            Gemma4ParityTest.compareSubset("sdpa everywhere", logits, fixture.lastSubset(), prompt.lastSubset());
        }
    }

    @Test
    void withoutAnyBackendForTheWideLayersTheErrorSaysWhyForEachCandidate() throws ModelLoadException {
        Gemma4Fixture fixture = Gemma4Fixture.load(Gemma4Fixture.MOE);
        Platform onlyNarrow = new CpuPlatform() {
            @Override
            public List<String> attentionPreference() {
                return List.of("narrow", "flash");
            }
        };
        ReferenceModelContext context = context(fixture, new PrngWeightSource(fixture.parameterShapes()), onlyNarrow,
                null);
        String message = assertThrows(ModelLoadException.class, () -> new Gemma4ForCausalLM().load(context))
                .getMessage();
        assertTrue(message.startsWith("No attention backend can run every layer of this model"), message);
        assertTrue(message.contains("narrow cannot run layer 5 (head_dim 64") && message.contains("flash is not"
                + " registered"), message);
    }
}
