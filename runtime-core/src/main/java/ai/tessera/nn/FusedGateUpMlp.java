package ai.tessera.nn;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import org.bytedeco.pytorch.Tensor;

/**
 * The gated feed-forward block {@code down_proj(up * silu(gate))} with gate and up in one {@code gate_up_proj}
 * {@code [2 * intermediate, hidden]}, gate rows first (Phi-3's {@code Phi3MLP}). One matmul instead of two.
 */
public final class FusedGateUpMlp implements AutoCloseable {
    private final Linear gateUpProj;
    private final Linear downProj;

    public FusedGateUpMlp(Linear gateUpProj, Linear downProj) {
        if (gateUpProj.outFeatures() != 2 * downProj.inFeatures()
                || gateUpProj.inFeatures() != downProj.outFeatures()) {
            throw new IllegalArgumentException("gate_up_proj must be [2 * intermediate, hidden] and down_proj"
                    + " [hidden, intermediate], got [" + gateUpProj.outFeatures() + ", " + gateUpProj.inFeatures()
                    + "] and [" + downProj.outFeatures() + ", " + downProj.inFeatures() + "]");
        }
        this.gateUpProj = gateUpProj;
        this.downProj = downProj;
    }

    /** Loads {@code prefix.gate_up_proj.weight} and {@code prefix.down_proj.weight}, without biases. */
    public static FusedGateUpMlp load(WeightSource weights, WeightPrefix prefix, long hidden, long intermediate)
            throws ModelLoadException {
        Linear gateUp = Linear.load(weights, prefix.child("gate_up_proj"), hidden, 2 * intermediate, false);
        Linear down = Linear.load(weights, prefix.child("down_proj"), intermediate, hidden, false);
        return new FusedGateUpMlp(gateUp, down);
    }

    /** {@code x [..., hidden]} → {@code [..., hidden]}. */
    public Tensor forward(Tensor x) {
        return downProj.forward(SiluAndMul.apply(gateUpProj.forward(x)));
    }

    @Override
    public void close() {
        gateUpProj.close();
        downProj.close();
    }
}
