package ai.tessera.gemma4;

import static ai.tessera.testing.FixtureJson.intMatrix;
import static ai.tessera.testing.FixtureJson.ints;
import static ai.tessera.testing.FixtureJson.longs;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import ai.tessera.api.MediaInput;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * What {@code tools/reference/gemma4_reference.py} recorded from transformers for one model: its config.json, the
 * parameter shapes, the RoPE inverse frequencies, and per prompt the logits (on a vocabulary subset at every
 * position, the top 5, a larger subset at the last position) and the greedy continuation with its per-step logits;
 * for prompt 0 also the per-layer hidden states. Floats live in a little-endian float32 file the JSON points into.
 */
final class Gemma4Fixture {
    private static final String FOLDER = "/fixtures/gemma4/";
    static final String E2B = "gemma4_e2b";
    static final String MOE = "gemma4_26b_a4b";
    static final String VISION = "gemma4_vision";
    static final String AUDIO = "gemma4_audio";
    static final String VIDEO = "gemma4_video";

    final String name;
    final String configJson;
    final JsonNode root;
    private final float[] floats;

    private Gemma4Fixture(String name, String configJson, JsonNode root, float[] floats) {
        this.name = name;
        this.configJson = configJson;
        this.root = root;
        this.floats = floats;
    }

    static Gemma4Fixture load(String name) {
        JsonNode root = readTree(name + ".json");
        String config = new String(bytes(root.get("config").asText()), StandardCharsets.UTF_8);
        ByteBuffer buffer = ByteBuffer.wrap(bytes(root.get("floats").asText())).order(ByteOrder.LITTLE_ENDIAN);
        float[] floats = new float[buffer.remaining() / Float.BYTES];
        buffer.asFloatBuffer().get(floats);
        return new Gemma4Fixture(name, config, root, floats);
    }

    String architecture() {
        return root.get("architecture").asText();
    }

    Map<String, long[]> parameterShapes() {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        root.get("parameters").properties().forEach(e -> shapes.put(e.getKey(), longs(e.getValue())));
        return shapes;
    }

    int[] vocabSubset() {
        return ints(root.get("vocab_subset"));
    }

    int[] lastSubset() {
        return ints(root.get("last_subset"));
    }

    int decodeSubsetSize() {
        return root.get("decode_subset_size").asInt();
    }

    float[] invFreq(String layerType) {
        JsonNode node = root.get("inv_freq").get(layerType);
        float[] out = new float[node.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) node.get(i).asDouble();
        }
        return out;
    }

    List<Prompt> prompts() {
        List<Prompt> prompts = new ArrayList<>();
        for (JsonNode p : root.get("prompts")) {
            prompts.add(new Prompt(prompts.size(), p.get("text").asText(), longs(p.get("input_ids")),
                    matrix(p.get("prefill_subset")), intMatrix(p.get("prefill_top5_ids")),
                    matrix(p.get("prefill_top5_values")), matrix(p.get("last_subset"))[0],
                    longs(p.get("greedy")), matrix(p.get("decode_subset")), intMatrix(p.get("decode_top5_ids")),
                    matrix(p.get("decode_top5_values")), p.get("decode_min_margin").asDouble(),
                    p.has("generate") ? longs(p.get("generate")) : null, p.get("debug")));
        }
        return prompts;
    }

    /** Rows of a float block; a 1-D block is one row. */
    float[][] matrix(JsonNode ref) {
        int offset = ref.get("offset").asInt();
        int[] shape = ints(ref.get("shape"));
        int cols = shape[shape.length - 1];
        int rows = 1;
        for (int d = 0; d < shape.length - 1; d++) {
            rows *= shape[d];
        }
        float[][] out = new float[rows][cols];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(floats, offset + r * cols, out[r], 0, cols);
        }
        return out;
    }

    /** One prompt's reference outputs; {@code debug} (prompt 0 only) holds per-layer tensors. */
    record Prompt(int index, String text, long[] inputIds, float[][] prefillSubset, int[][] prefillTop5Ids,
                  float[][] prefillTop5Values, float[] lastSubset, long[] greedy, float[][] decodeSubset,
                  int[][] decodeTop5Ids, float[][] decodeTop5Values, double decodeMinMargin, long[] generate,
                  JsonNode debug) {
    }

    private static JsonNode readTree(String file) {
        try {
            return new ObjectMapper().readTree(bytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException("fixture " + file + " is not valid JSON", e);
        }
    }

    /** A file of the fixture folder (the test images). */
    /** A prompt's media: {@code media} with their modality (audio fixture) or else its {@code images}. */
    static List<MediaInput> media(JsonNode prompt) {
        List<MediaInput> media = new ArrayList<>();
        if (prompt.has("media")) {
            for (JsonNode m : prompt.get("media")) {
                String file = m.get("file").asText();
                String modality = m.get("modality").asText();
                media.add(MediaInput.of(modality, resource(file), modality.equals("audio") ? "audio/wav"
                        : "image/png", file));
            }
        } else {
            for (JsonNode name : prompt.get("images")) {
                media.add(MediaInput.of("image", resource(name.asText()), "image/png", name.asText()));
            }
        }
        return media;
    }

    static byte[] resource(String file) {
        return bytes(file);
    }

    private static byte[] bytes(String file) {
        try (InputStream in = Gemma4Fixture.class.getResourceAsStream(FOLDER + file)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + FOLDER + file
                        + "; regenerate it with tools/reference/gemma4_reference.py");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read test resource " + FOLDER + file, e);
        }
    }
}
