package ai.tessera.gemma4;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.Linear;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** The gated feed-forward block {@code down_proj(gelu_tanh(gate_proj x) * up_proj x)} ({@code Gemma4TextMLP}). */
final class Gemma4Mlp implements AutoCloseable {
    private final Linear gateProj;
    private final Linear upProj;
    private final Linear downProj;

    private Gemma4Mlp(Linear gateProj, Linear upProj, Linear downProj) {
        this.gateProj = gateProj;
        this.upProj = upProj;
        this.downProj = downProj;
    }

    static Gemma4Mlp load(WeightSource weights, WeightPrefix prefix, long hidden, long intermediate)
            throws ModelLoadException {
        try (LoadGuard guard = new LoadGuard()) {
            Linear gate = guard.add(Linear.load(weights, prefix.child("gate_proj"), hidden, intermediate, false));
            Linear up = guard.add(Linear.load(weights, prefix.child("up_proj"), hidden, intermediate, false));
            Linear down = guard.add(Linear.load(weights, prefix.child("down_proj"), intermediate, hidden, false));
            return guard.done(new Gemma4Mlp(gate, up, down));
        }
    }

    /** {@code gelu_pytorch_tanh(gate) * up}: the gate of the dense MLP, the experts and the per-layer inputs. */
    static Tensor geluTanh(Tensor x) {
        return torch.gelu(x, "tanh");
    }

    Tensor forward(Tensor x) {
        return downProj.forward(geluTanh(gateProj.forward(x)).mul(upProj.forward(x)));
    }

    @Override
    public void close() {
        gateProj.close();
        upProj.close();
        downProj.close();
    }
}
