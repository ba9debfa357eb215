package ai.tessera.gemma4;

import java.util.EnumMap;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;

/**
 * The keys and values of one step that KV-shared layers reuse (transformers' {@code shared_kv_states}): the last
 * non-shared layer of each kind leaves its rotated, normalised keys and values here, for the step's tokens only; the
 * shared layers pass them on to the backend, which finds the rest of the context in the source layer's cache.
 */
final class SharedKv {
    private final Map<LayerType, Tensor[]> byType = new EnumMap<>(LayerType.class);

    void put(LayerType type, Tensor key, Tensor value) {
        byType.put(type, new Tensor[] {key, value});
    }

    Tensor key(LayerType type) {
        return get(type)[0];
    }

    Tensor value(LayerType type) {
        return get(type)[1];
    }

    private Tensor[] get(LayerType type) {
        Tensor[] kv = byType.get(type);
        if (kv == null) {
            throw new IllegalStateException("no " + type.configName() + " layer has left keys and values to share");
        }
        return kv;
    }
}
