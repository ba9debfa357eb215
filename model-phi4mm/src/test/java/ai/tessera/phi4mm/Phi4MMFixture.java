package ai.tessera.phi4mm;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import ai.tessera.testing.FixtureJson;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * What {@code tools/reference/phi4mm_reference.py} recorded from transformers 5.17 for the tiny Phi4MMForCausalLM:
 * {@code phi4mm.json} (parameters by original name, prompts with token ids, logits, greedy tokens) or
 * {@code phi4mm_processor.json} (image processor digests, audio features), each with its float32 file.
 */
public final class Phi4MMFixture {
    public static final String FOLDER = "/fixtures/phi4mm/";

    public final JsonNode root;
    private final float[] floats;

    private Phi4MMFixture(JsonNode root, float[] floats) {
        this.root = root;
        this.floats = floats;
    }

    public static Phi4MMFixture model() {
        return load("phi4mm.json");
    }

    public static Phi4MMFixture processor() {
        return load("phi4mm_processor.json");
    }

    private static Phi4MMFixture load(String name) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(bytes(name));
        } catch (IOException e) {
            throw new UncheckedIOException("fixture " + name + " is not valid JSON", e);
        }
        ByteBuffer buffer = ByteBuffer.wrap(bytes(root.get("floats").asText())).order(ByteOrder.LITTLE_ENDIAN);
        float[] floats = new float[buffer.remaining() / Float.BYTES];
        buffer.asFloatBuffer().get(floats);
        return new Phi4MMFixture(root, floats);
    }

    /** The tiny config.json (original Phi4MM layout). */
    public static String configJson() {
        return new String(bytes("phi4mm_tiny_config.json"), StandardCharsets.UTF_8);
    }

    /** The fixture folder on disk: it holds preprocessor_config.json (dynamic_hd), as a model folder does. */
    public static Path folder() {
        try {
            return Path.of(Phi4MMFixture.class.getResource(FOLDER + "phi4mm.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public Map<String, long[]> parameterShapes() {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        root.get("parameters").properties().forEach(e -> shapes.put(e.getKey(), FixtureJson.longs(e.getValue())));
        return shapes;
    }

    public List<JsonNode> prompts() {
        List<JsonNode> prompts = new ArrayList<>();
        root.get("prompts").forEach(prompts::add);
        return prompts;
    }

    public JsonNode prompt(String name) {
        for (JsonNode p : root.get("prompts")) {
            if (p.get("name").asText().equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("no prompt " + name + " in the fixture");
    }

    /** A float block, flattened. */
    public float[] floats(JsonNode ref) {
        int offset = ref.get("offset").asInt();
        long count = 1;
        for (JsonNode d : ref.get("shape")) {
            count *= d.asLong();
        }
        float[] out = new float[Math.toIntExact(count)];
        System.arraycopy(floats, offset, out, 0, out.length);
        return out;
    }

    /** A float block as rows of its last dimension. */
    public float[][] matrix(JsonNode ref) {
        float[] flat = floats(ref);
        JsonNode shape = ref.get("shape");
        int cols = shape.get(shape.size() - 1).asInt();
        float[][] rows = new float[flat.length / cols][];
        for (int r = 0; r < rows.length; r++) {
            rows[r] = java.util.Arrays.copyOfRange(flat, r * cols, (r + 1) * cols);
        }
        return rows;
    }

    public static byte[] bytes(String name) {
        try (InputStream in = Phi4MMFixture.class.getResourceAsStream(FOLDER + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + FOLDER + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
