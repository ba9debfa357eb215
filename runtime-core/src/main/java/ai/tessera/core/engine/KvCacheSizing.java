package ai.tessera.core.engine;

import java.util.List;
import java.util.logging.Logger;

import ai.tessera.api.AttentionLayerSpec;
import ai.tessera.api.ForwardBatch;
import ai.tessera.api.LoadedModel;
import ai.tessera.core.kv.PagedKvCache;
import ai.tessera.core.kv.SingleSequence;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.SizeTPair;
import org.bytedeco.pytorch.global.torch;

/**
 * How many KV cache blocks to allocate.
 *
 * <ul>
 *   <li>A fixed override wins.</li>
 *   <li>CPU: what {@code --kv-cache-memory} holds, but no more than {@code --max-model-len × --max-num-seqs}
 *       tokens need (more could never be used, except as prefix cache).</li>
 *   <li>Accelerator: {@code --gpu-memory-utilization × total} minus what the device already uses after the model
 *       loaded (libtorch's {@code at::accelerator::getMemoryInfo}, i.e. cudaMemGetInfo: weights, other processes)
 *       minus the peak activation memory of one forward pass over {@code --max-num-batched-tokens} tokens (measured
 *       with the caching allocator's peak statistics), as vLLM profiles it.</li>
 * </ul>
 * Either way the cache must hold one request of {@code --max-model-len} tokens, or the error says by how much
 * it falls short.
 */
final class KvCacheSizing {
    private static final Logger LOG = Logger.getLogger(KvCacheSizing.class.getName());

    private KvCacheSizing() {
    }

    static int numBlocks(EngineConfig config, LoadedModel model) {
        List<AttentionLayerSpec> specs = model.attentionLayers();
        int blockSize = config.blockSize();
        SchedulerConfig s = config.scheduler();
        int perSequence = (s.maxModelLen() + blockSize - 1) / blockSize;
        long bytesPerBlock = PagedKvCache.bytesPerBlock(specs, blockSize);
        int numBlocks;
        String source;
        if (config.numBlocksOverride() > 0) {
            numBlocks = config.numBlocksOverride();
            source = "the block override";
        } else if (bytesPerBlock == 0) {
            numBlocks = (int) Math.min(Integer.MAX_VALUE, (long) perSequence * s.maxNumSeqs());
            source = "a model without attention layers";
        } else if (config.device().is_cpu()) {
            long fit = config.kvCacheMemoryBytes() / bytesPerBlock;
            long wanted = (long) perSequence * s.maxNumSeqs();
            numBlocks = (int) Math.min(Integer.MAX_VALUE, Math.min(fit, wanted));
            source = "--kv-cache-memory " + config.kvCacheMemoryBytes() + " bytes";
        } else {
            long budget = acceleratorBudget(config, model);
            numBlocks = (int) Math.max(0, Math.min(Integer.MAX_VALUE, budget / bytesPerBlock));
            source = "--gpu-memory-utilization " + config.gpuMemoryUtilization() + " (" + budget + " bytes left for"
                    + " the KV cache)";
        }
        if (numBlocks < perSequence) {
            throw new IllegalArgumentException("--max-model-len " + s.maxModelLen() + " needs " + perSequence
                    + " KV cache blocks of " + blockSize + " tokens (" + bytesPerBlock + " bytes each) but "
                    + source + " gives " + numBlocks + ", enough for " + (long) numBlocks * blockSize
                    + " tokens; give the cache more memory or pass --max-model-len " + (long) numBlocks * blockSize
                    + " or less");
        }
        LOG.info("KV cache: " + numBlocks + " blocks of " + blockSize + " tokens (" + (numBlocks * bytesPerBlock >> 20)
                + " MiB) from " + source);
        return numBlocks;
    }

    private static long acceleratorBudget(EngineConfig config, LoadedModel model) {
        Device device = config.device();
        byte index = device.has_index() ? device.index() : 0;
        long activationPeak = profileActivationPeak(config, model, index);
        torch.emptyCache();
        SizeTPair info = torch.getMemoryInfo(index);
        long free = info.first();
        long total = info.second();
        long used = total - free;
        long budget = (long) (config.gpuMemoryUtilization() * total) - used - activationPeak;
        LOG.info("device memory: " + (total >> 20) + " MiB in all, " + (used >> 20) + " MiB used after loading, "
                + (activationPeak >> 20) + " MiB activation peak, " + (Math.max(0, budget) >> 20) + " MiB for the KV"
                + " cache at --gpu-memory-utilization " + config.gpuMemoryUtilization());
        return budget;
    }

    /**
     * Bytes one forward pass over {@code --max-num-batched-tokens} tokens (logits for {@code --max-num-seqs} of
     * them) allocates beyond what was allocated before it, the cache it writes to excluded.
     */
    private static long profileActivationPeak(EngineConfig config, LoadedModel model, byte index) {
        // A step may pack up to --max-num-batched-tokens tokens of many sequences, more than one sequence's length.
        int tokens = config.scheduler().maxNumBatchedTokens();
        int blocks = (tokens + config.blockSize() - 1) / config.blockSize();
        try (PointerScope scope = new PointerScope()) {
            long before = torch.getDeviceStats(index).allocated_bytes().current();
            torch.resetPeakStats(index);
            try (PagedKvCache cache = PagedKvCache.allocate(model.attentionLayers(), blocks, config.blockSize(),
                    config.device())) {
                long cacheBytes = torch.getDeviceStats(index).allocated_bytes().current() - before;
                ForwardBatch all = SingleSequence.prefill(new long[tokens], cache, config.device());
                // logits for as many rows as a step may sample, not for every token
                int rows = Math.min(tokens, config.scheduler().maxNumSeqs());
                long[] last = new long[rows];
                for (int i = 0; i < rows; i++) {
                    last[i] = tokens - rows + i;
                }
                model.forward(new ForwardBatch(all.inputIds(), all.positions(), all.attention(), cache,
                        BatchBuilder.toDevice(last, config.device())));
                long peak = torch.getDeviceStats(index).allocated_bytes().peak();
                return Math.max(0, peak - before - cacheBytes);
            }
        }
    }
}
