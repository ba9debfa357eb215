package ai.tessera.core.kv;

import java.util.ArrayList;
import java.util.List;

import ai.tessera.api.AttentionLayerSpec;
import ai.tessera.api.KvCache;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/** The cache tensors: per layer {@code [numBlocks, blockSize, numKvHeads, headDim]} in the layer's dtype. */
public final class PagedKvCache implements KvCache, AutoCloseable {
    public static final int DEFAULT_BLOCK_SIZE = 16;

    private final int blockSize;
    private final int numBlocks;
    private final List<Layer> layers;

    private PagedKvCache(int blockSize, int numBlocks, List<Layer> layers) {
        this.blockSize = blockSize;
        this.numBlocks = numBlocks;
        this.layers = layers;
    }

    /** Allocates {@code numBlocks} blocks for every layer of the model. */
    public static PagedKvCache allocate(List<AttentionLayerSpec> specs, int numBlocks, int blockSize, Device device) {
        if (numBlocks <= 0 || blockSize <= 0) {
            throw new IllegalArgumentException("the KV cache needs positive numBlocks and blockSize, got " + numBlocks
                    + " and " + blockSize);
        }
        List<Layer> layers = new ArrayList<>();
        for (AttentionLayerSpec spec : specs) {
            TensorOptions options = new TensorOptions(spec.dtype()).device(new DeviceOptional(device));
            long[] shape = {numBlocks, blockSize, spec.numKvHeads(), spec.headDim()};
            layers.add(new Layer(torch.zeros(shape, options), torch.zeros(shape, options)));
        }
        return new PagedKvCache(blockSize, numBlocks, List.copyOf(layers));
    }

    /** Bytes one block takes across all layers (keys and values), for sizing the cache from a memory budget. */
    public static long bytesPerBlock(List<AttentionLayerSpec> specs, int blockSize) {
        long bytes = 0;
        for (AttentionLayerSpec spec : specs) {
            bytes += 2L * blockSize * spec.numKvHeads() * spec.headDim() * torch.elementSize(spec.dtype());
        }
        return bytes;
    }

    @Override
    public int blockSize() {
        return blockSize;
    }

    public int numBlocks() {
        return numBlocks;
    }

    @Override
    public int layers() {
        return layers.size();
    }

    @Override
    public Layer layer(int index) {
        return layers.get(index);
    }

    @Override
    public void close() {
        for (Layer layer : layers) {
            layer.key().close();
            layer.value().close();
        }
    }
}
