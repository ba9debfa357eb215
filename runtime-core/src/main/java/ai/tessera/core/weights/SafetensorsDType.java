package ai.tessera.core.weights;

import java.util.Arrays;
import java.util.stream.Collectors;

import org.bytedeco.pytorch.global.torch.ScalarType;

/** The element types a safetensors header may name, with their libtorch type and size in bytes. */
public enum SafetensorsDType {
    F64(ScalarType.Double, 8, true),
    F32(ScalarType.Float, 4, true),
    F16(ScalarType.Half, 2, true),
    BF16(ScalarType.BFloat16, 2, true),
    I64(ScalarType.Long, 8, false),
    I32(ScalarType.Int, 4, false),
    I16(ScalarType.Short, 2, false),
    I8(ScalarType.Char, 1, false),
    U8(ScalarType.Byte, 1, false),
    BOOL(ScalarType.Bool, 1, false),
    /** Listed so that fp8 checkpoints get a clear "not supported yet" error instead of "unknown dtype". */
    F8_E4M3(ScalarType.Float8_e4m3fn, 1, true),
    F8_E5M2(ScalarType.Float8_e5m2, 1, true);

    private final ScalarType scalarType;
    private final int byteSize;
    private final boolean floatingPoint;

    SafetensorsDType(ScalarType scalarType, int byteSize, boolean floatingPoint) {
        this.scalarType = scalarType;
        this.byteSize = byteSize;
        this.floatingPoint = floatingPoint;
    }

    /** The libtorch type the stored bytes are. */
    public ScalarType scalarType() {
        return scalarType;
    }

    public int byteSize() {
        return byteSize;
    }

    /** Floating-point weights are converted to the model dtype; integer and bool tensors keep their type. */
    public boolean isFloatingPoint() {
        return floatingPoint;
    }

    public boolean isFp8() {
        return this == F8_E4M3 || this == F8_E5M2;
    }

    /** The dtype a header names, or {@code null} when it is none Tessera knows. */
    static SafetensorsDType fromHeader(String name) {
        for (SafetensorsDType d : values()) {
            if (d.name().equals(name)) {
                return d;
            }
        }
        return null;
    }

    static String knownNames() {
        return Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "));
    }
}
