package ai.tessera.qwen25vl;

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
 * What {@code tools/reference/qwen25vl_reference.py} recorded from transformers: the config.json of the tiny model,
 * its parameter shapes, and per case the token ids, M-RoPE positions and rope delta, the media items (grid, pixel
 * PRNG name, token span), the vision tower's window bookkeeping and merged embeddings, prefill logits (a vocabulary
 * subset and the top 5 at every position, one whole row) and the 64 greedy tokens with their steps' logits. Floats
 * live in a little-endian float32 file that the JSON points into.
 */
final class Qwen25VlFixture {
    private static final String FOLDER = "/fixtures/qwen25vl-model/";
    static final String NAME = "qwen25vl_tiny";

    final String configJson;
    final JsonNode root;
    private final float[] floats;

    private Qwen25VlFixture(String configJson, JsonNode root, float[] floats) {
        this.configJson = configJson;
        this.root = root;
        this.floats = floats;
    }

    static Qwen25VlFixture load() {
        JsonNode root = readTree(NAME + ".json");
        String config = new String(bytes(root.get("config").asText()), StandardCharsets.UTF_8);
        ByteBuffer buffer = ByteBuffer.wrap(bytes(root.get("floats").asText())).order(ByteOrder.LITTLE_ENDIAN);
        float[] floats = new float[buffer.remaining() / Float.BYTES];
        buffer.asFloatBuffer().get(floats);
        return new Qwen25VlFixture(config, root, floats);
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

    float pixelScale() {
        return (float) root.get("pixel_scale").asDouble();
    }

    List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        for (JsonNode c : root.get("cases")) {
            List<Item> items = new ArrayList<>();
            for (JsonNode i : c.get("items")) {
                items.add(new Item(i.get("modality").asText(), ints(i.get("grid_thw")), i.get("pixel_name").asText(),
                        i.get("offset").asInt(), i.get("length").asInt()));
            }
            JsonNode positions = c.get("positions");
            long[][] pos = new long[positions.size()][];
            for (int r = 0; r < pos.length; r++) {
                pos[r] = longs(positions.get(r));
            }
            cases.add(new Case(c.get("name").asText(), longs(c.get("input_ids")), items, pos,
                    c.get("rope_delta").asLong(), c.has("embeddings") ? matrix(c.get("embeddings")) : null,
                    matrix(c.get("prefill_subset")), intMatrix(c.get("prefill_top5_ids")),
                    matrix(c.get("prefill_top5_values")),
                    c.has("last_logits") ? matrix(c.get("last_logits"))[0] : null, longs(c.get("greedy")),
                    matrix(c.get("decode_subset")), intMatrix(c.get("decode_top5_ids")),
                    matrix(c.get("decode_top5_values")), c.get("vision")));
        }
        return cases;
    }

    Case byName(String name) {
        return cases().stream().filter(c -> c.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no case " + name));
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

    /** One media item: modality, grid, the PRNG name of its pixels, and the tokens its embeddings replace. */
    record Item(String modality, int[] gridThw, String pixelName, int offset, int length) {
        int patches() {
            return gridThw[0] * gridThw[1] * gridThw[2];
        }
    }

    /** One prompt's reference outputs. */
    record Case(String name, long[] inputIds, List<Item> items, long[][] positions, long ropeDelta,
                float[][] embeddings, float[][] prefillSubset, int[][] prefillTop5Ids, float[][] prefillTop5Values,
                float[] lastLogits, long[] greedy, float[][] decodeSubset, int[][] decodeTop5Ids,
                float[][] decodeTop5Values, JsonNode vision) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static JsonNode readTree(String file) {
        try {
            return new ObjectMapper().readTree(bytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException("fixture " + file + " is not valid JSON", e);
        }
    }

    private static byte[] bytes(String file) {
        try (InputStream in = Qwen25VlFixture.class.getResourceAsStream(FOLDER + file)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + FOLDER + file
                        + "; regenerate it with tools/reference/qwen25vl_reference.py");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read test resource " + FOLDER + file, e);
        }
    }
}
