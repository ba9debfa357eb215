package ai.tessera.phi4;

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
 * What {@code tools/reference/phi4v_reference.py} recorded from transformers for the tiny Phi4ForCausalLMV: the
 * config.json, parameter shapes, test images (PNG) with the processor's outputs and the tower's features, and per
 * prompt the token ids, prefill logits and 64 greedy tokens. Floats live in a little-endian float32 file.
 */
public final class Phi4VisionFixture {
    private static final String FOLDER = "/fixtures/phi4v/";

    public final String configJson;
    public final JsonNode root;
    private final float[] floats;

    private Phi4VisionFixture(String configJson, JsonNode root, float[] floats) {
        this.configJson = configJson;
        this.root = root;
        this.floats = floats;
    }

    public static Phi4VisionFixture load() {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(bytes("phi4v.json"));
        } catch (IOException e) {
            throw new UncheckedIOException("fixture phi4v.json is not valid JSON", e);
        }
        String config = new String(bytes(root.get("config").asText()), StandardCharsets.UTF_8);
        ByteBuffer buffer = ByteBuffer.wrap(bytes(root.get("floats").asText())).order(ByteOrder.LITTLE_ENDIAN);
        float[] floats = new float[buffer.remaining() / Float.BYTES];
        buffer.asFloatBuffer().get(floats);
        return new Phi4VisionFixture(config, root, floats);
    }

    public Map<String, long[]> parameterShapes() {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        root.get("parameters").properties().forEach(e -> shapes.put(e.getKey(), longs(e.getValue())));
        return shapes;
    }

    /** The test images by name, in the order the reference processed them. */
    public List<String> imageNames() {
        List<String> names = new ArrayList<>();
        root.get("images").fieldNames().forEachRemaining(names::add);
        return names;
    }

    public JsonNode image(String name) {
        return root.get("images").get(name);
    }

    public byte[] imageBytes(String name) {
        return bytes(image(name).get("file").asText());
    }

    public List<JsonNode> prompts() {
        List<JsonNode> prompts = new ArrayList<>();
        root.get("prompts").forEach(prompts::add);
        return prompts;
    }

    /** A float block as rows; a 1-D block is one row. */
    public float[][] matrix(JsonNode ref) {
        int offset = ref.get("offset").asInt();
        JsonNode shape = ref.get("shape");
        int rows = shape.size() == 1 ? 1 : shape.get(0).asInt();
        int cols = shape.get(shape.size() - 1).asInt();
        float[][] out = new float[rows][cols];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(floats, offset + r * cols, out[r], 0, cols);
        }
        return out;
    }

    private static byte[] bytes(String file) {
        try (InputStream in = Phi4VisionFixture.class.getResourceAsStream(FOLDER + file)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + FOLDER + file
                        + "; regenerate it with tools/reference/phi4v_reference.py");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read test resource " + FOLDER + file, e);
        }
    }
}
