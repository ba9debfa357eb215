package ai.tessera.core.weights;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Writes small safetensors files for tests: well-formed ones, and raw headers for the error cases. */
final class SafetensorsTestWriter {
    private record Tensor(String name, String dtype, long[] shape, byte[] data) {
    }

    private final List<Tensor> tensors = new ArrayList<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    SafetensorsTestWriter f32(String name, long[] shape, float... values) {
        ByteBuffer b = little(values.length * 4);
        for (float v : values) {
            b.putFloat(v);
        }
        return add(name, "F32", shape, b.array());
    }

    /** Raw 16-bit patterns, for BF16 and F16. */
    SafetensorsTestWriter bits16(String name, String dtype, long[] shape, short... bits) {
        ByteBuffer b = little(bits.length * 2);
        for (short v : bits) {
            b.putShort(v);
        }
        return add(name, dtype, shape, b.array());
    }

    SafetensorsTestWriter i64(String name, long[] shape, long... values) {
        ByteBuffer b = little(values.length * 8);
        for (long v : values) {
            b.putLong(v);
        }
        return add(name, "I64", shape, b.array());
    }

    SafetensorsTestWriter add(String name, String dtype, long[] shape, byte[] data) {
        tensors.add(new Tensor(name, dtype, shape, data));
        return this;
    }

    SafetensorsTestWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    Path write(Path file) throws IOException {
        StringBuilder header = new StringBuilder("{");
        if (!metadata.isEmpty()) {
            header.append("\"__metadata__\":{").append(metadata.entrySet().stream()
                    .map(e -> quote(e.getKey()) + ":" + quote(e.getValue())).collect(Collectors.joining(","))).append("},");
        }
        long offset = 0;
        List<String> entries = new ArrayList<>();
        for (Tensor t : tensors) {
            entries.add(quote(t.name) + ":{\"dtype\":" + quote(t.dtype) + ",\"shape\":" + json(t.shape)
                    + ",\"data_offsets\":[" + offset + "," + (offset + t.data.length) + "]}");
            offset += t.data.length;
        }
        header.append(String.join(",", entries)).append("}");
        byte[] data = new byte[(int) offset];
        int at = 0;
        for (Tensor t : tensors) {
            System.arraycopy(t.data, 0, data, at, t.data.length);
            at += t.data.length;
        }
        return writeRaw(file, header.toString(), data);
    }

    /** A file with this header text and data, the length field matching the header. */
    static Path writeRaw(Path file, String header, byte[] data) throws IOException {
        byte[] headerBytes = header.getBytes(StandardCharsets.UTF_8);
        return writeRaw(file, headerBytes.length, headerBytes, data);
    }

    /** A file whose length field says {@code declaredLength}, whatever follows. */
    static Path writeRaw(Path file, long declaredLength, byte[] header, byte[] data) throws IOException {
        ByteBuffer b = little(8 + header.length + data.length);
        b.putLong(declaredLength).put(header).put(data);
        Files.write(file, b.array());
        return file;
    }

    static long[] shape(long... dims) {
        return dims;
    }

    private static ByteBuffer little(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static String json(long[] shape) {
        return Arrays.toString(shape).replace(" ", "");
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
