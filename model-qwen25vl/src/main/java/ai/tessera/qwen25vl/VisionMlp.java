package ai.tessera.qwen25vl;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.Linear;
import ai.tessera.nn.SiluAndMul;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Tensor;

/**
 * The vision blocks' gated MLP ({@code Qwen2_5_VLMLP} with biases): {@code down_proj(silu(gate_proj(x)) * up_proj(x))},
 * gate and up stacked into one matmul, the gate itself a {@link SiluAndMul}: plain ops, or, with
 * {@code compile_mm_encoder} on a platform that allows native compile, a runtime-compiled fused kernel (never on ROCm).
 */
final class VisionMlp implements AutoCloseable {
    private final Linear gateUpProj;
    private final SiluAndMul act;
    private final Linear downProj;

    private VisionMlp(Linear gateUpProj, SiluAndMul act, Linear downProj) {
        this.gateUpProj = gateUpProj;
        this.act = act;
        this.downProj = downProj;
    }

    /** @param act the gate: plain ops unless compiled encoders were asked for ({@link SiluAndMul#forEncoder}) */
    static VisionMlp load(WeightSource weights, SiluAndMul act, VisionConfig config, WeightPrefix prefix)
            throws ModelLoadException {
        long hidden = config.hiddenSize();
        long intermediate = config.intermediateSize();
        Linear gateUp = StackedLinear.load(weights, hidden, true,
                new StackedLinear.Part(prefix.child("gate_proj"), intermediate),
                new StackedLinear.Part(prefix.child("up_proj"), intermediate));
        Linear down = Linear.load(weights, prefix.child("down_proj"), intermediate, hidden, true);
        return new VisionMlp(gateUp, act, down);
    }

    SiluAndMul.Implementation activation() {
        return act.implementation();
    }

    Tensor forward(Tensor x) {
        return downProj.forward(act.forward(gateUpProj.forward(x)));
    }

    @Override
    public void close() {
        gateUpProj.close();
        downProj.close();
    }
}
