package ai.tessera.phi4mm;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.SiluAndMul;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Tensor;

/** Phi-3's gated MLP, {@code down_proj(up * silu(gate))} from one {@code gate_up_proj}, both with the adapters. */
final class Phi4MMMlp implements AutoCloseable {
    private final LoraLinear gateUpProj;
    private final LoraLinear downProj;

    private Phi4MMMlp(LoraLinear gateUpProj, LoraLinear downProj) {
        this.gateUpProj = gateUpProj;
        this.downProj = downProj;
    }

    static Phi4MMMlp load(WeightSource weights, WeightPrefix prefix, Phi4MMConfig config) throws ModelLoadException {
        LoraLinear gateUp = LoraLinear.load(weights, prefix.child("gate_up_proj"), config.hiddenSize(),
                2L * config.intermediateSize(), config.adapters());
        try {
            return new Phi4MMMlp(gateUp, LoraLinear.load(weights, prefix.child("down_proj"),
                    config.intermediateSize(), config.hiddenSize(), config.adapters()));
        } catch (ModelLoadException | RuntimeException e) {
            gateUp.close();
            throw e;
        }
    }

    Tensor forward(Tensor x, AdapterRows rows) {
        return downProj.forward(SiluAndMul.apply(gateUpProj.forward(x, rows)), rows);
    }

    @Override
    public void close() {
        gateUpProj.close();
        downProj.close();
    }
}
