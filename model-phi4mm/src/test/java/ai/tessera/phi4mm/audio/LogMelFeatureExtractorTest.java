package ai.tessera.phi4mm.audio;

import static ai.tessera.testing.Parity.values;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The log-mel features against transformers' {@code Phi4MultimodalFeatureExtractor} (fixtures from
 * {@code tools/reference/phi4mm_audio_reference.py}): mel filters, features of clips of 0.5 s, 1.3 s and 3 s from
 * their samples and from their WAV bytes through FFmpeg, frame and audio-token counts.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LogMelFeatureExtractorTest {
    /** The team's bound; the features come out far closer (reported). */
    private static final double TOLERANCE = 1e-4;

    private final Map<String, String> report = new TreeMap<>();
    private AudioFixture fixture;
    private LogMelFeatureExtractor extractor;

    @BeforeAll
    void load() {
        fixture = AudioFixture.load();
        extractor = new LogMelFeatureExtractor(AudioFeatureSettings.phi4Multimodal());
    }

    @AfterAll
    void printReport() {
        report.forEach((key, line) -> System.out.println("[phi4mm audio features] " + key + ": " + line));
    }

    @Test
    void settingsAreTheReferenceExtractors() {
        JsonNode e = fixture.root.get("extractor");
        AudioFeatureSettings s = extractor.settings();
        assertEquals(e.get("feature_size").asInt(), s.featureSize());
        assertEquals(e.get("sampling_rate").asInt(), s.samplingRate());
        assertEquals(e.get("hop_length").asInt(), s.hopLength());
        assertEquals(e.get("n_fft").asInt(), s.nFft());
        assertEquals(e.get("win_length").asInt(), s.winLength());
        assertEquals(e.get("preemphasis").asDouble(), s.preemphasis());
        assertEquals(e.get("audio_compression_rate").asInt(), s.compressionRate());
        assertEquals(e.get("audio_downsample_rate").asInt(), s.downsampleRate());
        assertEquals(e.get("audio_feat_stride").asInt(), s.featStride());
    }

    @Test
    void melFiltersMatchTransformers() {
        float[] expected = fixture.floats(fixture.root.get("mel_filters"));
        float[] actual = extractor.melFilters();
        assertEquals(expected.length, actual.length, "257 x 80 filter weights");
        int differing = 0;
        double max = 0;
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i])) {
                differing++;
            }
            max = Math.max(max, Math.abs(expected[i] - actual[i]));
        }
        report.put("mel filters", differing + " of " + expected.length + " differ in any bit, max |Δ| " + max);
        assertEquals(0, differing, "mel filter weights not bit-identical to transformers' (max |Δ| " + max + ")");
    }

    @ParameterizedTest
    @ValueSource(strings = {"tone_0p5s", "chirp_1p3s", "speechlike_3s"})
    void featuresFromSamplesMatchTransformers(String name) {
        try (PointerScope scope = new PointerScope()) {
            float[] pcm = fixture.pcm(name);
            assertEquals(fixture.clip(name).get("samples").asInt(), pcm.length, "samples of " + name);
            compare(name + " from samples", extractor.extract(pcm, name), name);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tone_0p5s", "chirp_1p3s", "speechlike_3s"})
    void featuresFromWavBytesThroughFfmpegMatchTransformers(String name) {
        try (PointerScope scope = new PointerScope()) {
            compare(name + " from WAV bytes", extractor.extract(fixture.wav(name), name + ".wav"), name);
        }
    }

    private void compare(String label, Tensor features, String name) {
        JsonNode ref = fixture.clip(name).get("features");
        long[] shape = fixture.shape(ref);
        assertArrayEquals(shape, new long[] {features.size(0), features.size(1)}, label + ": [frames, mel] shape");
        float[] expected = fixture.floats(ref);
        float[] actual = values(features);
        double max = 0;
        int exact = 0;
        for (int i = 0; i < expected.length; i++) {
            max = Math.max(max, Math.abs(expected[i] - actual[i]));
            exact += Float.floatToIntBits(expected[i]) == Float.floatToIntBits(actual[i]) ? 1 : 0;
        }
        report.put(label, String.format("%d frames, max |Δ| %.3g, %d of %d values bit-identical", shape[0], max,
                exact, expected.length));
        assertTrue(max <= TOLERANCE, label + ": max |Δ| " + max + " > " + TOLERANCE);
        int frames = (int) shape[0];
        assertEquals(fixture.clip(name).get("audio_embed_size").asInt(), extractor.settings().audioTokenCount(frames),
                label + ": audio tokens");
    }

    @Test
    void frameAndTokenCountsAreTransformers() {
        AudioFeatureSettings s = extractor.settings();
        for (JsonNode row : fixture.root.get("frame_counts")) {
            assertEquals(row.get(1).asInt(), s.frameCount(row.get(0).asInt()), "frames of " + row.get(0) + " samples");
        }
        for (JsonNode row : fixture.root.get("token_counts")) {
            assertEquals(row.get(1).asInt(), s.audioTokenCount(row.get(0).asInt()), "tokens of " + row.get(0)
                    + " frames");
        }
        assertEquals(0, s.frameCount(399), "no whole window");
        assertEquals(s, AudioFeatureSettings.phi4Multimodal(8, 1, 1), "preprocessor_config.json's values");
        assertEquals(19, AudioFeatureSettings.phi4Multimodal(8, 2, 1).audioTokenCount(298), "ceil(ceil(298/8)/2)");
        assertEquals(75, AudioFeatureSettings.phi4Multimodal(8, 1, 2).audioTokenCount(298), "ceil(298*2/8)");
    }

    @Test
    void audioShorterThanOneWindowIsRefusedWithItsLength() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> extractor.extract(new float[399], "clip.wav"));
        assertTrue(e.getMessage().contains("clip.wav") && e.getMessage().contains("399 samples")
                && e.getMessage().contains("400-sample window"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> extractor.extract(new byte[] {1, 2, 3}, "junk.bin"));
    }
}
