package ai.tessera.phi4mm;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.Linear;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * A linear layer with the checkpoint's PEFT adapters beside it ({@code prefix.base_layer.weight},
 * {@code prefix.lora_A.<adapter>.weight}, {@code prefix.lora_B.<adapter>.weight}). Each adapter applies to the rows
 * of the tokens whose requests use it, {@code y[rows] += scaling * B(A(x[rows]))}; the base weight, which every
 * request shares, is never changed.
 */
final class LoraLinear implements AutoCloseable {
    private final Linear base;
    private final Map<String, Adapter> adapters;

    private record Adapter(Linear a, Linear b, Scalar scaling) {
    }

    private LoraLinear(Linear base, Map<String, Adapter> adapters) {
        this.base = base;
        this.adapters = adapters;
    }

    static LoraLinear load(WeightSource weights, WeightPrefix prefix, long in, long out, List<LoraSpec> specs)
            throws ModelLoadException {
        Linear base = Linear.load(weights, prefix.child("base_layer"), in, out, false);
        Map<String, Adapter> adapters = new LinkedHashMap<>();
        try {
            for (LoraSpec spec : specs) {
                Linear a = Linear.load(weights, prefix.child("lora_A").child(spec.name()), in, spec.rank(), false);
                Linear b = Linear.load(weights, prefix.child("lora_B").child(spec.name()), spec.rank(), out, false);
                adapters.put(spec.name(), new Adapter(a, b, new Scalar(spec.scaling())));
            }
        } catch (ModelLoadException | RuntimeException e) {
            base.close();
            adapters.values().forEach(LoraLinear::close);
            throw e;
        }
        return new LoraLinear(base, adapters);
    }

    /** {@code x [tokens, in]} → {@code [tokens, out]}, each adapter on its rows. */
    Tensor forward(Tensor x, AdapterRows rows) {
        Tensor y = base.forward(x);
        for (Map.Entry<String, Tensor> e : rows.byAdapter().entrySet()) {
            Adapter adapter = adapters.get(e.getKey());
            if (adapter == null) {
                throw new IllegalArgumentException("a request asks for adapter '" + e.getKey() + "' but this model has "
                        + adapters.keySet());
            }
            Tensor index = e.getValue();
            Tensor delta = adapter.b().forward(adapter.a().forward(x.index_select(0, index))).mul(adapter.scaling());
            y = y.index_add(0, index, delta);
        }
        return y;
    }

    private static void close(Adapter adapter) {
        adapter.a().close();
        adapter.b().close();
    }

    @Override
    public void close() {
        base.close();
        adapters.values().forEach(LoraLinear::close);
    }
}
