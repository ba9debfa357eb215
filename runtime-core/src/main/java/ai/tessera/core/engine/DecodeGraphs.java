package ai.tessera.core.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.logging.Logger;

import ai.tessera.api.AttentionMetadata;
import ai.tessera.api.ForwardBatch;
import ai.tessera.api.KvCache;
import ai.tessera.api.LoadedModel;
import org.bytedeco.cuda.cudart.CUgraphExec_st;
import org.bytedeco.cuda.cudart.CUgraph_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.cuda.CUDAStream;
import org.bytedeco.pytorch.cuda.DeviceAssertionsDataVectorCUDAKernelLaunchInfoVectorPair;
import org.bytedeco.pytorch.cuda.MemPool;
import org.bytedeco.pytorch.cuda.StreamFilter;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.bytedeco.pytorch.global.torch_cuda;

import static org.bytedeco.cuda.global.cudart.cudaDeviceSynchronize;
import static org.bytedeco.cuda.global.cudart.cudaGetErrorString;
import static org.bytedeco.cuda.global.cudart.cudaGetLastError;
import static org.bytedeco.cuda.global.cudart.cudaGraphDestroy;
import static org.bytedeco.cuda.global.cudart.cudaGraphExecDestroy;
import static org.bytedeco.cuda.global.cudart.cudaGraphInstantiate;
import static org.bytedeco.cuda.global.cudart.cudaGraphLaunch;
import static org.bytedeco.cuda.global.cudart.cudaStreamBeginCapture;
import static org.bytedeco.cuda.global.cudart.cudaStreamCaptureModeThreadLocal;
import static org.bytedeco.cuda.global.cudart.cudaStreamEndCapture;
import static org.bytedeco.cuda.global.cudart.cudaStreamSynchronize;

/**
 * Decode steps replayed as CUDA graphs (vLLM's {@code cudagraph_capture_sizes}): at start-up the model's forward pass
 * over a decode batch of each capture size is recorded once into a graph; a decode step of {@code n} sequences then
 * copies its inputs into the fixed buffers of the smallest graph of at least {@code n} rows (the rest padded) and
 * replays it, one launch instead of hundreds of kernel launches through JNI.
 *
 * <p>The graphs allocate from a private memory pool of libtorch's caching allocator (as PyTorch's
 * {@code torch.cuda.CUDAGraph} does), so that no other tensor ever takes memory a replay writes. Padding rows write
 * their keys and values into a cache block that no sequence owns and attend to nothing. The graphs are only used for
 * steps they computed the same as an eager step: every sequence decodes one token, has no media at that token, and
 * is no longer than the model's {@code recomputeBeyond()} length (LongRoPE picks its factors on the host).
 */
final class DecodeGraphs implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(DecodeGraphs.class.getName());

    private final LoadedModel model;
    private final int blockSize;
    private final int padBlock;
    private final int maxBlocks;
    private final int sections;
    private final int recomputeBeyond;
    private final byte deviceIndex;
    private final TreeMap<Integer, Graph> graphs = new TreeMap<>();
    /**
     * Every allocation filter handed to the caching allocator, held for the life of the process: the allocator keeps
     * its copy of the callback beyond {@code endAllocateToPool} (a callback freed with its engine crashed the next
     * engine's allocations), so each one stays reachable and answers false once its capture is over.
     */
    private static final List<CaptureStreamFilter> FILTERS = new java.util.concurrent.CopyOnWriteArrayList<>();
    private DeviceAssertionsDataVectorCUDAKernelLaunchInfoVectorPair pool;
    /** How often the pool was opened for a capture: the allocator counts each, and frees it once all are released. */
    private int poolUses;

    /** One captured size: its fixed inputs (written before each replay), the replayable graph and its output. */
    private record Graph(int rows, Tensor longInputs, Tensor intInputs, Tensor rowIndices, CUgraphExec_st exec,
                         Tensor logits) {
    }

    /**
     * @param padBlock  a block of {@code cache} that no sequence owns, written by padding rows
     * @param maxBlocks the most blocks one sequence may hold
     */
    DecodeGraphs(LoadedModel model, int blockSize, int padBlock, int maxBlocks, Device device) {
        this.model = model;
        this.blockSize = blockSize;
        this.padBlock = padBlock;
        this.maxBlocks = maxBlocks;
        this.sections = model.positionSections();
        this.recomputeBeyond = model.recomputeBeyond();
        this.deviceIndex = device.has_index() ? device.index() : 0;
    }

    /**
     * Captures a graph for each size, largest first (smaller ones then reuse the pool's memory), logging progress.
     * When a capture fails (the model's forward pass does something a graph cannot hold, such as a host copy) the
     * graphs captured so far are dropped and the exception says why; the engine then runs eagerly.
     */
    void capture(List<Integer> sizes, KvCache cache, Device device) {
        List<Integer> order = new ArrayList<>(sizes);
        order.sort((a, b) -> Integer.compare(b, a));
        pool = MemPool.graph_pool_handle();
        CUDAStream previous = torch_cuda.getCurrentCUDAStream(deviceIndex);
        CUDAStream stream = torch_cuda.getStreamFromPool(false, deviceIndex);
        long start = System.nanoTime();
        // the cache and the weights were written on the engine's stream; the capture stream must see them
        check(cudaDeviceSynchronize(), "cudaDeviceSynchronize before capturing");
        torch_cuda.setCurrentCUDAStream(stream);
        try {
            int done = 0;
            for (int rows : order) {
                graphs.put(rows, captureOne(rows, cache, device, stream));
                done++;
                LOG.info(String.format("Capturing CUDA graphs for decode: %d/%d (batch size %d), %.1f s", done,
                        order.size(), rows, (System.nanoTime() - start) / 1e9));
            }
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        } finally {
            torch_cuda.setCurrentCUDAStream(previous);
        }
    }

    private Graph captureOne(int rows, KvCache cache, Device device, CUDAStream stream) {
        TensorOptions longs = new TensorOptions(ScalarType.Long).device(new DeviceOptional(device));
        TensorOptions ints = new TensorOptions(ScalarType.Int).device(new DeviceOptional(device));
        Tensor longInputs = torch.zeros(new long[] {longCount(rows)}, longs);
        Tensor intInputs = torch.zeros(new long[] {intCount(rows)}, ints);
        write(longInputs, intInputs, rows, List.of());
        Tensor rowIndices = torch.arange(new org.bytedeco.pytorch.Scalar((long) rows), longs);
        ForwardBatch batch = batch(rows, longInputs, intInputs, cache, rowIndices);
        CUstream_st raw = stream.stream();
        try (PointerScope warmup = new PointerScope()) {
            // libraries (cuBLAS handles and workspaces, the attention kernels) initialise outside the capture
            model.forward(batch);
            check(cudaStreamSynchronize(raw), "cudaStreamSynchronize after the warm-up");
        }
        CaptureStreamFilter filter = new CaptureStreamFilter(raw.address());
        FILTERS.add(filter);
        torch_cuda.beginAllocateToPool(deviceIndex, pool, filter);
        poolUses++;
        CUgraph_st graph = new CUgraph_st();
        Tensor logits;
        boolean ended = false;
        try (PointerScope capture = new PointerScope()) {
            check(cudaStreamBeginCapture(raw, cudaStreamCaptureModeThreadLocal), "cudaStreamBeginCapture");
            try {
                logits = model.forward(batch);
                logits.retainReference();
            } finally {
                int result = cudaStreamEndCapture(raw, graph);
                ended = true;
                torch_cuda.endAllocateToPool(deviceIndex, pool);
                filter.active = false;
                if (result != 0) {
                    cudaGetLastError();
                    throw new IllegalStateException("capturing the decode graph of batch size " + rows + " failed: "
                            + cudaGetErrorString(result).getString());
                }
            }
        } finally {
            if (!ended) {
                torch_cuda.endAllocateToPool(deviceIndex, pool);
                filter.active = false;
            }
        }
        CUgraphExec_st exec = new CUgraphExec_st();
        check(cudaGraphInstantiate(exec, graph, 0L), "cudaGraphInstantiate");
        cudaGraphDestroy(graph);
        // every tensor the graph reads stays referenced here: freed, its memory could go to another tensor
        return new Graph(rows, longInputs, intInputs, rowIndices, exec, logits);
    }

    /** The graph sizes captured, smallest first. */
    List<Integer> sizes() {
        return List.copyOf(graphs.keySet());
    }

    /** Whether a graph computes this step as the eager forward pass would. */
    boolean accepts(ScheduledStep step) {
        if (graphs.isEmpty() || step.entries().size() > graphs.lastKey()) {
            return false;
        }
        for (ScheduledStep.Entry e : step.entries()) {
            RequestState r = e.request();
            // adapters (LoRA rows) are not part of the captured forward pass
            if (e.numNewTokens() != 1 || !e.samples() || r.blocks.size() > maxBlocks || r.adapter() != null
                    || r.overlapsMedia(r.numComputed, 1) || (recomputeBeyond > 0 && r.numTokens() > recomputeBeyond)) {
                return false;
            }
        }
        return true;
    }

    /** Replays the graph for {@code step} (which {@link #accepts}) and returns the logits of its sequences, in order. */
    Tensor run(ScheduledStep step) {
        List<RequestState> requests = new ArrayList<>();
        for (ScheduledStep.Entry e : step.entries()) {
            requests.add(e.request());
        }
        Graph graph = graphs.ceilingEntry(requests.size()).getValue();
        write(graph.longInputs(), graph.intInputs(), graph.rows(), requests);
        CUstream_st stream = torch_cuda.getCurrentCUDAStream(deviceIndex).stream();
        check(cudaGraphLaunch(graph.exec(), stream), "cudaGraphLaunch");
        return graph.logits().narrow(0, 0, requests.size());
    }

    private long longCount(int rows) {
        return (long) rows * (2 + sections);
    }

    private long intCount(int rows) {
        return (long) rows * (maxBlocks + 1);
    }

    /**
     * Fills the fixed inputs for {@code requests} (each decoding its last token), padding to {@code rows}: one host
     * to device copy for the int64 inputs (ids, positions, slots) and one for the int32 tables.
     */
    private void write(Tensor longInputs, Tensor intInputs, int rows, List<RequestState> requests) {
        long[] longs = new long[(int) longCount(rows)];
        int[] ints = new int[(int) intCount(rows)];
        fill(longs, ints, rows, requests);
        longInputs.copy_(torch.tensor(longs, new TensorOptions(ScalarType.Long)));
        intInputs.copy_(torch.tensor(ints, new TensorOptions(ScalarType.Int)));
    }

    /**
     * The packed inputs: longs {@code [ids | positions (sections × rows) | slots]}, ints
     * {@code [block tables (rows × maxBlocks) | context lengths]}. Padding rows take token 0 at position 0, write
     * into the padding block and have context length 0.
     */
    void fill(long[] longs, int[] ints, int rows, List<RequestState> requests) {
        int padSlot = padBlock * blockSize;
        for (int i = 0; i < rows; i++) {
            long slot = padSlot;
            if (i < requests.size()) {
                RequestState r = requests.get(i);
                int p = r.numComputed;
                longs[i] = r.token(p);
                for (int s = 0; s < sections; s++) {
                    longs[rows + s * rows + i] = r.position(s, p);
                }
                slot = (long) r.blocks.get(p / blockSize).id * blockSize + p % blockSize;
                for (int b = 0; b < r.blocks.size(); b++) {
                    ints[i * maxBlocks + b] = r.blocks.get(b).id;
                }
                ints[rows * maxBlocks + i] = p + 1;
            } else {
                ints[i * maxBlocks] = padBlock;
            }
            longs[(1 + sections) * rows + i] = slot;
        }
    }

    private ForwardBatch batch(int rows, Tensor longInputs, Tensor intInputs, KvCache cache, Tensor rowIndices) {
        Tensor ids = longInputs.narrow(0, 0, rows);
        Tensor positions = longInputs.narrow(0, rows, (long) sections * rows);
        if (sections > 1) {
            positions = positions.view(sections, rows);
        }
        Tensor slots = longInputs.narrow(0, (long) (1 + sections) * rows, rows);
        Tensor tables = intInputs.narrow(0, 0, (long) rows * maxBlocks).view(rows, maxBlocks);
        Tensor lengths = intInputs.narrow(0, (long) rows * maxBlocks, rows);
        List<AttentionMetadata.Sequence> sequences = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
            // what the host sees while capturing; the graph reads the device tables
            sequences.add(new AttentionMetadata.Sequence(i, 1, 1, new long[] {padBlock}));
        }
        AttentionMetadata metadata = new AttentionMetadata(slots, sequences, blockSize,
                new AttentionMetadata.DecodeTables(tables, lengths));
        return new ForwardBatch(ids, positions, metadata, cache, rowIndices);
    }

    /**
     * Destroys the graphs and gives their memory pool back to the device (as {@code torch.cuda.CUDAGraph.reset}
     * does), so that a model loaded after this one has it: the pool is released once per capture that opened it,
     * then the allocator's cache is emptied.
     */
    @Override
    public void close() {
        for (Map.Entry<Integer, Graph> e : graphs.entrySet()) {
            cudaGraphExecDestroy(e.getValue().exec());
            e.getValue().logits().releaseReference();
        }
        graphs.clear();
        if (poolUses > 0) {
            try {
                for (; poolUses > 0; poolUses--) {
                    torch_cuda.getAllocator().releasePool(deviceIndex, pool);
                }
                torch.emptyCache();
            } catch (RuntimeException e) {
                LOG.log(java.util.logging.Level.WARNING, "the CUDA graphs' memory pool could not be released; its"
                        + " memory stays with the process until it exits", e);
            }
        }
    }

    private static void check(int result, String call) {
        if (result != 0) {
            cudaGetLastError();
            throw new IllegalStateException(call + " failed: " + cudaGetErrorString(result).getString());
        }
    }

    /** The caching allocator's filter: allocations on the capturing stream go to the graphs' pool. */
    private static final class CaptureStreamFilter extends StreamFilter {
        private final long stream;
        volatile boolean active = true;

        CaptureStreamFilter(long stream) {
            this.stream = stream;
        }

        @Override
        public boolean call(Pointer candidate) {
            return active && candidate != null && candidate.address() == stream;
        }
    }
}
