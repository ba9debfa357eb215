package ai.tessera.core.weights;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.ShortPointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** Reads tensor contents back into Java arrays for assertions. */
final class TensorValues {
    private TensorValues() {
    }

    static float[] floats(Tensor t) {
        try (Tensor f = t.to(ScalarType.Float).contiguous(); FloatPointer p = f.data_ptr_float()) {
            float[] out = new float[(int) f.numel()];
            p.get(out);
            return out;
        }
    }

    /** The raw bit patterns of a 16-bit tensor (bf16 or f16). */
    static short[] bits16(Tensor t) {
        try (Tensor s = t.contiguous().view(ScalarType.Short); ShortPointer p = s.data_ptr_short()) {
            short[] out = new short[(int) s.numel()];
            p.get(out);
            return out;
        }
    }

    static long[] longs(Tensor t) {
        try (Tensor l = t.to(ScalarType.Long).contiguous(); LongPointer p = l.data_ptr_long()) {
            long[] out = new long[(int) l.numel()];
            p.get(out);
            return out;
        }
    }

    static long[] shape(Tensor t) {
        long[] shape = new long[(int) t.dim()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = t.size(i);
        }
        return shape;
    }
}
