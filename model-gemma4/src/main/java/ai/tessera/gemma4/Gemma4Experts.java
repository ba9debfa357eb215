package ai.tessera.gemma4;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The experts of an MoE layer ({@code Gemma4TextExperts}): {@code gate_up_proj [E, 2I, H]} (gate rows first) and
 * {@code down_proj [E, H, I]}; each token's output is the routing-weighted sum of its experts' gated GELU MLPs.
 *
 * <p>Tokens are grouped by expert once (one sort, one count read back to the host), then each expert that has
 * tokens runs as two matmuls over its tokens. Each (token, choice) output, weighted, goes to its own row, and a
 * token's k rows are summed at the end with one rounding: transformers' {@code grouped_mm} and {@code batched_mm}
 * experts (its defaults on CUDA, for prefill and decode) add them this way, not with the eager loop's {@code
 * index_add_}, which rounds to bfloat16 after every expert. In float32 the two agree to rounding; in bfloat16 only
 * this order gives transformers' tokens.
 */
final class Gemma4Experts implements AutoCloseable {
    private final Tensor gateUpProj;
    private final Tensor downProj;
    private final int numExperts;
    private final int intermediate;

    private Gemma4Experts(Tensor gateUpProj, Tensor downProj, int numExperts, int intermediate) {
        this.gateUpProj = Held.hold(gateUpProj);
        this.downProj = Held.hold(downProj);
        this.numExperts = numExperts;
        this.intermediate = intermediate;
    }

    static Gemma4Experts load(WeightSource weights, WeightPrefix prefix, long hidden, Gemma4TextConfig.Moe moe)
            throws ModelLoadException {
        Tensor gateUp = weights.load(prefix.tensor("gate_up_proj"), moe.numExperts(), 2L * moe.intermediateSize(),
                hidden);
        Tensor down = weights.load(prefix.tensor("down_proj"), moe.numExperts(), hidden, moe.intermediateSize());
        return new Gemma4Experts(gateUp, down, moe.numExperts(), moe.intermediateSize());
    }

    /**
     * @param x       {@code [tokens, hidden]}
     * @param routing each token's experts and weights {@code [tokens, k]}
     */
    Tensor forward(Tensor x, Gemma4Router.Routing routing) {
        long topK = routing.experts().size(1);
        Tensor flatExperts = routing.experts().reshape(-1);
        Tensor flatWeights = routing.weights().reshape(-1);
        Tensor order = flatExperts.argsort(true, 0, false);   // stable: each expert's slots in token order
        long[] counts = hostLongs(flatExperts.bincount(new TensorOptional(), numExperts));
        // one row per (token, choice), in token-major order as the routing lists them
        Tensor perChoice = torch.zeros(new long[] {flatExperts.size(0), x.size(1)},
                new org.bytedeco.pytorch.TensorOptions(x.scalar_type()).device(
                        new org.bytedeco.pytorch.DeviceOptional(x.device())));
        long start = 0;
        for (int e = 0; e < numExperts; e++) {
            if (counts[e] == 0) {
                continue;
            }
            Tensor slots = order.narrow(0, start, counts[e]);
            start += counts[e];
            Tensor tokens = slots.floor_divide(new Scalar(topK));
            Tensor gateUp = torch.linear(x.index_select(0, tokens), gateUpProj.select(0, e));
            Tensor hiddenStates = Gemma4Mlp.geluTanh(gateUp.narrow(1, 0, intermediate))
                    .mul(gateUp.narrow(1, intermediate, intermediate));
            Tensor expertOut = torch.linear(hiddenStates, downProj.select(0, e))
                    .mul(flatWeights.index_select(0, slots).unsqueeze(1));
            perChoice.index_copy_(0, slots, expertOut.to(perChoice.scalar_type()));
        }
        return perChoice.view(x.size(0), topK, x.size(1)).sum(new long[] {1}, false, new ScalarTypeOptional());
    }

    private static long[] hostLongs(Tensor t) {
        Tensor host = t.to(new Device("cpu"), ScalarType.Long).contiguous();
        long[] values = new long[(int) host.numel()];
        for (int i = 0; i < values.length; i++) {
            values[i] = host.get(i).item_long();
        }
        return values;
    }

    @Override
    public void close() {
        Held.release(gateUpProj);
        Held.release(downProj);
    }
}
