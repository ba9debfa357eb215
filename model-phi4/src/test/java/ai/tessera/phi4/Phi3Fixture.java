package ai.tessera.phi4;

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

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * What {@code tools/reference/phi3_reference.py} recorded from transformers for one configuration: the config.json,
 * the parameter shapes, and per prompt the logits (on a vocabulary subset, the top 5, and all of the last position
 * of one prompt) and the greedy continuation with its per-step logits. Floats live in a little-endian float32 file
 * that the JSON points into.
 */
final class Phi3Fixture {
    private static final String FOLDER = "/fixtures/phi3/";

    final String name;
    final String configJson;
    final JsonNode root;
    private final float[] floats;

    private Phi3Fixture(String name, String configJson, JsonNode root, float[] floats) {
        this.name = name;
        this.configJson = configJson;
        this.root = root;
        this.floats = floats;
    }

    static Phi3Fixture load(String name) {
        JsonNode root = readTree(name + ".json");
        String config = new String(bytes(root.get("config").asText()), StandardCharsets.UTF_8);
        ByteBuffer buffer = ByteBuffer.wrap(bytes(root.get("floats").asText())).order(ByteOrder.LITTLE_ENDIAN);
        float[] floats = new float[buffer.remaining() / Float.BYTES];
        buffer.asFloatBuffer().get(floats);
        return new Phi3Fixture(name, config, root, floats);
    }

    Map<String, long[]> parameterShapes() {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        root.get("parameters").properties().forEach(e -> shapes.put(e.getKey(), longs(e.getValue())));
        return shapes;
    }

    int[] vocabSubset() {
        return ints(root.get("vocab_subset"));
    }

    int decodeSubsetSize() {
        return root.get("decode_subset_size").asInt();
    }

    List<Prompt> prompts() {
        List<Prompt> prompts = new ArrayList<>();
        for (JsonNode p : root.get("prompts")) {
            prompts.add(new Prompt(prompts.size(), longs(p.get("input_ids")),
                    matrix(p.get("prefill_subset")), intMatrix(p.get("prefill_top5_ids")),
                    matrix(p.get("prefill_top5_values")),
                    p.has("last_logits") ? matrix(p.get("last_logits"))[0] : null,
                    longs(p.get("greedy")), matrix(p.get("decode_subset")), intMatrix(p.get("decode_top5_ids")),
                    matrix(p.get("decode_top5_values")),
                    p.has("generate") ? longs(p.get("generate")) : null));
        }
        return prompts;
    }

    /** Rows of a float block; a 1-D block is one row. */
    float[][] matrix(JsonNode ref) {
        int offset = ref.get("offset").asInt();
        int[] shape = ints(ref.get("shape"));
        int rows = shape.length == 1 ? 1 : shape[0];
        int cols = shape[shape.length - 1];
        float[][] out = new float[rows][cols];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(floats, offset + r * cols, out[r], 0, cols);
        }
        return out;
    }

    /** One prompt's reference outputs. */
    record Prompt(int index, long[] inputIds, float[][] prefillSubset, int[][] prefillTop5Ids,
                  float[][] prefillTop5Values, float[] lastLogits, long[] greedy, float[][] decodeSubset,
                  int[][] decodeTop5Ids, float[][] decodeTop5Values, long[] generate) {
    }

    private static JsonNode readTree(String file) {
        try {
            return new ObjectMapper().readTree(bytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException("fixture " + file + " is not valid JSON", e);
        }
    }

    private static byte[] bytes(String file) {
        try (InputStream in = Phi3Fixture.class.getResourceAsStream(FOLDER + file)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + FOLDER + file
                        + "; regenerate it with tools/reference/phi3_reference.py");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read test resource " + FOLDER + file, e);
        }
    }
}
