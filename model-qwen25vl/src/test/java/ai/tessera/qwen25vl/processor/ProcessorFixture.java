package ai.tessera.qwen25vl.processor;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

import ai.tessera.api.MediaInput;
import ai.tessera.api.ModelConfig;
import ai.tessera.api.ModelLoadException;
import ai.tessera.core.config.HfConfigLoader;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * What {@code tools/reference/qwen25vl_processor_reference.py} recorded from transformers 5's Qwen2_5_VLProcessor:
 * per case the prompt before and after expansion, the patch tensors (float32 blocks of {@code pixels.bin.gz}), the
 * grids, {@code second_per_grid_ts} and {@code get_rope_index}'s positions; Pillow's pixels of the decoding-check
 * images ({@code decoded.bin}); and the input images and video files themselves.
 */
final class ProcessorFixture {
    private static final String FOLDER = "/fixtures/qwen25vl-processor/";

    final JsonNode root;
    private final float[] floats;
    private final byte[] decoded;

    private ProcessorFixture(JsonNode root, float[] floats, byte[] decoded) {
        this.root = root;
        this.floats = floats;
        this.decoded = decoded;
    }

    static ProcessorFixture load() {
        try {
            JsonNode root = new ObjectMapper().readTree(bytes("cases.json"));
            byte[] raw;
            try (InputStream in = new GZIPInputStream(stream("pixels.bin.gz"))) {
                raw = in.readAllBytes();
            }
            float[] floats = new float[raw.length / Float.BYTES];
            ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(floats);
            return new ProcessorFixture(root, floats, bytes("decoded.bin"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The tiny config.json the reference built its model from. */
    ModelConfig config() throws ModelLoadException {
        return HfConfigLoader.fromJson(root.get("config").toString(), null);
    }

    /** A model folder holding the reference's preprocessor_config.json (Qwen2.5-VL-7B-Instruct's). */
    Path modelFolder(Path dir) throws IOException {
        Files.writeString(dir.resolve("preprocessor_config.json"), root.get("preprocessor_config").toString());
        Files.writeString(dir.resolve("config.json"), root.get("config").toString());
        return dir;
    }

    List<JsonNode> cases() {
        List<JsonNode> out = new ArrayList<>();
        root.get("cases").forEach(out::add);
        return out;
    }

    JsonNode testCase(String name) {
        for (JsonNode c : root.get("cases")) {
            if (c.get("name").asText().equals(name)) {
                return c;
            }
        }
        throw new IllegalArgumentException("no fixture case " + name);
    }

    /** The float32 block a {@code {offset, shape}} reference points to. */
    float[] block(JsonNode ref) {
        int n = 1;
        for (JsonNode d : ref.get("shape")) {
            n *= d.asInt();
        }
        float[] out = new float[n];
        System.arraycopy(floats, ref.get("offset").asInt(), out, 0, n);
        return out;
    }

    /**
     * Pillow's RGB bytes of a decoding-check image: {@code offset} after transformers' {@code convert_to_rgb},
     * {@code vllm_offset} (RGBA images) after vLLM's compositing over white.
     */
    byte[] decodedRgb(JsonNode entry, String offsetKey) {
        int n = entry.get("height").asInt() * entry.get("width").asInt() * 3;
        byte[] out = new byte[n];
        System.arraycopy(decoded, entry.get(offsetKey).asInt(), out, 0, n);
        return out;
    }

    /**
     * The media of a case as the server would hand them over: each image as its file, each video as its frame
     * files, or (where the case says so) as one video file.
     */
    static List<MediaInput> media(JsonNode c) {
        List<MediaInput> media = new ArrayList<>();
        for (JsonNode part : c.get("parts")) {
            String p = part.asText();
            if (p.startsWith("image:")) {
                String file = p.substring(6);
                media.add(MediaInput.of("image", input(file), null, file));
            } else if (p.startsWith("video:")) {
                if (c.path("java").has("video_file")) {
                    String file = c.get("java").get("video_file").asText();
                    media.add(MediaInput.of("video", input(file), null, file));
                } else {
                    String[] spec = p.substring(6).split("\\*");
                    List<byte[]> frames = new ArrayList<>();
                    for (int f = 0; f < Integer.parseInt(spec[1]); f++) {
                        frames.add(input(String.format("%s_%03d.png", spec[0], f)));
                    }
                    media.add(new MediaInput("video", frames, null, spec[0] + " frames"));
                }
            }
        }
        return media;
    }

    static Map<String, Object> kwargs(JsonNode c) {
        Map<String, Object> out = new LinkedHashMap<>();
        c.path("kwargs").properties().forEach(e -> out.put(e.getKey(), e.getValue().numberValue()));
        return out;
    }

    static byte[] input(String file) {
        return bytes("inputs/" + file);
    }

    private static byte[] bytes(String name) {
        try (InputStream in = stream(name)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static InputStream stream(String name) {
        InputStream in = ProcessorFixture.class.getResourceAsStream(FOLDER + name);
        if (in == null) {
            throw new IllegalStateException("missing test resource " + FOLDER + name);
        }
        return in;
    }
}
