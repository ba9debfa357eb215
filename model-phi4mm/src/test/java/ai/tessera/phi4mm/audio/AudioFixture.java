package ai.tessera.phi4mm.audio;

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
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * What {@code tools/reference/phi4mm_audio_reference.py} recorded from transformers: the tiny config.json, the test
 * clips (WAV), the mel filter bank, each clip's features and, per weight variant, its encoder and projection outputs;
 * floats in a little-endian float32 file.
 */
final class AudioFixture {
    private static final String FOLDER = "/fixtures/phi4mm_audio/";

    final String configJson;
    final JsonNode root;
    private final float[] floats;

    private AudioFixture(String configJson, JsonNode root, float[] floats) {
        this.configJson = configJson;
        this.root = root;
        this.floats = floats;
    }

    static AudioFixture load() {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(bytes("phi4mm_audio.json"));
        } catch (IOException e) {
            throw new UncheckedIOException("fixture phi4mm_audio.json is not valid JSON", e);
        }
        String config = new String(bytes(root.get("config").asText()), StandardCharsets.UTF_8);
        ByteBuffer buffer = ByteBuffer.wrap(bytes(root.get("floats").asText())).order(ByteOrder.LITTLE_ENDIAN);
        float[] floats = new float[buffer.remaining() / Float.BYTES];
        buffer.asFloatBuffer().get(floats);
        return new AudioFixture(config, root, floats);
    }

    Map<String, long[]> parameterShapes() {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        root.get("parameters").properties().forEach(e -> shapes.put(e.getKey(), longs(e.getValue())));
        return shapes;
    }

    List<String> clipNames() {
        List<String> names = new ArrayList<>();
        root.get("clips").fieldNames().forEachRemaining(names::add);
        return names;
    }

    JsonNode clip(String name) {
        return root.get("clips").get(name);
    }

    /** A clip's outputs for a weight variant ("prng" or "scaled"). */
    JsonNode clipOutputs(String variant, String name) {
        return root.get("variants").get(variant).get("clips").get(name);
    }

    byte[] wav(String name) {
        return bytes(clip(name).get("file").asText());
    }

    /** The WAV's 16-bit samples / 32768, as the reference fed them to the extractor. */
    float[] pcm(String name) {
        ByteBuffer b = ByteBuffer.wrap(wav(name)).order(ByteOrder.LITTLE_ENDIAN);
        b.position(12);
        while (b.remaining() >= 8) {
            byte[] id = new byte[4];
            b.get(id);
            int size = b.getInt();
            if (new String(id, StandardCharsets.US_ASCII).equals("data")) {
                float[] out = new float[size / 2];
                for (int i = 0; i < out.length; i++) {
                    out[i] = b.getShort() / 32768f;
                }
                return out;
            }
            b.position(b.position() + size);
        }
        throw new IllegalStateException(name + ": no data chunk in the WAV file");
    }

    /** A float block, flattened. */
    float[] floats(JsonNode ref) {
        int offset = ref.get("offset").asInt();
        long count = 1;
        for (long d : longs(ref.get("shape"))) {
            count *= d;
        }
        float[] out = new float[Math.toIntExact(count)];
        System.arraycopy(floats, offset, out, 0, out.length);
        return out;
    }

    long[] shape(JsonNode ref) {
        return longs(ref.get("shape"));
    }

    /** A float block as a CPU float32 tensor of its shape. */
    Tensor tensor(JsonNode ref) {
        return torch.tensor(floats(ref), new TensorOptions(ScalarType.Float)).reshape(shape(ref));
    }

    private static byte[] bytes(String file) {
        try (InputStream in = AudioFixture.class.getResourceAsStream(FOLDER + file)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + FOLDER + file
                        + "; regenerate it with tools/reference/phi4mm_audio_reference.py");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read test resource " + FOLDER + file, e);
        }
    }
}
