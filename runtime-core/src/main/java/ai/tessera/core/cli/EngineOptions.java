package ai.tessera.core.cli;

import java.util.Collection;
import java.util.HashSet;
import java.util.Set;

import ai.tessera.core.engine.EngineConfig;
import ai.tessera.core.engine.SamplingParams;
import ai.tessera.core.engine.TextDecoder;
import picocli.CommandLine;

/** The engine's sizing and scheduling flags (vLLM's names), shared by {@code generate} and {@code bench}. */
final class EngineOptions {
    @CommandLine.Option(names = "--max-model-len", paramLabel = "TOKENS",
            description = "Most tokens (prompt and output) of one request; default: the model's max_position_embeddings.")
    Integer maxModelLen;

    @CommandLine.Option(names = "--max-num-seqs", paramLabel = "N", defaultValue = "256",
            description = "Most requests in one step (default: ${DEFAULT-VALUE}).")
    int maxNumSeqs;

    @CommandLine.Option(names = "--max-num-batched-tokens", paramLabel = "TOKENS",
            description = "Most tokens computed in one step; longer prompts are prefilled in chunks (default: 2048).")
    Integer maxNumBatchedTokens;

    @CommandLine.Option(names = "--kv-cache-memory", paramLabel = "BYTES", converter = ByteSizeConverter.class,
            description = "On CPU, the most memory the KV cache may take, e.g. 4GiB (default: 1GiB).")
    Long kvCacheMemory;

    @CommandLine.Option(names = "--gpu-memory-utilization", paramLabel = "FRACTION", defaultValue = "0.9",
            description = "On a GPU, the fraction of its memory for weights, activations and KV cache (default: ${DEFAULT-VALUE}).")
    double gpuMemoryUtilization;

    @CommandLine.Option(names = "--num-gpu-blocks-override", paramLabel = "BLOCKS", defaultValue = "0",
            description = "Allocate exactly this many KV cache blocks, whatever the memory says.")
    int numBlocksOverride;

    @CommandLine.Option(names = "--block-size", paramLabel = "TOKENS", defaultValue = "16",
            description = "Tokens per KV cache block (default: ${DEFAULT-VALUE}).")
    int blockSize;

    @CommandLine.Option(names = "--no-enable-prefix-caching", description = "Do not reuse the KV of shared prompt prefixes.")
    boolean noPrefixCaching;

    /**
     * The engine configuration for a loaded model: its end-of-sequence ids (the model's and {@code extraEos}, e.g.
     * the tokenizer's), sampling defaults and text decoder.
     */
    EngineConfig engineConfig(ModelSession session, int defaultBatchedTokens, SamplingParams defaults,
                              TextDecoder decoder, long seed, Collection<Integer> extraEos) {
        Set<Integer> eos = new HashSet<>(session.eosTokenIds());
        eos.addAll(extraEos);
        return EngineConfig.builder()
                .device(session.platform().device())
                .blockSize(blockSize)
                .numBlocksOverride(numBlocksOverride)
                .kvCacheMemoryBytes(kvCacheMemory != null ? kvCacheMemory : EngineConfig.DEFAULT_KV_CACHE_MEMORY)
                .gpuMemoryUtilization(gpuMemoryUtilization)
                .maxNumSeqs(maxNumSeqs)
                .maxNumBatchedTokens(maxNumBatchedTokens != null ? maxNumBatchedTokens : defaultBatchedTokens)
                .maxModelLen(maxModelLen != null ? maxModelLen : session.maxPositionEmbeddings())
                .prefixCaching(!noPrefixCaching)
                .eosTokenIds(eos)
                .samplingDefaults(defaults)
                .textDecoder(decoder)
                .seed(seed)
                .build();
    }
}
