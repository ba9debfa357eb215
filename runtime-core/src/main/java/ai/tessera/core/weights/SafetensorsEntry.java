package ai.tessera.core.weights;

import java.util.Arrays;

/**
 * One tensor of a safetensors header.
 *
 * @param begin offset of its first byte in the file's data section (after the header)
 * @param end   offset one past its last byte in the data section
 */
public record SafetensorsEntry(String name, SafetensorsDType dtype, long[] shape, long begin, long end) {
    public SafetensorsEntry {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public long numel() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    public long byteLength() {
        return end - begin;
    }

    /** Whether the shape is {@code expected}. */
    boolean hasShape(long[] expected) {
        return Arrays.equals(shape, expected);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SafetensorsEntry e && name.equals(e.name) && dtype == e.dtype
                && Arrays.equals(shape, e.shape) && begin == e.begin && end == e.end;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape) + " @[" + begin + ", " + end + ")";
    }
}
