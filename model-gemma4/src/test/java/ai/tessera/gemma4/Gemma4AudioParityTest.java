package ai.tessera.gemma4;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;
import javax.sound.sampled.UnsupportedAudioFileException;

import ai.tessera.api.MediaInput;
import ai.tessera.api.MediaProcessor;
import ai.tessera.api.ModelConfig;
import ai.tessera.api.ModelLoadException;
import ai.tessera.api.MultimodalItem;
import ai.tessera.api.MultimodalPrompt;
import ai.tessera.core.config.HfConfigLoader;
import ai.tessera.media.AudioDecoding;
import ai.tessera.testing.FixtureJson;
import ai.tessera.testing.Parity;
import com.fasterxml.jackson.databind.JsonNode;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Gemma 4 with audio against transformers 5.17 (float32, CPU): the E2B-style tiny model with the tiny vision tower
 * of {@link Gemma4VisionParityTest} and a tiny audio tower (2 conformer layers, hidden 32, clamps at 1.5), fixtures
 * from {@code tools/reference/gemma4_audio_reference.py}. Checks the log-mel features of three clips (0.5, 1.2 and
 * 2.5 s), the processor's prompt expansion, the tower (subsampling, every layer, output_proj, embed_audio), the
 * logits of a prompt with one clip and of one with a clip and an image at every position, 64 greedy tokens through
 * the paged KV cache, and a prefill chunked inside the clip.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Gemma4AudioParityTest {
    private Gemma4Reference reference;
    private Gemma4Fixture fixture;
    private Gemma4CausalLm model;

    @BeforeAll
    void load() throws ModelLoadException {
        reference = Gemma4Reference.load(Gemma4Fixture.AUDIO, "gemma4 audio parity");
        fixture = reference.fixture();
        model = reference.model();
    }

    @AfterAll
    void close() {
        reference.close();
    }

    /** The clip's samples as soundfile reads 16-bit PCM (int16 / 32768), read with the JDK's WAV reader. */
    static float[] pcm(String file) {
        try (AudioInputStream in = AudioSystem.getAudioInputStream(new ByteArrayInputStream(
                Gemma4Fixture.resource(file)))) {
            AudioFormat format = in.getFormat();
            assertEquals(16_000f, format.getSampleRate(), file);
            assertEquals(16, format.getSampleSizeInBits(), file);
            assertEquals(1, format.getChannels(), file);
            ByteBuffer bytes = ByteBuffer.wrap(in.readAllBytes()).order(ByteOrder.LITTLE_ENDIAN);
            float[] samples = new float[bytes.remaining() / 2];
            for (int i = 0; i < samples.length; i++) {
                samples[i] = bytes.getShort() / 32768f;
            }
            return samples;
        } catch (IOException | UnsupportedAudioFileException e) {
            throw new IllegalStateException("cannot read " + file, e);
        }
    }

    @Test
    void loadsEveryTransformersTensorWithItsShape() {
        assertEquals(fixture.parameterShapes().keySet(), reference.weights().loaded(),
                "the tensors loaded must be exactly the state dict of transformers' model, both towers included");
    }

    @Test
    void featuresMatchTransformersFeatureExtractor() {
        double maxDelta = 0;
        StringBuilder clips = new StringBuilder();
        for (JsonNode clip : fixture.root.get("clips")) {
            String file = clip.get("file").asText();
            float[] samples = pcm(file);
            assertEquals(clip.get("samples").asInt(), samples.length, file);
            // FFmpeg's decoding of the WAV is the JDK's, sample for sample
            float[] decoded = AudioDecoding.decode(Gemma4Fixture.resource(file), file,
                    Gemma4AudioFeatureExtractor.SAMPLE_RATE).samples();
            assertArrayEquals(samples, decoded, file + ": AudioDecoding");
            try (PointerScope scope = new PointerScope();
                 Gemma4AudioFeatureExtractor.AudioFeatures features = Gemma4AudioFeatureExtractor.extract(samples)) {
                assertEquals(clip.get("valid_frames").asInt(), features.validFrames(), file + ": valid frames");
                assertEquals(clip.get("num_soft_tokens").asInt(),
                        Gemma4AudioFeatureExtractor.softTokens(features.validFrames()), file + ": soft tokens");
                double delta = Parity.compareRows(file + " log-mel features", Parity.rows(features.features()),
                        fixture.matrix(clip.get("features")));
                maxDelta = Math.max(maxDelta, delta);
                clips.append(String.format("%s %d samples → %d frames (%d valid), %d tokens, max |Δ| %.3g; ", file,
                        samples.length, features.frames(), features.validFrames(),
                        clip.get("num_soft_tokens").asInt(), delta));
            }
        }
        reference.report("features", clips + String.format("overall max |Δ| %.3g", maxDelta));
    }

    @Test
    void tooShortAudioIsRefused() {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> Gemma4AudioFeatureExtractor.extract(new float[160]));
        assertTrue(refused.getMessage().contains("160 samples") && refused.getMessage().contains("161"),
                refused.getMessage());
        assertEquals(1, Gemma4AudioFeatureExtractor.validFrames(161));
        assertEquals(750, Gemma4AudioFeatureExtractor.softTokens(Gemma4AudioFeatureExtractor.validFrames(
                10 * Gemma4AudioFeatureExtractor.MAX_SAMPLES)), "30 s at most: 750 tokens");
    }

    @Test
    void towerAndEmbedAudioMatchTransformers() {
        double maxDelta = 0;
        for (JsonNode tower : fixture.root.get("towers")) {
            String file = tower.get("file").asText();
            try (PointerScope scope = new PointerScope();
                 Gemma4AudioFeatureExtractor.AudioFeatures features = Gemma4AudioFeatureExtractor.extract(
                         pcm(file))) {
                List<float[][]> subsampled = new ArrayList<>();
                List<float[][]> layers = new ArrayList<>();
                List<float[][]> out = new ArrayList<>();
                Tensor embeds = model.audio().embedAudio(features.features(), features.validFrames(),
                        ScalarType.Float, new Gemma4AudioModel.Tap() {
                            @Override
                            public void subsampled(Tensor hidden) {
                                subsampled.add(Parity.rows(hidden));
                            }

                            @Override
                            public void layerOutput(int layer, Tensor hidden) {
                                layers.add(Parity.rows(hidden));
                            }

                            @Override
                            public void towerOutput(Tensor hidden) {
                                out.add(Parity.rows(hidden));
                            }
                        });
                maxDelta = Math.max(maxDelta, Parity.compareRows(file + " subsampling", subsampled.get(0),
                        fixture.matrix(tower.get("subsample"))));
                assertEquals(tower.get("layer_out").size(), layers.size(), file + ": layers");
                for (int l = 0; l < layers.size(); l++) {
                    maxDelta = Math.max(maxDelta, Parity.compareRows(file + " layer " + l, layers.get(l),
                            fixture.matrix(tower.get("layer_out").get(l))));
                }
                maxDelta = Math.max(maxDelta, Parity.compareRows(file + " output_proj", out.get(0),
                        fixture.matrix(tower.get("tower_out"))));
                maxDelta = Math.max(maxDelta, Parity.compareRows(file + " embed_audio", Parity.rows(embeds),
                        fixture.matrix(tower.get("audio_features"))));
            }
        }
        reference.report("tower: subsampling, every conformer layer, output_proj, embed_audio (3 clips)",
                String.format("max |Δ| %.3g", maxDelta));
    }

    /**
     * The tower in bfloat16, the dtype of the released checkpoints: it runs (convolutions, the blocked attention in
     * float32, the clamps) and stays close to transformers' float32 output (relative error per clip).
     */
    @Test
    void towerRunsInBfloat16CloseToFloat32() throws ModelLoadException {
        ModelConfig config = HfConfigLoader.fromJson(fixture.configJson, null);
        Gemma4AudioConfig audio = Gemma4AudioConfig.from(config.section("audio_config").orElseThrow());
        ai.tessera.api.WeightSource bf16 = new ai.tessera.api.WeightSource() {
            @Override
            public Tensor load(String name, long... shape) throws ModelLoadException {
                return reference.weights().load(name, shape).to(ScalarType.BFloat16);
            }

            @Override
            public java.util.Set<String> names() {
                return reference.weights().names();
            }
        };
        double worst = 0;
        try (PointerScope scope = new PointerScope();
             Gemma4AudioModel tower = Gemma4AudioModel.load(bf16, audio, ai.tessera.nn.WeightPrefix.of(
                     "model.audio_tower"), ai.tessera.nn.WeightPrefix.of("model.embed_audio"), 64)) {
            for (JsonNode entry : fixture.root.get("towers")) {
                String file = entry.get("file").asText();
                try (Gemma4AudioFeatureExtractor.AudioFeatures features = Gemma4AudioFeatureExtractor.extract(
                        pcm(file))) {
                    Tensor out = tower.embedAudio(features.features(), features.validFrames(), ScalarType.BFloat16,
                            Gemma4AudioModel.Tap.NONE);
                    assertEquals(ScalarType.BFloat16.toString(), out.scalar_type().toString(), file);
                    float[][] expected = fixture.matrix(entry.get("audio_features"));
                    float[][] actual = Parity.rows(out.to(ScalarType.Float));
                    assertEquals(expected.length, actual.length, file + ": rows");
                    double diff = 0;
                    double norm = 0;
                    for (int r = 0; r < expected.length; r++) {
                        for (int c = 0; c < expected[r].length; c++) {
                            diff += Math.pow(actual[r][c] - expected[r][c], 2);
                            norm += Math.pow(expected[r][c], 2);
                        }
                    }
                    double relative = Math.sqrt(diff / norm);
                    assertTrue(relative < 0.05, file + ": bfloat16 relative error " + relative);
                    worst = Math.max(worst, relative);
                }
            }
        }
        reference.report("tower in bfloat16 vs transformers' float32", String.format("relative error ≤ %.3g", worst));
    }

    @Test
    void processorExpandsEachPlaceholderAsGemma4ProcessorDoes() {
        for (JsonNode prompt : fixture.root.get("prompts")) {
            try (MultimodalPrompt processed = reference.process(prompt)) {
                assertArrayEquals(FixtureJson.longs(prompt.get("input_ids")),
                        Arrays.stream(processed.tokenIds()).asLongStream().toArray());
                JsonNode media = prompt.get("media");
                assertEquals(media.size(), processed.items().size());
                for (int i = 0; i < media.size(); i++) {
                    MultimodalItem item = processed.items().get(i);
                    assertEquals(media.get(i).get("modality").asText(), item.modality(), "item " + i);
                    assertEquals(media.get(i).get("offset").asInt(), item.offset(), "item " + i + " offset");
                    assertEquals(media.get(i).get("length").asInt(), item.length(), "item " + i + " soft tokens");
                }
            }
        }
    }

    @Test
    void processorRefusesMismatchedOrMissingAudio() throws ModelLoadException {
        JsonNode prompt = fixture.root.get("prompts").get(0);
        int[] ids = Gemma4TokenIds.collapsed(FixtureJson.longs(prompt.get("input_ids")));
        MediaInput wav = MediaInput.of("audio", Gemma4Fixture.resource("gemma4_audio_a.wav"), "audio/wav", "a.wav");
        IllegalArgumentException count = assertThrows(IllegalArgumentException.class,
                () -> reference.processor().process(ids, List.of(wav, wav), Map.of()));
        assertTrue(count.getMessage().contains("1 audio placeholder(s)") && count.getMessage().contains("2 audio"),
                count.getMessage());
        IllegalArgumentException notAudio = assertThrows(IllegalArgumentException.class,
                () -> reference.processor().process(ids, List.of(MediaInput.of("audio", new byte[] {1, 2, 3},
                        "audio/wav", "junk.wav")), Map.of()));
        assertTrue(notAudio.getMessage().contains("junk.wav"), notAudio.getMessage());
        // the vision fixture's checkpoint has audio_config null: audio is refused, naming why
        ModelConfig visionOnly = HfConfigLoader.fromJson(Gemma4Fixture.load(Gemma4Fixture.VISION).configJson, null);
        MediaProcessor images = new Gemma4MultimodalProcessor().forModel(visionOnly, Optional.empty());
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> images.placeholderText("audio", 0));
        assertTrue(refused.getMessage().contains("no audio_config") && refused.getMessage().contains("images and videos only"),
                refused.getMessage());
        assertEquals("<|audio|>", reference.processor().placeholderText("audio", 0));
        assertEquals("<|image|>", reference.processor().placeholderText("image", 0));
    }

    @Test
    void logitsAndGreedyTokensWithAudioMatchTransformers() {
        int index = 0;
        for (JsonNode prompt : fixture.root.get("prompts")) {
            long[] ids = FixtureJson.longs(prompt.get("input_ids"));
            GreedyPromptParity.MaxDeltas deltas;
            try (MultimodalPrompt processed = reference.process(prompt)) {
                // the chunked prefill's first chunk ends inside the clip, the second carries the rest
                int cut = processed.items().get(0).offset() + 7;
                deltas = GreedyPromptParity.check(model, reference.cpu(), PagedSteps.NUM_BLOCKS,
                        PagedSteps.BLOCK_TABLE, fixture, prompt, processed, cut, "prompt " + index + " ",
                        Parity.TOLERANCE);
            }
            List<String> media = new ArrayList<>();
            prompt.get("media").forEach(m -> media.add(m.get("modality").asText() + " " + m.get("length").asInt()));
            reference.report("prompt " + index + " (" + String.join(" + ", media) + " soft tokens, " + ids.length
                    + " tokens)", String.format("prefill max |Δlogit| %.3g, chunked inside the clip %.3g, 64 greedy "
                    + "tokens identical, max |Δlogit| over steps %.3g (transformers' smallest top-2 margin %.3g)",
                    deltas.prefill(), deltas.chunked(), deltas.decode(), prompt.get("decode_min_margin").asDouble()));
            index++;
        }
    }
}
