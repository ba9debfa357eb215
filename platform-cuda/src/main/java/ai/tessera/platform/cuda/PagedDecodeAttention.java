package ai.tessera.platform.cuda;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import ai.tessera.api.AttentionLayerSpec;
import ai.tessera.api.AttentionMetadata;
import ai.tessera.api.KvCache;
import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.bytedeco.pytorch.global.torch_cuda;

/**
 * Launches the {@link PagedDecodeKernel} on libtorch's current CUDA stream (so that it orders with libtorch's own
 * kernels and is captured with them into a CUDA graph), compiling each specialisation once per process.
 */
final class PagedDecodeAttention {
    private final Map<PagedDecodeKernel.Key, Kernels> compiled = new ConcurrentHashMap<>();
    private volatile CudaModule.DeviceInfo device;

    private record Kernels(CUfunc_st main, CUfunc_st reduce) {
    }

    /**
     * Attention of one query token per row over the paged cache.
     *
     * @param query {@code [rows, numHeads, headDim]} on a CUDA device
     * @return {@code [rows, numHeads, headDim]} in the query's dtype; rows of context length 0 are zeros
     */
    Tensor forward(Tensor query, KvCache.Layer cache, AttentionMetadata.DecodeTables tables, AttentionLayerSpec spec,
                   double scale) {
        Tensor keyCache = cache.key();
        Tensor valueCache = cache.value();
        ScalarType dtype = keyCache.scalar_type().intern();   // scalar_type() is a new object, == needs intern()
        Tensor q = query.to(dtype).contiguous();
        int rows = (int) q.size(0);
        int heads = spec.numHeads();
        int kvHeads = spec.numKvHeads();
        int headDim = spec.headDim();
        int deviceIndex = Math.max(0, q.device().index());
        Kernels kernels = kernels(new PagedDecodeKernel.Key(dtype, headDim, heads / kvHeads), deviceIndex);
        int splits = PagedDecodeKernel.splits(device.multiprocessors(), kvHeads, rows);

        TensorOptions floats = new TensorOptions(ScalarType.Float).device(new DeviceOptional(q.device()));
        Tensor partAcc = torch.empty(new long[] {rows, heads, splits, headDim}, floats, new MemoryFormatOptional());
        Tensor partMl = torch.empty(new long[] {rows, heads, splits, 2}, floats, new MemoryFormatOptional());
        Tensor out = torch.empty_like(q);
        Tensor blockTables = tables.blockTables().contiguous();
        Tensor contextLengths = tables.contextLengths().contiguous();
        if (blockTables.scalar_type().intern() != ScalarType.Int || contextLengths.scalar_type().intern() != ScalarType.Int
                || blockTables.size(0) < rows || contextLengths.size(0) < rows) {
            throw new IllegalArgumentException("decode tables must be int32 with at least " + rows + " rows, got "
                    + blockTables.scalar_type() + " " + java.util.Arrays.toString(blockTables.shape()) + " and "
                    + contextLengths.scalar_type() + " " + java.util.Arrays.toString(contextLengths.shape()));
        }
        CUstream_st stream = torch_cuda.getCurrentCUDAStream((byte) deviceIndex).stream();
        CudaModule.launch(kernels.main(), PagedDecodeKernel.mainGrid(kvHeads, rows, splits), PagedDecodeKernel.THREADS,
                stream, address(q), address(keyCache), address(valueCache), address(blockTables),
                address(contextLengths), address(partAcc), address(partMl), value(kvHeads),
                value((int) keyCache.size(1)), value((int) blockTables.stride(0)), value((float) scale),
                value((float) spec.logitSoftCap().orElse(0)), value(spec.slidingWindow().orElse(0)));
        CudaModule.launch(kernels.reduce(), PagedDecodeKernel.reduceGrid(heads, rows), PagedDecodeKernel.THREADS,
                stream, address(partAcc), address(partMl), address(out), value(splits));
        return dtype == query.scalar_type().intern() ? out : out.to(query.scalar_type());
    }

    private Kernels kernels(PagedDecodeKernel.Key key, int deviceIndex) {
        if (device == null) {
            device = CudaModule.DeviceInfo.of(deviceIndex);
        }
        return compiled.computeIfAbsent(key, k -> {
            CudaModule module = CudaModule.compile("paged_decode_" + k.dtype() + "_" + k.headDim() + "_" + k.group(),
                    PagedDecodeKernel.source(k), device);
            return new Kernels(module.function(PagedDecodeKernel.MAIN), module.function(PagedDecodeKernel.REDUCE));
        });
    }

    private static Pointer address(Tensor t) {
        return new LongPointer(1).put(t.data_ptr().address());
    }

    private static Pointer value(int v) {
        return new IntPointer(1).put(v);
    }

    private static Pointer value(float v) {
        return new FloatPointer(1).put(v);
    }
}
