package ai.tessera.core.weights;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

import ai.tessera.api.ModelLoadException;
import org.bytedeco.pytorch.Tensor;

/**
 * Weights that remember what the architecture loaded: each tensor's name, elements and bytes as handed out (in the
 * model's dtype). {@code tessera bench} derives the bytes a decode step reads and the parameters a prefill
 * multiplies from them.
 */
public final class CountingWeights implements ModelWeights {
    /** Elements and bytes of one loaded tensor. */
    public record Loaded(long elements, long bytes) {
    }

    private final ModelWeights delegate;
    private final Map<String, Loaded> loaded = new ConcurrentHashMap<>();

    public CountingWeights(ModelWeights delegate) {
        this.delegate = delegate;
    }

    @Override
    public Tensor load(String name, long... shape) throws ModelLoadException {
        Tensor tensor = delegate.load(name, shape);
        long elements = tensor.numel();
        loaded.put(name, new Loaded(elements, elements * tensor.element_size()));
        return tensor;
    }

    @Override
    public Set<String> names() {
        return delegate.names();
    }

    @Override
    public List<String> unusedTensors(Predicate<String> ignored) {
        return delegate.unusedTensors(ignored);
    }

    /** Every tensor loaded so far, by name (a name loaded twice counts once). */
    public Map<String, Loaded> loaded() {
        return Map.copyOf(loaded);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
