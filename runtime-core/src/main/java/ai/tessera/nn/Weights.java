package ai.tessera.nn;

import org.bytedeco.pytorch.Tensor;

/** Reference counting of the weight tensors that layers hold. */
final class Weights {
    private Weights() {
    }

    /**
     * Takes a reference of the layer's own, so that the weight outlives any {@link org.bytedeco.javacpp.PointerScope}
     * that was open while it was loaded; {@link #release} gives it back. Tied weights are held once per layer.
     */
    static Tensor hold(Tensor weight) {
        if (weight != null) {
            weight.retainReference();
        }
        return weight;
    }

    static void release(Tensor weight) {
        if (weight != null) {
            weight.releaseReference();
        }
    }

    /** The sizes of a tensor, for error messages and shape checks. */
    static long[] shape(Tensor tensor) {
        long[] shape = new long[(int) tensor.dim()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = tensor.size(i);
        }
        return shape;
    }
}
