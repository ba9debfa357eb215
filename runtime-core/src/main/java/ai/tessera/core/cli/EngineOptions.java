package ai.tessera.core.cli;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import ai.tessera.core.engine.EngineConfig;
import ai.tessera.core.engine.SamplingParams;
import ai.tessera.core.engine.TextDecoder;
import picocli.CommandLine;

/** The engine's sizing and scheduling flags (vLLM's names), shared by {@code generate} and {@code bench}. */
final class EngineOptions {
    @CommandLine.Option(names = "--max-model-len", paramLabel = "TOKENS",
            description = "Most tokens (prompt and output) of one request; default: the model's max_position_embeddings.")
    Integer maxModelLen;

    /** Off where the command chose {@link #maxModelLen} itself (bench sizes it to its shapes). */
    boolean maxModelLenFromUser = true;

    /** vLLM's switch for a --max-model-len above the model's max_position_embeddings; Tessera's name is checked too. */
    static final List<String> ALLOW_LONG_MAX_MODEL_LEN = List.of("TESSERA_ALLOW_LONG_MAX_MODEL_LEN",
            "VLLM_ALLOW_LONG_MAX_MODEL_LEN");

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

    @CommandLine.Option(names = "--compilation-config", paramLabel = "JSON",
            description = "vLLM's compilation settings, e.g. '{\"cudagraph_capture_sizes\":[1,2,4,8]}' (default: "
                    + "decode batch sizes 1, 2, 4, 8, 16, 32, 64 and 128 as CUDA graphs).")
    String compilationConfig;

    @CommandLine.Option(names = "--enforce-eager", description = "Never capture CUDA graphs.")
    boolean enforceEager;

    private static final Set<String> COMPILATION_KEYS = Set.of("cudagraph_capture_sizes", "compile_mm_encoder", "level",
            "mode", "use_cudagraph", "full_cuda_graph");

    /**
     * The decode batch sizes to capture as CUDA graphs: {@code cudagraph_capture_sizes}, else vLLM's defaults up to
     * 128; none with {@code --enforce-eager} or {@code "use_cudagraph": false}.
     *
     * @throws IllegalArgumentException naming a bad {@code --compilation-config}
     */
    List<Integer> cudaGraphSizes() {
        JsonNode node = compilationConfig();
        if (enforceEager || (node.has("use_cudagraph") && !node.get("use_cudagraph").asBoolean(true))) {
            return List.of();
        }
        JsonNode sizes = node.get("cudagraph_capture_sizes");
        if (sizes == null) {
            return EngineConfig.DEFAULT_CUDA_GRAPH_SIZES;
        }
        List<Integer> out = new ArrayList<>();
        for (JsonNode size : sizes) {
            if (!size.isIntegralNumber() || size.asInt() <= 0) {
                throw new IllegalArgumentException("--compilation-config: cudagraph_capture_sizes must hold positive "
                        + "batch sizes, got " + sizes);
            }
            out.add(size.asInt());
        }
        return out;
    }

    /**
     * {@code compile_mm_encoder}: whether the multimodal encoders may run the platform's runtime-compiled kernels
     * (default false: encoders run plain ops, as vLLM leaves them out of {@code torch.compile} unless asked).
     *
     * @throws IllegalArgumentException when it is not a boolean
     */
    boolean compileMultimodalEncoders() {
        JsonNode flag = compilationConfig().get("compile_mm_encoder");
        if (flag == null) {
            return false;
        }
        if (!flag.isBoolean()) {
            throw new IllegalArgumentException("--compilation-config: compile_mm_encoder must be true or false, got "
                    + flag);
        }
        return flag.asBoolean();
    }

    private JsonNode compilationConfig() {
        if (compilationConfig == null) {
            return new ObjectMapper().createObjectNode();
        }
        JsonNode node;
        try {
            node = new ObjectMapper().readTree(compilationConfig);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("--compilation-config is not valid JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("--compilation-config must be a JSON object, got " + compilationConfig);
        }
        List<String> unknown = new ArrayList<>();
        node.fieldNames().forEachRemaining(k -> {
            if (!COMPILATION_KEYS.contains(k)) {
                unknown.add(k);
            }
        });
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("--compilation-config: unknown keys " + unknown + "; known: "
                    + new java.util.TreeSet<>(COMPILATION_KEYS));
        }
        JsonNode sizes = node.get("cudagraph_capture_sizes");
        if (sizes != null && !sizes.isArray()) {
            throw new IllegalArgumentException("--compilation-config: cudagraph_capture_sizes must be a list of "
                    + "batch sizes, got " + sizes);
        }
        return node;
    }

    /**
     * {@code --max-model-len}, or the model's {@code max_position_embeddings} when not given. As in vLLM, a length
     * beyond the model's positions is refused unless {@code TESSERA_ALLOW_LONG_MAX_MODEL_LEN=1} (or vLLM's
     * {@code VLLM_ALLOW_LONG_MAX_MODEL_LEN=1}) says the user knows the model computes such positions (RoPE scaling).
     *
     * @param maxPositions the model's {@code max_position_embeddings}, or -1 when its config has none
     */
    int maxModelLen(int maxPositions, java.util.function.UnaryOperator<String> env) {
        if (maxModelLen == null) {
            if (maxPositions <= 0) {
                throw new IllegalArgumentException("config.json has no max_position_embeddings; pass --max-model-len");
            }
            return maxPositions;
        }
        boolean allowed = ALLOW_LONG_MAX_MODEL_LEN.stream().anyMatch(name -> "1".equals(env.apply(name))
                || "true".equalsIgnoreCase(env.apply(name)));
        if (maxModelLenFromUser && maxPositions > 0 && maxModelLen > maxPositions && !allowed) {
            throw new IllegalArgumentException("--max-model-len " + maxModelLen + " is greater than the model's"
                    + " max_position_embeddings " + maxPositions + ", which may give wrong outputs; pass "
                    + maxPositions + " or less, or set " + ALLOW_LONG_MAX_MODEL_LEN.get(0) + "=1 to allow it");
        }
        return maxModelLen;
    }

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
                .maxModelLen(maxModelLen(session.maxPositionEmbeddingsIfKnown(), System::getenv))
                .prefixCaching(!noPrefixCaching)
                .eosTokenIds(eos)
                .samplingDefaults(defaults)
                .textDecoder(decoder)
                .seed(seed)
                .cudaGraphSizes(session.platform().graphCapture() ? cudaGraphSizes() : List.of())
                .build();
    }
}
