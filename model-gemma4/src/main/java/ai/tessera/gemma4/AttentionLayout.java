package ai.tessera.gemma4;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalInt;

import ai.tessera.api.AttentionLayerSpec;
import ai.tessera.api.ModelLoadException;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Each decoder layer's attention: its spec (head size, key/value heads, window), and where its keys and values live.
 *
 * <p>KV sharing: the last {@code num_kv_shared_layers} layers compute only queries and attend over the keys and
 * values of the last earlier layer of their kind (transformers' {@code shared_kv_states}, vLLM's
 * {@code kv_sharing_target_layer_name}). Those layers have no KV-cache layer of their own: they read their source's,
 * so the cache holds only the layers before the first shared one, each in its own shape.
 */
final class AttentionLayout {
    private final List<Layer> layers;
    private final List<AttentionLayerSpec> cacheLayers;

    /**
     * @param spec       what the layer needs from the backend; a shared layer's equals its source's
     * @param cacheIndex the KV-cache layer it writes (or, when shared, reads)
     * @param source     the layer whose keys and values it reuses, or -1 when it computes its own
     * @param keepsKv    whether a later shared layer reuses this layer's keys and values
     */
    record Layer(LayerType type, AttentionLayerSpec spec, int cacheIndex, int source, boolean keepsKv,
                 boolean doubleWideMlp) {
        boolean sharesKv() {
            return source >= 0;
        }
    }

    private AttentionLayout(List<Layer> layers, List<AttentionLayerSpec> cacheLayers) {
        this.layers = List.copyOf(layers);
        this.cacheLayers = List.copyOf(cacheLayers);
    }

    static AttentionLayout of(Gemma4TextConfig config, ScalarType dtype) throws ModelLoadException {
        int count = config.numHiddenLayers();
        int firstShared = config.firstKvSharedLayer();
        AttentionLayerSpec[] specs = new AttentionLayerSpec[count];
        int[] sources = new int[count];
        boolean[] kept = new boolean[count];
        for (int i = 0; i < count; i++) {
            Gemma4TextConfig.LayerAttention layer = config.layers().get(i);
            OptionalInt window = layer.type() == LayerType.SLIDING ? config.slidingWindow() : OptionalInt.empty();
            specs[i] = new AttentionLayerSpec(layer.headDim(), config.numAttentionHeads(), layer.numKvHeads(), window,
                    OptionalDouble.empty(), dtype);
            sources[i] = i < firstShared ? -1 : lastOfType(config, layer.type(), firstShared, i);
            if (sources[i] >= 0) {
                if (!specs[sources[i]].equals(specs[i])) {
                    throw new ModelLoadException("layer " + i + " reuses the keys and values of layer " + sources[i]
                            + " (KV sharing) but their attention differs: " + specs[i] + " vs " + specs[sources[i]]);
                }
                kept[sources[i]] = true;
            }
        }
        List<Layer> layers = new ArrayList<>();
        List<AttentionLayerSpec> cacheLayers = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            boolean shared = sources[i] >= 0;
            if (!shared) {
                cacheLayers.add(specs[i]);   // non-shared layers are 0 .. firstShared-1: cache index = layer index
            }
            layers.add(new Layer(config.layers().get(i).type(), specs[i], shared ? sources[i] : i, sources[i],
                    kept[i], config.useDoubleWideMlp() && shared));
        }
        return new AttentionLayout(layers, cacheLayers);
    }

    /** The last layer before {@code firstShared} of {@code type}: the one whose keys and values layer {@code i} reuses. */
    private static int lastOfType(Gemma4TextConfig config, LayerType type, int firstShared, int i)
            throws ModelLoadException {
        for (int j = firstShared - 1; j >= 0; j--) {
            if (config.layers().get(j).type() == type) {
                return j;
            }
        }
        throw new ModelLoadException("config.json num_kv_shared_layers (" + config.numKvSharedLayers() + ") makes"
                + " layer " + i + " (" + type.configName() + ") reuse the keys and values of an earlier "
                + type.configName() + " layer, but none of layers 0.." + (firstShared - 1) + " is one");
    }

    List<Layer> layers() {
        return layers;
    }

    Layer layer(int index) {
        return layers.get(index);
    }

    /** Every decoder layer's spec, by layer index: what the attention backend must support. */
    List<AttentionLayerSpec> layerSpecs() {
        return layers.stream().map(Layer::spec).toList();
    }

    /** The KV-cache layers: {@link ai.tessera.api.LoadedModel#attentionLayers()}. */
    List<AttentionLayerSpec> cacheLayers() {
        return cacheLayers;
    }
}
