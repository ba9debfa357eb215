package ai.tessera.phi4mm.audio;

import static ai.tessera.testing.Parity.values;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import ai.tessera.api.ModelConfig;
import ai.tessera.api.ModelLoadException;
import ai.tessera.core.config.HfConfigLoader;
import ai.tessera.demo.NamedWeightPrng;
import ai.tessera.testing.FixtureJson;
import com.fasterxml.jackson.databind.JsonNode;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The conformer encoder and both projections against transformers' {@code Phi4MultimodalAudioEmbedding} (float32,
 * CPU) on the tiny config's 2-block conformer of width 64, weights by their original names; fixtures from
 * {@code tools/reference/phi4mm_audio_reference.py}. Two weight variants: the bare named PRNG ({@code prng}, what
 * the model's other tests draw) and a rescaled one ({@code scaled}) under which the output depends on the audio
 * (with bare PRNG weights each layer shrinks the signal and the rows differ by ~1e-5, too little to show a mistake).
 * Checked: after the subsampling, after block 0, the encoder, speech and vision projections per clip; three clips
 * (and a 75-frame one) in one call equal their single calls; a 4040-frame input whose 505 rows are folded into chunks of 500.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Phi4MMAudioEmbeddingParityTest {
    private static final double TOLERANCE = 1e-4;
    private static final String PREFIX = Phi4MMAudioEmbedding.PREFIX.path() + ".";

    private final Map<String, String> report = new TreeMap<>();
    private AudioFixture fixture;
    private Phi4MMAudioConfig config;

    @BeforeAll
    void loadFixture() throws ModelLoadException {
        fixture = AudioFixture.load();
        config = Phi4MMAudioConfig.from(HfConfigLoader.fromJson(fixture.configJson, null));
    }

    @AfterAll
    void printReport() {
        report.forEach((key, line) -> System.out.println("[phi4mm audio parity] " + key + ": " + line));
    }

    @Test
    void prngMatchesThePythonReference() {
        fixture.root.get("prng_check").properties().forEach(e -> assertArrayEquals(FixtureJson.floats(e.getValue()),
                NamedWeightPrng.values(e.getKey(), e.getValue().size()), "PRNG values of " + e.getKey()));
    }

    @Test
    void loadsEveryReferenceTensorByItsOriginalName() throws ModelLoadException {
        AudioPrngWeights weights = new AudioPrngWeights(fixture.parameterShapes(), "prng");
        try (PointerScope scope = new PointerScope();
             Phi4MMAudioEmbedding audio = Phi4MMAudioEmbedding.load(weights, Phi4MMAudioEmbedding.PREFIX, config)) {
            assertEquals(fixture.parameterShapes().keySet(), weights.loaded(),
                    "the encoder, its global_mean/global_invstd buffers and both projections, nothing else");
        }
        assertTrue(weights.loaded().contains(PREFIX + "encoder.encoders.1.feed_forward_out.net.0.linear.weight"));
        assertTrue(weights.loaded().contains(PREFIX + "audio_projection.vision.2.bias"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"prng", "scaled"})
    void eachClipMatchesTransformersStageByStage(String variant) throws ModelLoadException {
        try (PointerScope scope = new PointerScope(); Phi4MMAudioEmbedding audio = load(variant)) {
            for (String name : fixture.clipNames()) {
                Tensor features = fixture.tensor(fixture.clip(name).get("features"));
                JsonNode expected = fixture.clipOutputs(variant, name);
                compare(variant, name + " subsampled", audio.encode(List.of(features), 0).get(0),
                        expected.get("subsampled"));
                compare(variant, name + " block 0", audio.encode(List.of(features), 1).get(0), expected.get("layer0"));
                compare(variant, name + " encoder", audio.encode(List.of(features)).get(0), expected.get("encoder"));
                for (ProjectionMode mode : ProjectionMode.values()) {
                    Tensor embedded = audio.embed(features, mode);
                    assertEquals(fixture.clip(name).get("audio_embed_size").asInt(), embedded.size(0),
                            name + ": one row per audio token");
                    assertEquals(Phi4MMAudioEmbedding.audioTokenCount((int) features.size(0), config), embedded.size(0));
                    compare(variant, name + " " + mode.checkpointName(), embedded, expected.get(mode.checkpointName()));
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"prng", "scaled"})
    void clipsOfDifferentLengthsInOneCallEqualTheirSingleCalls(String variant) throws ModelLoadException {
        try (PointerScope scope = new PointerScope(); Phi4MMAudioEmbedding audio = load(variant)) {
            List<String> names = fixture.clipNames();
            List<Tensor> features = new ArrayList<>();
            // shortest in the middle: padding both follows and precedes other clips
            for (String name : List.of(names.get(2), names.get(0), names.get(1))) {
                features.add(fixture.tensor(fixture.clip(name).get("features")));
            }
            // 75 frames: odd after the first halving (38, 19, 10), so a subsampling convolution reaches past its end
            features.add(features.get(2).narrow(0, 0, 75));
            for (ProjectionMode mode : ProjectionMode.values()) {
                List<Tensor> batched = audio.embed(features, mode);
                double max = 0;
                for (int i = 0; i < features.size(); i++) {
                    Tensor single = audio.embed(features.get(i), mode);
                    assertArrayEquals(new long[] {single.size(0), single.size(1)},
                            new long[] {batched.get(i).size(0), batched.get(i).size(1)}, "shape of clip " + i);
                    max = Math.max(max, maxAbsDiff(values(batched.get(i)), values(single)));
                }
                report.put(variant + " 4 clips (298, 48, 128, 75 frames) batched vs single, " + mode.checkpointName(), String.format("max |Δ| %.3g", max));
                assertTrue(max <= 1e-5, "batched vs single " + mode + ": " + max);
                String first = names.get(2);
                compare(variant, "batched " + first + " " + mode.checkpointName(), batched.get(0),
                        fixture.clipOutputs(variant, first).get(mode.checkpointName()));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"prng", "scaled"})
    void inputsLongerThan500RowsAreFoldedIntoChunksAsTransformersDoes(String variant) throws ModelLoadException {
        JsonNode longInput = fixture.root.get("long");
        int frames = longInput.get("frames").asInt();
        float scale = (float) longInput.get("scale").asDouble();
        float[] values = NamedWeightPrng.values(longInput.get("name").asText(), frames * 80);
        for (int i = 0; i < values.length; i++) {
            values[i] *= scale;
        }
        try (PointerScope scope = new PointerScope(); Phi4MMAudioEmbedding audio = load(variant)) {
            Tensor features = torch.tensor(values, new TensorOptions(ScalarType.Float)).view(frames, 80);
            JsonNode expected = fixture.root.get("variants").get(variant).get("long_encoder");
            compare(variant, "long " + frames + " frames encoder", audio.encode(List.of(features)).get(0), expected);
            // beside a short clip in one call, it still gives what it gives alone
            Tensor shortClip = fixture.tensor(fixture.clip("tone_0p5s").get("features"));
            List<Tensor> both = audio.encode(List.of(shortClip, features));
            compare(variant, "long beside a short clip", both.get(1), expected);
            compare(variant, "short beside a long clip", both.get(0),
                    fixture.clipOutputs(variant, "tone_0p5s").get("encoder"));
        }
    }

    @Test
    void featuresOfAnotherShapeAreRefusedWithExpectedAndActual() throws ModelLoadException {
        try (PointerScope scope = new PointerScope(); Phi4MMAudioEmbedding audio = load("prng")) {
            Tensor wrong = torch.zeros(new long[] {12, 79}, new TensorOptions(ScalarType.Float));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> audio.embed(wrong, ProjectionMode.SPEECH));
            assertTrue(e.getMessage().contains("[frames, 80]") && e.getMessage().contains("[12, 79]"), e.getMessage());
            Tensor batch = torch.zeros(new long[] {2, 12, 80}, new TensorOptions(ScalarType.Float));
            e = assertThrows(IllegalArgumentException.class, () -> audio.embed(batch, ProjectionMode.SPEECH));
            assertTrue(e.getMessage().contains("[2, 12, 80]"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> audio.embed(List.of(), ProjectionMode.SPEECH));
        }
    }

    private Phi4MMAudioEmbedding load(String variant) throws ModelLoadException {
        return Phi4MMAudioEmbedding.load(new AudioPrngWeights(fixture.parameterShapes(), variant),
                Phi4MMAudioEmbedding.PREFIX, config);
    }

    private void compare(String variant, String label, Tensor actual, JsonNode ref) {
        long[] shape = fixture.shape(ref);
        long[] got = new long[(int) actual.dim()];
        for (int d = 0; d < got.length; d++) {
            got[d] = actual.size(d);
        }
        assertArrayEquals(shape, got, variant + " " + label + ": shape");
        double max = maxAbsDiff(values(actual), fixture.floats(ref));
        report.put(variant + " " + label, String.format("max |Δ| %.3g", max));
        assertTrue(max <= TOLERANCE, variant + " " + label + ": max |Δ| " + max + " > " + TOLERANCE);
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length, "value count");
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs(a[i] - b[i]);
            if (Double.isNaN(d)) {
                return Double.POSITIVE_INFINITY;
            }
            max = Math.max(max, d);
        }
        return max;
    }
}
