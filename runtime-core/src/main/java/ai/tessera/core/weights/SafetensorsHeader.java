package ai.tessera.core.weights;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import ai.tessera.api.ModelLoadException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The parsed and checked header of one safetensors file: 8 bytes little-endian header length {@code N}, {@code N}
 * bytes of JSON ({@code {name: {dtype, shape, data_offsets}, "__metadata__": {...}}}), then the data section.
 * Every entry is checked against the file before any tensor is read, so a damaged download fails at once and
 * names the file instead of crashing in native code later.
 *
 * @param entries   tensors by name, sorted
 * @param metadata  the {@code __metadata__} strings (e.g. {@code format: pt}); empty when absent
 * @param dataStart file offset of the data section ({@code 8 + N})
 */
public record SafetensorsHeader(Map<String, SafetensorsEntry> entries, Map<String, String> metadata, long dataStart) {
    /** The reference implementation refuses larger headers too; a bigger value means a corrupt or foreign file. */
    static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private static final String METADATA = "__metadata__";

    public SafetensorsHeader {
        entries = Collections.unmodifiableMap(new TreeMap<>(entries));
        metadata = Map.copyOf(metadata);
    }

    /** Reads and checks the header of {@code file}, open as {@code channel}. */
    static SafetensorsHeader read(Path file, FileChannel channel) throws ModelLoadException, IOException {
        long fileSize = channel.size();
        if (fileSize < 8) {
            throw problem(file, "is too short to be a safetensors file: " + fileSize + " bytes, expected at least 8");
        }
        ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(channel, lengthBytes, 0);
        long headerLength = lengthBytes.flip().getLong();
        if (headerLength < 0 || headerLength > fileSize - 8) {
            throw problem(file, "has a header length of " + Long.toUnsignedString(headerLength) + " bytes but only "
                    + (fileSize - 8) + " bytes follow the length field (file size " + fileSize
                    + "): the file is truncated or not safetensors");
        }
        if (headerLength > MAX_HEADER_BYTES) {
            throw problem(file, "has a header length of " + headerLength + " bytes, more than the "
                    + MAX_HEADER_BYTES + " a safetensors header may have");
        }
        ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
        readFully(channel, headerBytes, 8);
        long dataStart = 8 + headerLength;
        JsonNode root;
        try {
            root = JSON.readTree(headerBytes.array());
        } catch (JsonProcessingException e) {
            throw problem(file, "has a header that is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw problem(file, "has a header that is not a JSON object but " + (root == null ? "empty" : root.getNodeType()));
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        Map<String, SafetensorsEntry> entries = new TreeMap<>();
        Iterator<Map.Entry<String, JsonNode>> fields = root.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            if (METADATA.equals(field.getKey())) {
                readMetadata(file, field.getValue(), metadata);
            } else {
                entries.put(field.getKey(), entry(file, field.getKey(), field.getValue()));
            }
        }
        checkLayout(file, entries.values(), fileSize - dataStart, fileSize);
        return new SafetensorsHeader(entries, metadata, dataStart);
    }

    private static void readMetadata(Path file, JsonNode node, Map<String, String> into) throws ModelLoadException {
        if (node.isNull()) {
            return;
        }
        if (!node.isObject()) {
            throw problem(file, "has '" + METADATA + "' that is not an object of strings but " + node.getNodeType());
        }
        node.fields().forEachRemaining(e -> into.put(e.getKey(), e.getValue().asText()));
    }

    private static SafetensorsEntry entry(Path file, String name, JsonNode node) throws ModelLoadException {
        if (!node.isObject()) {
            throw problem(file, "has tensor '" + name + "' whose header entry is not an object: " + node);
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw problem(file, "has tensor '" + name + "' without a 'dtype' string: " + node);
        }
        SafetensorsDType dtype = SafetensorsDType.fromHeader(dtypeNode.asText());
        if (dtype == null) {
            throw problem(file, "has tensor '" + name + "' of dtype " + dtypeNode.asText()
                    + ", which Tessera does not read (known: " + SafetensorsDType.knownNames() + ")");
        }
        long[] shape = nonNegativeLongs(file, name, node.get("shape"), "shape", -1);
        long[] offsets = nonNegativeLongs(file, name, node.get("data_offsets"), "data_offsets", 2);
        if (offsets[0] > offsets[1]) {
            throw problem(file, "has tensor '" + name + "' whose data_offsets are out of order: begin "
                    + offsets[0] + " > end " + offsets[1]);
        }
        long numel = 1;
        long needed;
        try {
            for (long d : shape) {
                numel = Math.multiplyExact(numel, d);
            }
            needed = Math.multiplyExact(numel, dtype.byteSize());
        } catch (ArithmeticException e) {
            throw problem(file, "has tensor '" + name + "' whose shape overflows 64 bits");
        }
        if (offsets[1] - offsets[0] != needed) {
            throw problem(file, "has tensor '" + name + "' whose data_offsets [" + offsets[0] + ", " + offsets[1]
                    + "] span " + (offsets[1] - offsets[0]) + " bytes but " + dtype + java.util.Arrays.toString(shape)
                    + " needs " + needed);
        }
        return new SafetensorsEntry(name, dtype, shape, offsets[0], offsets[1]);
    }

    private static long[] nonNegativeLongs(Path file, String name, JsonNode node, String key, int length)
            throws ModelLoadException {
        if (node == null || !node.isArray() || (length >= 0 && node.size() != length)) {
            throw problem(file, "has tensor '" + name + "' whose '" + key + "' is not "
                    + (length >= 0 ? "a list of " + length + " integers" : "a list of integers") + ": " + node);
        }
        long[] values = new long[node.size()];
        for (int i = 0; i < values.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
                throw problem(file, "has tensor '" + name + "' whose '" + key + "' holds " + v
                        + ", expected a non-negative integer");
            }
            values[i] = v.asLong();
        }
        return values;
    }

    /** Every tensor lies inside the data section and no two overlap (empty tensors may sit anywhere). */
    private static void checkLayout(Path file, Iterable<SafetensorsEntry> entries, long dataLength, long fileSize)
            throws ModelLoadException {
        List<SafetensorsEntry> byOffset = new ArrayList<>();
        for (SafetensorsEntry e : entries) {
            if (e.end() > dataLength) {
                throw problem(file, "is truncated: tensor '" + e.name() + "' ends at byte " + e.end()
                        + " of the data section but the data section has only " + dataLength + " bytes (file size "
                        + fileSize + ")");
            }
            if (e.byteLength() > 0) {
                byOffset.add(e);
            }
        }
        byOffset.sort(Comparator.comparingLong(SafetensorsEntry::begin));
        for (int i = 1; i < byOffset.size(); i++) {
            SafetensorsEntry previous = byOffset.get(i - 1);
            SafetensorsEntry next = byOffset.get(i);
            if (next.begin() < previous.end()) {
                throw problem(file, "has overlapping tensors: '" + previous.name() + "' spans [" + previous.begin()
                        + ", " + previous.end() + ") and '" + next.name() + "' begins at " + next.begin());
            }
        }
    }

    private static void readFully(FileChannel channel, ByteBuffer into, long position) throws IOException {
        long at = position;
        while (into.hasRemaining()) {
            int n = channel.read(into, at);
            if (n < 0) {
                throw new IOException("unexpected end of file at byte " + at);
            }
            at += n;
        }
    }

    static ModelLoadException problem(Path file, String what) {
        return new ModelLoadException("Safetensors file " + file + " " + what);
    }
}
