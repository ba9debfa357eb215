package ai.tessera.gemma4;

import org.bytedeco.pytorch.Tensor;

/** A reference of a layer's own on the tensors it keeps, so that they outlive the scope they were loaded in. */
final class Held {
    private Held() {
    }

    static Tensor hold(Tensor tensor) {
        if (tensor != null) {
            tensor.retainReference();
        }
        return tensor;
    }

    static void release(Tensor tensor) {
        if (tensor != null) {
            tensor.releaseReference();
        }
    }
}
