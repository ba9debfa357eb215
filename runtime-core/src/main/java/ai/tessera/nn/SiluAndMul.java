package ai.tessera.nn;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The SwiGLU gate over a fused projection: the last dimension holds {@code [gate | up]}; the result is
 * {@code up * silu(gate)}, half as wide. Fusing gate and up into one matmul is how Phi-3 checkpoints store them.
 */
public final class SiluAndMul {
    private SiluAndMul() {
    }

    /** {@code gateUp [..., 2d]} → {@code [..., d]}. */
    public static Tensor apply(Tensor gateUp) {
        long last = gateUp.dim() - 1;
        long width = gateUp.size(last);
        if (width % 2 != 0) {
            throw new IllegalArgumentException("SiluAndMul needs an even last dimension [gate | up], got " + width);
        }
        Tensor gate = gateUp.narrow(last, 0, width / 2);
        Tensor up = gateUp.narrow(last, width / 2, width / 2);
        return up.mul(torch.silu(gate));
    }
}
