package ai.tessera.core.engine;

import java.util.List;
import java.util.Set;

import org.bytedeco.pytorch.Device;

/**
 * How an {@link Engine} sizes its KV cache, schedules and samples.
 *
 * @param device               the model's device; the cache is allocated there
 * @param blockSize            tokens per KV cache block
 * @param numBlocksOverride    a fixed number of cache blocks (tests, {@code --num-gpu-blocks-override}); 0 sizes
 *                             the cache from memory
 * @param kvCacheMemoryBytes   on CPU, the most bytes the cache may take ({@code --kv-cache-memory})
 * @param gpuMemoryUtilization on an accelerator, the fraction of its memory the process may use in all
 *                             (weights, activations and cache; {@code --gpu-memory-utilization})
 * @param scheduler            batch limits and the model length
 * @param prefixCaching        reuse the KV of shared prompt prefixes
 * @param eosTokenIds          the model's end-of-sequence ids (from generation_config.json / config.json)
 * @param samplingDefaults     for requests that bring no {@link SamplingParams}
 * @param textDecoder          turns output tokens into text, for streaming and stop strings
 * @param seed                 seeds the draws of requests without a seed of their own
 * @param cudaGraphSizes       decode batch sizes to capture as CUDA graphs at start-up ({@code
 *                             cudagraph_capture_sizes}); empty runs every step eagerly ({@code --enforce-eager}, or
 *                             a device without graphs)
 * @param decodeTables         give decode steps their block tables and context lengths on the device, which paged
 *                             attention kernels read; without them backends take their plain path (for measuring
 *                             what the kernels bring)
 */
public record EngineConfig(Device device, int blockSize, int numBlocksOverride, long kvCacheMemoryBytes,
                           double gpuMemoryUtilization, SchedulerConfig scheduler, boolean prefixCaching,
                           Set<Integer> eosTokenIds, SamplingParams samplingDefaults, TextDecoder textDecoder,
                           long seed, List<Integer> cudaGraphSizes, boolean decodeTables) {
    public static final long DEFAULT_KV_CACHE_MEMORY = 1L << 30;
    /** vLLM's default capture sizes up to 128. */
    public static final List<Integer> DEFAULT_CUDA_GRAPH_SIZES = List.of(1, 2, 4, 8, 16, 32, 64, 128);

    public EngineConfig {
        eosTokenIds = Set.copyOf(eosTokenIds);
        cudaGraphSizes = List.copyOf(cudaGraphSizes);
        for (int size : cudaGraphSizes) {
            if (size <= 0) {
                throw new IllegalArgumentException("cudagraph_capture_sizes must be positive, got " + cudaGraphSizes);
            }
        }
        if (blockSize <= 0 || numBlocksOverride < 0 || kvCacheMemoryBytes <= 0) {
            throw new IllegalArgumentException("blockSize and --kv-cache-memory must be positive and the block override"
                    + " zero or more, got " + blockSize + ", " + kvCacheMemoryBytes + " and " + numBlocksOverride);
        }
        if (!(gpuMemoryUtilization > 0 && gpuMemoryUtilization <= 1)) {
            throw new IllegalArgumentException("--gpu-memory-utilization must be in (0, 1], got " + gpuMemoryUtilization);
        }
    }

    /** A configuration that runs every step eagerly. */
    public EngineConfig(Device device, int blockSize, int numBlocksOverride, long kvCacheMemoryBytes,
                        double gpuMemoryUtilization, SchedulerConfig scheduler, boolean prefixCaching,
                        Set<Integer> eosTokenIds, SamplingParams samplingDefaults, TextDecoder textDecoder, long seed) {
        this(device, blockSize, numBlocksOverride, kvCacheMemoryBytes, gpuMemoryUtilization, scheduler, prefixCaching,
                eosTokenIds, samplingDefaults, textDecoder, seed, List.of(), true);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** This configuration with other CUDA graph sizes and decode tables (e.g. to measure the eager path). */
    public EngineConfig withDecodePath(List<Integer> graphSizes, boolean withDecodeTables) {
        return new EngineConfig(device, blockSize, numBlocksOverride, kvCacheMemoryBytes, gpuMemoryUtilization,
                scheduler, prefixCaching, eosTokenIds, samplingDefaults, textDecoder, seed, graphSizes,
                withDecodeTables);
    }

    /** Defaults: CPU, blocks of 16, 1 GiB of cache, 0.9 of an accelerator, 256 sequences, 2048 tokens a step. */
    public static final class Builder {
        private Device device;
        private int blockSize = 16;
        private int numBlocksOverride;
        private long kvCacheMemoryBytes = DEFAULT_KV_CACHE_MEMORY;
        private double gpuMemoryUtilization = 0.9;
        private int maxNumSeqs = 256;
        private int maxNumBatchedTokens = 2048;
        private int maxModelLen = 2048;
        private boolean prefixCaching = true;
        private Set<Integer> eosTokenIds = Set.of();
        private SamplingParams samplingDefaults = SamplingParams.builder().build();
        private TextDecoder textDecoder = TextDecoder.NONE;
        private long seed;
        private List<Integer> cudaGraphSizes = List.of();
        private boolean decodeTables = true;

        public Builder device(Device v) { device = v; return this; }
        public Builder blockSize(int v) { blockSize = v; return this; }
        public Builder numBlocksOverride(int v) { numBlocksOverride = v; return this; }
        public Builder kvCacheMemoryBytes(long v) { kvCacheMemoryBytes = v; return this; }
        public Builder gpuMemoryUtilization(double v) { gpuMemoryUtilization = v; return this; }
        public Builder maxNumSeqs(int v) { maxNumSeqs = v; return this; }
        public Builder maxNumBatchedTokens(int v) { maxNumBatchedTokens = v; return this; }
        public Builder maxModelLen(int v) { maxModelLen = v; return this; }
        public Builder prefixCaching(boolean v) { prefixCaching = v; return this; }
        public Builder eosTokenIds(Set<Integer> v) { eosTokenIds = v; return this; }
        public Builder samplingDefaults(SamplingParams v) { samplingDefaults = v; return this; }
        public Builder textDecoder(TextDecoder v) { textDecoder = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        /** Decode batch sizes captured as CUDA graphs on a CUDA device (default none: eager). */
        public Builder cudaGraphSizes(List<Integer> v) { cudaGraphSizes = v; return this; }
        /** Device-side decode tables for paged kernels (default on); off runs decode attention the plain way. */
        public Builder decodeTables(boolean v) { decodeTables = v; return this; }

        public EngineConfig build() {
            return new EngineConfig(device == null ? new Device("cpu") : device, blockSize, numBlocksOverride,
                    kvCacheMemoryBytes, gpuMemoryUtilization,
                    new SchedulerConfig(maxNumSeqs, maxNumBatchedTokens, maxModelLen), prefixCaching, eosTokenIds,
                    samplingDefaults, textDecoder, seed, cudaGraphSizes, decodeTables);
        }
    }
}
