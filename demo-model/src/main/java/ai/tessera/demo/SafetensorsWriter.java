package ai.tessera.demo;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;

/** Writes float32 tensors as a safetensors file: an 8-byte header length, the JSON header, then the data. */
public final class SafetensorsWriter {
    /** One tensor: its name, shape and values in row-major order. */
    public record Tensor(String name, long[] shape, float[] values) {
        public Tensor {
            long count = 1;
            for (long d : shape) {
                count *= d;
            }
            if (count != values.length) {
                throw new IllegalArgumentException(name + ": shape holds " + count + " values, got " + values.length);
            }
        }
    }

    private SafetensorsWriter() {
    }

    public static void write(Path file, List<Tensor> tensors) throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("__metadata__", Map.of("format", "pt"));
        long offset = 0;
        for (Tensor t : tensors) {
            long bytes = 4L * t.values().length;
            header.put(t.name(), Map.of("dtype", "F32", "shape", t.shape(), "data_offsets", new long[] {offset, offset + bytes}));
            offset += bytes;
        }
        byte[] json = new ObjectMapper().writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;   // data starts 8-byte aligned, the header padded with spaces
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
            out.write(json);
            out.write(" ".repeat(padded - json.length).getBytes(StandardCharsets.US_ASCII));
            for (Tensor t : tensors) {
                ByteBuffer data = ByteBuffer.allocate(4 * t.values().length).order(ByteOrder.LITTLE_ENDIAN);
                data.asFloatBuffer().put(t.values());
                out.write(data.array());
            }
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
}
