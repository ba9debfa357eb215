package ai.tessera.gemma4;

import static ai.tessera.gemma4.PagedSteps.batch;
import static ai.tessera.gemma4.PagedSteps.forward;
import static ai.tessera.gemma4.PagedSteps.forwardLast;
import static ai.tessera.testing.Parity.append;
import static ai.tessera.testing.Parity.argmax;
import static ai.tessera.testing.Parity.compare;
import static ai.tessera.testing.Parity.values;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeMap;

import ai.tessera.api.AttentionLayerSpec;
import ai.tessera.api.ForwardBatch;
import ai.tessera.api.LoadedModel;
import ai.tessera.api.ModelArchitecture;
import ai.tessera.api.ModelLoadException;
import ai.tessera.core.config.HfConfigLoader;
import ai.tessera.core.kv.PagedKvCache;
import ai.tessera.core.platform.CpuPlatform;
import ai.tessera.gemma4.PagedSteps.SequenceStep;
import ai.tessera.testing.Parity;
import ai.tessera.testing.ReferenceModelContext;
import com.fasterxml.jackson.databind.JsonNode;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Gemma 4 against Hugging Face transformers 5.17 (float32, CPU) on tiny random-weight models built from the
 * gemma-4-E2B-it configuration (Gemma4ForConditionalGeneration: sliding head_dim 32 / full global_head_dim 64 with
 * proportional RoPE, Per-Layer Embeddings, the last 4 of 10 layers sharing keys and values, double-wide MLP,
 * final soft-cap) and the gemma-4-26B-A4B-it configuration (Gemma4ForCausalLM: attention_k_eq_v full layers, 8
 * experts top-2 beside the dense MLP); fixtures from {@code tools/reference/gemma4_reference.py}, prompts tokenized
 * by the Gemma 3 tokenizer. The longest prompt (73 tokens) is longer than both sliding windows (16 and 32).
 *
 * <p>Greedy tokens are generated through the paged KV cache (one prefill, then one-token decode steps over an
 * out-of-order block table) and compared with transformers' greedy decoding that recomputes the whole sequence
 * each step.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Gemma4ParityTest {
    private static final double TOLERANCE = 1e-4;
    /** Out of order on purpose, so that slots are not positions. 9 blocks hold the 73 + 64 tokens of the longest. */
    private static final long[] BLOCKS_A = {11, 3, 14, 0, 7, 9, 1, 20, 17};
    private static final long[] BLOCKS_B = {5, 12, 2, 8, 15, 4, 10, 23, 18};

    private final CpuPlatform cpu = new CpuPlatform();
    private final Map<String, Reference> references = new HashMap<>();
    private final Map<String, String> report = new TreeMap<>();

    record Reference(Gemma4Fixture fixture, LoadedModel model, PrngWeightSource weights) {
    }

    static ModelArchitecture architecture(Gemma4Fixture fixture) {
        return switch (fixture.architecture()) {
            case "Gemma4ForConditionalGeneration" -> new Gemma4ForConditionalGeneration();
            case "Gemma4ForCausalLM" -> new Gemma4ForCausalLM();
            default -> throw new IllegalArgumentException("not a Gemma 4 architecture: " + fixture.architecture());
        };
    }

    private Reference reference(String name) throws ModelLoadException {
        Reference cached = references.get(name);
        if (cached == null) {
            Gemma4Fixture fixture = Gemma4Fixture.load(name);
            PrngWeightSource weights = new PrngWeightSource(fixture.parameterShapes());
            ReferenceModelContext context = new ReferenceModelContext(HfConfigLoader.fromJson(fixture.configJson, null),
                    weights, cpu, ScalarType.Float);
            cached = new Reference(fixture, architecture(fixture).load(context), weights);
            references.put(name, cached);
        }
        return cached;
    }

    @AfterAll
    void closeModelsAndReport() {
        references.values().forEach(r -> r.model().close());
        report.forEach((key, line) -> System.out.println("[gemma4 parity] " + key + ": " + line));
    }

    @ParameterizedTest
    @ValueSource(strings = {Gemma4Fixture.E2B, Gemma4Fixture.MOE})
    void loadsEveryTransformersTensorWithItsShape(String name) throws ModelLoadException {
        Reference ref = reference(name);
        assertEquals(ref.fixture().parameterShapes().keySet(), ref.weights().loaded(),
                "the tensors loaded must be exactly the state dict of transformers' model");
    }

    @Test
    void kvCacheLayersFollowTheLayerKindsAndKvSharing() throws ModelLoadException {
        // E2B-style: 10 layers [s s s s f] x 2, the last 4 share: only layers 0-5 have cache layers.
        List<AttentionLayerSpec> dense = reference(Gemma4Fixture.E2B).model().attentionLayers();
        assertEquals(6, dense.size(), "layers 6-9 reuse the caches of layers 5 (sliding) and 4 (full)");
        assertEquals(new AttentionLayerSpec(32, 4, 1, OptionalInt.of(16), java.util.OptionalDouble.empty(),
                ScalarType.Float), dense.get(0));
        assertEquals(AttentionLayerSpec.causal(64, 4, 1, ScalarType.Float), dense.get(4));
        // 26B-A4B-style: k_eq_v full layers have num_global_key_value_heads (1), sliding ones num_key_value_heads (2).
        List<AttentionLayerSpec> moe = reference(Gemma4Fixture.MOE).model().attentionLayers();
        assertEquals(6, moe.size());
        assertEquals(new AttentionLayerSpec(32, 4, 2, OptionalInt.of(32), java.util.OptionalDouble.empty(),
                ScalarType.Float), moe.get(0));
        assertEquals(AttentionLayerSpec.causal(64, 4, 1, ScalarType.Float), moe.get(5));
    }

    @ParameterizedTest
    @ValueSource(strings = {Gemma4Fixture.E2B, Gemma4Fixture.MOE})
    void ropeInverseFrequenciesMatchTransformers(String name) throws ModelLoadException {
        Reference ref = reference(name);
        Gemma4TextModel model = assertInstanceOf(Gemma4CausalLm.class, ref.model()).model();
        for (LayerType type : LayerType.values()) {
            assertArrayEquals(ref.fixture().invFreq(type.configName()), values(model.rotary(type)
                    .inverseFrequencies()), type.configName() + " inv_freq");
        }
        float[] full = ref.fixture().invFreq("full_attention");
        assertEquals(32, full.length, "proportional RoPE has global_head_dim / 2 frequencies");
        assertTrue(full[7] > 0 && full[8] == 0 && full[31] == 0,
                "partial_rotary_factor 0.25 of 64: 8 rotated frequency pairs, the rest zero");
    }

    @ParameterizedTest
    @ValueSource(strings = {Gemma4Fixture.E2B, Gemma4Fixture.MOE})
    void prefillLogitsMatchTransformers(String name) throws ModelLoadException {
        Reference ref = reference(name);
        int[] subset = ref.fixture().vocabSubset();
        for (Gemma4Fixture.Prompt prompt : ref.fixture().prompts()) {
            long[] ids = prompt.inputIds();
            double maxDelta = 0;
            try (PagedKvCache cache = allocateCache(ref);
                 PointerScope scope = new PointerScope()) {
                float[][] rows = forward(ref.model(), cache, List.of(new SequenceStep(ids, 0, BLOCKS_A)), null);
                assertEquals(ids.length, rows.length, "logitsIndices null must give every token's logits");
                for (int t = 0; t < ids.length; t++) {
                    String where = name + " prompt " + prompt.index() + " position " + t;
                    maxDelta = Math.max(maxDelta, compare(where, rows[t], subset, prompt.prefillSubset()[t],
                            prompt.prefillTop5Ids()[t], prompt.prefillTop5Values()[t]));
                }
                maxDelta = Math.max(maxDelta, compareSubset(name + " prompt " + prompt.index() + " last position",
                        rows[ids.length - 1], ref.fixture().lastSubset(), prompt.lastSubset()));
            }
            report.put(name + " prompt " + prompt.index() + " prefill (" + ids.length + " tokens)",
                    String.format("max |Δlogit| %.3g", maxDelta));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {Gemma4Fixture.E2B, Gemma4Fixture.MOE})
    void greedyDecodingThroughTheKvCacheMatchesTransformers(String name) throws ModelLoadException {
        Reference ref = reference(name);
        int[] decodeSubset = Arrays.copyOf(ref.fixture().vocabSubset(), ref.fixture().decodeSubsetSize());
        for (Gemma4Fixture.Prompt prompt : ref.fixture().prompts()) {
            long[] sequence = prompt.inputIds();
            long[] generated = new long[prompt.greedy().length];
            double maxDelta = 0;
            try (PagedKvCache cache = allocateCache(ref);
                 PointerScope scope = new PointerScope()) {
                float[] logits = forwardLast(ref.model(), cache, new SequenceStep(sequence, 0, BLOCKS_A));
                for (int step = 0; step < generated.length; step++) {
                    String where = name + " prompt " + prompt.index() + " step " + step;
                    maxDelta = Math.max(maxDelta, compare(where, logits, decodeSubset, prompt.decodeSubset()[step],
                            prompt.decodeTop5Ids()[step], prompt.decodeTop5Values()[step]));
                    generated[step] = argmax(logits);
                    assertEquals(prompt.greedy()[step], generated[step], where + ": greedy token");
                    sequence = append(sequence, generated[step]);
                    if (step + 1 < generated.length) {
                        logits = forwardLast(ref.model(), cache,
                                new SequenceStep(sequence, sequence.length - 1, BLOCKS_A));
                    }
                }
            }
            assertArrayEquals(prompt.greedy(), generated, name + " prompt " + prompt.index());
            report.put(name + " prompt " + prompt.index() + " greedy 64 via KV cache",
                    String.format("tokens identical yes (context %d > window), max |Δlogit| over steps %.3g,"
                            + " transformers' smallest top-2 margin %.3g, equal to transformers generate(): %s",
                            sequence.length, maxDelta, prompt.decodeMinMargin(),
                            prompt.generate() == null ? "n/a" : Arrays.equals(prompt.generate(), generated)));
        }
    }

    /**
     * Prompt 0 layer by layer: the scaled embeddings, the Per-Layer Embeddings each layer gets, and the hidden states
     * after every decoder layer (which also pins the MoE routing: a different expert choice moves them far).
     */
    @ParameterizedTest
    @ValueSource(strings = {Gemma4Fixture.E2B, Gemma4Fixture.MOE})
    void hiddenStatesOfEveryLayerMatchTransformers(String name) throws ModelLoadException {
        Reference ref = reference(name);
        Gemma4Fixture.Prompt prompt = ref.fixture().prompts().get(0);
        JsonNode debug = prompt.debug();
        Gemma4TextModel model = ((Gemma4CausalLm) ref.model()).model();
        List<float[][]> layers = new ArrayList<>();
        List<float[][]> perLayerInputs = new ArrayList<>();
        double maxDelta = 0;
        try (PagedKvCache cache = allocateCache(ref);
             PointerScope scope = new PointerScope()) {
            long[] ids = prompt.inputIds();
            ForwardBatch batch = batch(cache, List.of(new SequenceStep(ids, 0, BLOCKS_A)), null);
            Tensor embeds = model.embedTokens().forward(batch.inputIds());
            maxDelta = Math.max(maxDelta, Parity.compareRows(name + " embeddings", Parity.rows(embeds),
                    ref.fixture().matrix(debug.get("embeds"))));
            model.forward(batch, batch.inputIds(), embeds, new Gemma4TextModel.Tap() {
                @Override
                public void perLayerInputs(Tensor inputs) {
                    for (int i = 0; i < inputs.size(1); i++) {
                        perLayerInputs.add(Parity.rows(inputs.select(1, i)));
                    }
                }

                @Override
                public void layerOutput(int layer, Tensor hidden) {
                    layers.add(Parity.rows(hidden));
                }
            });
        }
        assertEquals(debug.get("layer_out").size(), layers.size());
        for (int i = 0; i < layers.size(); i++) {
            maxDelta = Math.max(maxDelta, Parity.compareRows(name + " layer " + i, layers.get(i),
                    ref.fixture().matrix(debug.get("layer_out").get(i))));
        }
        if (debug.has("per_layer_input")) {
            assertEquals(debug.get("per_layer_input").size(), perLayerInputs.size());
            for (int i = 0; i < perLayerInputs.size(); i++) {
                maxDelta = Math.max(maxDelta, Parity.compareRows(name + " per-layer input " + i, perLayerInputs.get(i),
                        ref.fixture().matrix(debug.get("per_layer_input").get(i))));
            }
        } else {
            assertTrue(perLayerInputs.isEmpty(), "a model without PLE has no per-layer inputs");
        }
        report.put(name + " prompt 0 hidden states of every layer", String.format("max |Δ| %.3g", maxDelta));
    }

    /** The short and the long prompt in one step, then one decode step of both: each sees only its own context. */
    @ParameterizedTest
    @ValueSource(strings = {Gemma4Fixture.E2B, Gemma4Fixture.MOE})
    void packedSequencesMatchTransformers(String name) throws ModelLoadException {
        Reference ref = reference(name);
        int[] subset = ref.fixture().vocabSubset();
        int[] decodeSubset = Arrays.copyOf(subset, ref.fixture().decodeSubsetSize());
        Gemma4Fixture.Prompt shortPrompt = ref.fixture().prompts().get(0);
        Gemma4Fixture.Prompt longPrompt = ref.fixture().prompts().get(2);
        long[] a = shortPrompt.inputIds();
        long[] b = longPrompt.inputIds();
        double maxDelta = 0;
        try (PagedKvCache cache = allocateCache(ref);
             PointerScope scope = new PointerScope()) {
            float[][] prefill = forward(ref.model(), cache, List.of(new SequenceStep(a, 0, BLOCKS_A),
                    new SequenceStep(b, 0, BLOCKS_B)), new long[] {a.length - 1, a.length + b.length - 1});
            maxDelta = Math.max(maxDelta, compareSubset("packed prefill, short prompt", prefill[0],
                    ref.fixture().lastSubset(), shortPrompt.lastSubset()));
            maxDelta = Math.max(maxDelta, compareSubset("packed prefill, long prompt", prefill[1],
                    ref.fixture().lastSubset(), longPrompt.lastSubset()));
            long[] a1 = append(a, shortPrompt.greedy()[0]);
            long[] b1 = append(b, longPrompt.greedy()[0]);
            float[][] decode = forward(ref.model(), cache, List.of(new SequenceStep(a1, a.length, BLOCKS_A),
                    new SequenceStep(b1, b.length, BLOCKS_B)), new long[] {0, 1});
            maxDelta = Math.max(maxDelta, compare("packed decode, short prompt", decode[0], decodeSubset,
                    shortPrompt.decodeSubset()[1], shortPrompt.decodeTop5Ids()[1], shortPrompt.decodeTop5Values()[1]));
            maxDelta = Math.max(maxDelta, compare("packed decode, long prompt", decode[1], decodeSubset,
                    longPrompt.decodeSubset()[1], longPrompt.decodeTop5Ids()[1], longPrompt.decodeTop5Values()[1]));
        }
        report.put(name + " packed short+long prompts", String.format("max |Δlogit| %.3g", maxDelta));
    }

    // --- helpers -----------------------------------------------------------------------------------------------

    private PagedKvCache allocateCache(Reference ref) {
        return PagedSteps.allocate(ref.model(), cpu);
    }

    static double compareSubset(String where, float[] logits, int[] ids, float[] expected) {
        double max = 0;
        for (int j = 0; j < ids.length; j++) {
            max = Math.max(max, Math.abs(logits[ids[j]] - expected[j]));
        }
        assertTrue(max <= TOLERANCE, where + ": max |Δlogit| over " + ids.length + " ids " + max + " exceeds "
                + TOLERANCE);
        return max;
    }

}
