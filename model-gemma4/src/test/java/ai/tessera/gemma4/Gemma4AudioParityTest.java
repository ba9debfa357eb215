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
import java.util.TreeMap;

import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;
import javax.sound.sampled.UnsupportedAudioFileException;

import ai.tessera.api.ForwardBatch;
import ai.tessera.api.MediaInput;
import ai.tessera.api.MediaProcessor;
import ai.tessera.api.ModelConfig;
import ai.tessera.api.ModelLoadException;
import ai.tessera.api.MultimodalEmbeddings;
import ai.tessera.api.MultimodalItem;
import ai.tessera.api.MultimodalPrompt;
import ai.tessera.core.config.HfConfigLoader;
import ai.tessera.core.kv.PagedKvCache;
import ai.tessera.core.platform.CpuPlatform;
import ai.tessera.media.AudioDecoding;
import ai.tessera.testing.FixtureJson;
import ai.tessera.testing.Parity;
import ai.tessera.testing.ReferenceModelContext;
import com.fasterxml.jackson.databind.JsonNode;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
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
    private static final double TOLERANCE = Parity.TOLERANCE;
    private static final int BLOCK_SIZE = 16;
    private static final int NUM_BLOCKS = 24;
    private static final long[] BLOCKS = {11, 3, 14, 0, 7, 9, 1, 20, 17, 5, 12, 2, 8, 15};
    static final int IMAGE = 258880;
    static final int BOI = 255999;
    static final int EOI = 258882;
    static final int AUDIO = 258881;
    static final int BOA = 256000;
    static final int EOA = 258883;

    private final CpuPlatform cpu = new CpuPlatform();
    private final Map<String, String> report = new TreeMap<>();
    private Gemma4Fixture fixture;
    private PrngWeightSource weights;
    private Gemma4CausalLm model;
    private MediaProcessor processor;

    @BeforeAll
    void load() throws ModelLoadException {
        fixture = Gemma4Fixture.load(Gemma4Fixture.AUDIO);
        weights = new PrngWeightSource(fixture.parameterShapes());
        ModelConfig config = HfConfigLoader.fromJson(fixture.configJson, null);
        model = (Gemma4CausalLm) new Gemma4ForConditionalGeneration().load(new ReferenceModelContext(config, weights,
                cpu, ScalarType.Float));
        processor = new Gemma4MultimodalProcessor().forModel(config, Optional.empty());
    }

    @AfterAll
    void close() {
        model.close();
        report.forEach((key, line) -> System.out.println("[gemma4 audio parity] " + key + ": " + line));
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
        assertEquals(fixture.parameterShapes().keySet(), weights.loaded(),
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
                double delta = compareRows(file + " log-mel features", rows(features.features()),
                        fixture.matrix(clip.get("features")));
                maxDelta = Math.max(maxDelta, delta);
                clips.append(String.format("%s %d samples → %d frames (%d valid), %d tokens, max |Δ| %.3g; ", file,
                        samples.length, features.frames(), features.validFrames(),
                        clip.get("num_soft_tokens").asInt(), delta));
            }
        }
        report.put("features", clips + String.format("overall max |Δ| %.3g", maxDelta));
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
                                subsampled.add(rows(hidden));
                            }

                            @Override
                            public void layerOutput(int layer, Tensor hidden) {
                                layers.add(rows(hidden));
                            }

                            @Override
                            public void towerOutput(Tensor hidden) {
                                out.add(rows(hidden));
                            }
                        });
                maxDelta = Math.max(maxDelta, compareRows(file + " subsampling", subsampled.get(0),
                        fixture.matrix(tower.get("subsample"))));
                assertEquals(tower.get("layer_out").size(), layers.size(), file + ": layers");
                for (int l = 0; l < layers.size(); l++) {
                    maxDelta = Math.max(maxDelta, compareRows(file + " layer " + l, layers.get(l),
                            fixture.matrix(tower.get("layer_out").get(l))));
                }
                maxDelta = Math.max(maxDelta, compareRows(file + " output_proj", out.get(0),
                        fixture.matrix(tower.get("tower_out"))));
                maxDelta = Math.max(maxDelta, compareRows(file + " embed_audio", rows(embeds),
                        fixture.matrix(tower.get("audio_features"))));
            }
        }
        report.put("tower: subsampling, every conformer layer, output_proj, embed_audio (3 clips)",
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
                return weights.load(name, shape).to(ScalarType.BFloat16);
            }

            @Override
            public java.util.Set<String> names() {
                return weights.names();
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
                    float[][] actual = rows(out.to(ScalarType.Float));
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
        report.put("tower in bfloat16 vs transformers' float32", String.format("relative error ≤ %.3g", worst));
    }

    /** The prompt as the chat template writes it: one placeholder per image and per clip. */
    static int[] collapsed(long[] expanded) {
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < expanded.length; i++) {
            if (expanded[i] == BOI || expanded[i] == BOA) {
                long end = expanded[i] == BOI ? EOI : EOA;
                ids.add(expanded[i] == BOI ? IMAGE : AUDIO);
                while (expanded[i] != end) {
                    i++;
                }
            } else {
                ids.add((int) expanded[i]);
            }
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    static List<MediaInput> media(JsonNode prompt) {
        List<MediaInput> media = new ArrayList<>();
        for (JsonNode m : prompt.get("media")) {
            String file = m.get("file").asText();
            String modality = m.get("modality").asText();
            media.add(MediaInput.of(modality, Gemma4Fixture.resource(file), modality.equals("audio") ? "audio/wav"
                    : "image/png", file));
        }
        return media;
    }

    private MultimodalPrompt process(JsonNode prompt) {
        return processor.process(collapsed(FixtureJson.longs(prompt.get("input_ids"))), media(prompt),
                Map.of("max_soft_tokens", fixture.root.get("max_soft_tokens").asInt()));
    }

    @Test
    void processorExpandsEachPlaceholderAsGemma4ProcessorDoes() {
        for (JsonNode prompt : fixture.root.get("prompts")) {
            try (MultimodalPrompt processed = process(prompt)) {
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
        int[] ids = collapsed(FixtureJson.longs(prompt.get("input_ids")));
        MediaInput wav = MediaInput.of("audio", Gemma4Fixture.resource("gemma4_audio_a.wav"), "audio/wav", "a.wav");
        IllegalArgumentException count = assertThrows(IllegalArgumentException.class,
                () -> processor.process(ids, List.of(wav, wav), Map.of()));
        assertTrue(count.getMessage().contains("1 audio placeholder(s)") && count.getMessage().contains("2 audio"),
                count.getMessage());
        IllegalArgumentException notAudio = assertThrows(IllegalArgumentException.class, () -> processor.process(ids,
                List.of(MediaInput.of("audio", new byte[] {1, 2, 3}, "audio/wav", "junk.wav")), Map.of()));
        assertTrue(notAudio.getMessage().contains("junk.wav"), notAudio.getMessage());
        // the vision fixture's checkpoint has audio_config null: audio is refused, naming why
        ModelConfig visionOnly = HfConfigLoader.fromJson(Gemma4Fixture.load(Gemma4Fixture.VISION).configJson, null);
        MediaProcessor images = new Gemma4MultimodalProcessor().forModel(visionOnly, Optional.empty());
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> images.placeholderText("audio", 0));
        assertTrue(refused.getMessage().contains("no audio_config") && refused.getMessage().contains("images and videos only"),
                refused.getMessage());
        assertEquals("<|audio|>", processor.placeholderText("audio", 0));
        assertEquals("<|image|>", processor.placeholderText("image", 0));
    }

    private static MultimodalEmbeddings slice(List<MultimodalItem> items, List<Tensor> embeds, int from, int to) {
        List<Tensor> rows = new ArrayList<>();
        List<Long> indices = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            MultimodalItem item = items.get(i);
            int lo = Math.max(from, item.offset());
            int hi = Math.min(to, item.offset() + item.length());
            if (lo < hi) {
                rows.add(embeds.get(i).narrow(0, lo - item.offset(), hi - lo));
                for (int t = lo; t < hi; t++) {
                    indices.add((long) (t - from));
                }
            }
        }
        if (rows.isEmpty()) {
            return null;
        }
        return new MultimodalEmbeddings(torch.cat(new TensorVector(rows.toArray(new Tensor[0])), 0),
                torch.tensor(indices.stream().mapToLong(Long::longValue).toArray()));
    }

    private float[][] step(PagedKvCache cache, long[] tokens, int from, int to, List<MultimodalItem> items,
                           List<Tensor> embeds, long[] logitsIndices) {
        ForwardBatch batch = Gemma4ParityTest.batch(cache, List.of(new Gemma4ParityTest.SequenceStep(
                Arrays.copyOf(tokens, to), from, BLOCKS)), logitsIndices);
        Tensor logits = model.forward(new ForwardBatch(batch.inputIds(), batch.positions(), batch.attention(),
                batch.kvCache(), batch.logitsIndices(), slice(items, embeds, from, to)));
        return rows(logits);
    }

    @Test
    void logitsAndGreedyTokensWithAudioMatchTransformers() {
        int[] subset = FixtureJson.ints(fixture.root.get("vocab_subset"));
        int[] decodeSubset = Arrays.copyOf(subset, fixture.root.get("decode_subset_size").asInt());
        int index = 0;
        for (JsonNode prompt : fixture.root.get("prompts")) {
            long[] ids = FixtureJson.longs(prompt.get("input_ids"));
            float[][] prefillSubset = fixture.matrix(prompt.get("prefill_subset"));
            int[][] prefillTop5 = FixtureJson.intMatrix(prompt.get("prefill_top5_ids"));
            float[][] prefillTop5Values = fixture.matrix(prompt.get("prefill_top5_values"));
            long[] greedy = FixtureJson.longs(prompt.get("greedy"));
            float[][] decode = fixture.matrix(prompt.get("decode_subset"));
            int[][] decodeTop5 = FixtureJson.intMatrix(prompt.get("decode_top5_ids"));
            float[][] decodeTop5Values = fixture.matrix(prompt.get("decode_top5_values"));
            double prefillDelta = 0;
            double decodeDelta = 0;
            double chunkedDelta = 0;
            try (MultimodalPrompt processed = process(prompt)) {
                try (PagedKvCache cache = PagedKvCache.allocate(model.attentionLayers(), NUM_BLOCKS, BLOCK_SIZE,
                        cpu.device());
                     PointerScope scope = new PointerScope()) {
                    List<Tensor> embeds = model.embedMultimodal(processed.items());
                    float[][] rows = step(cache, ids, 0, ids.length, processed.items(), embeds, null);
                    for (int t = 0; t < ids.length; t++) {
                        prefillDelta = Math.max(prefillDelta, Parity.compare("prompt " + index + " position " + t,
                                rows[t], subset, prefillSubset[t], prefillTop5[t], prefillTop5Values[t]));
                    }
                    long[] sequence = ids;
                    float[] logits = rows[ids.length - 1];
                    for (int s = 0; s < greedy.length; s++) {
                        String where = "prompt " + index + " greedy step " + s;
                        decodeDelta = Math.max(decodeDelta, Parity.compare(where, logits, decodeSubset, decode[s],
                                decodeTop5[s], decodeTop5Values[s]));
                        assertEquals(greedy[s], Parity.argmax(logits), where + ": greedy token");
                        sequence = Parity.append(sequence, greedy[s]);
                        if (s + 1 < greedy.length) {
                            logits = step(cache, sequence, sequence.length - 1, sequence.length, processed.items(),
                                    embeds, new long[] {0})[0];
                        }
                    }
                }
                // Chunked prefill: the first chunk ends inside the clip, the second carries the rest.
                try (PagedKvCache cache = PagedKvCache.allocate(model.attentionLayers(), NUM_BLOCKS, BLOCK_SIZE,
                        cpu.device());
                     PointerScope scope = new PointerScope()) {
                    List<Tensor> embeds = model.embedMultimodal(processed.items());
                    int cut = processed.items().get(0).offset() + 7;
                    float[][] first = step(cache, ids, 0, cut, processed.items(), embeds, null);
                    float[][] second = step(cache, ids, cut, ids.length, processed.items(), embeds, null);
                    for (int t = 0; t < ids.length; t++) {
                        float[] row = t < cut ? first[t] : second[t - cut];
                        chunkedDelta = Math.max(chunkedDelta, Parity.compare("prompt " + index + " chunked position "
                                + t, row, subset, prefillSubset[t], prefillTop5[t], prefillTop5Values[t]));
                    }
                }
            }
            List<String> media = new ArrayList<>();
            prompt.get("media").forEach(m -> media.add(m.get("modality").asText() + " " + m.get("length").asInt()));
            report.put("prompt " + index + " (" + String.join(" + ", media) + " soft tokens, " + ids.length
                    + " tokens)", String.format("prefill max |Δlogit| %.3g, chunked inside the clip %.3g, 64 greedy "
                    + "tokens identical, max |Δlogit| over steps %.3g (transformers' smallest top-2 margin %.3g)",
                    prefillDelta, chunkedDelta, decodeDelta, prompt.get("decode_min_margin").asDouble()));
            index++;
        }
    }

    private static double compareRows(String where, float[][] actual, float[][] expected) {
        assertEquals(expected.length, actual.length, where + ": rows");
        double max = 0;
        for (int r = 0; r < expected.length; r++) {
            assertEquals(expected[r].length, actual[r].length, where + ": columns");
            for (int c = 0; c < expected[r].length; c++) {
                max = Math.max(max, Math.abs(actual[r][c] - expected[r][c]));
            }
        }
        assertTrue(max <= TOLERANCE, where + ": max |Δ| " + max + " exceeds " + TOLERANCE);
        return max;
    }

    static float[][] rows(Tensor matrix) {
        float[][] rows = new float[(int) matrix.size(0)][];
        for (int r = 0; r < rows.length; r++) {
            rows[r] = Parity.values(matrix.select(0, r));
        }
        return rows;
    }
}
