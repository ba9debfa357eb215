package ai.tessera.core.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import ai.tessera.api.MultimodalItem;
import ai.tessera.api.MultimodalPrompt;
import org.bytedeco.pytorch.Tensor;

/**
 * The engine's bookkeeping for one request: its tokens (prompt, then generated), how many of them have KV in
 * the cache, its block table and its output state. Only the engine thread touches it.
 */
final class RequestState {
    final String id;
    final SamplingParams params;
    final int promptLength;
    /** Prompt tokens then generated tokens; {@code numTokens} of them are valid. */
    private int[] tokens;
    private int numTokens;
    /** Tokens whose KV is in the cache. A preempted request starts again from 0 (recompute). */
    int numComputed;
    final List<KvBlock> blocks = new ArrayList<>();
    /**
     * Whether its cached KV was computed as a sequence longer than the model's {@code recomputeBeyond()} length;
     * such blocks are kept out of the prefix cache, which holds the KV of shorter sequences.
     */
    boolean longSequence;
    /** Leading blocks already registered in (or taken from) the prefix cache. */
    int numCachedBlocks;
    private long[] blockHashes = new long[4];
    private int numBlockHashes;
    /** Prompt tokens served from the prefix cache at first admission; -1 before it. */
    int cachedPromptTokens = -1;
    int preemptions;
    /** Draws for seeded sampling, so that a seeded request is reproducible whatever it is batched with. */
    final SplittableRandom rng;
    final OutputText text;
    final RequestPublisher publisher;
    FinishReason finishReason;
    Object stopReason;
    /** The prompt's media, or null; its encoder inputs are closed once encoded. */
    final MultimodalPrompt multimodal;
    /** Per item, its encoder output, kept until the request ends (a preempted request recomputes from them). */
    List<Tensor> mmEmbeddings;
    /** Mixed into the hash of the block where the first media item starts, so equal prefixes share only with equal media. */
    private final long mediaSeed;
    private final int firstMediaToken;

    RequestState(GenerationRequest request, SamplingParams params, OutputText text, RequestPublisher publisher) {
        this.id = request.requestId();
        this.params = params;
        this.promptLength = request.promptLength();
        this.tokens = Arrays.copyOf(request.promptTokenIds(), Math.max(16, promptLength * 2));
        this.numTokens = promptLength;
        this.rng = params.seed() == null ? null : new SplittableRandom(params.seed());
        this.text = text;
        this.publisher = publisher;
        this.multimodal = request.multimodal();
        // 64-bit FNV-1a over every item's content hash and place: the prefix cache cannot compare media as it
        // compares tokens (the placeholder ids are the same for every image), so the hash alone tells them apart
        long seed = 0xCBF29CE484222325L;
        int first = Integer.MAX_VALUE;
        if (multimodal != null) {
            for (MultimodalItem item : multimodal.items()) {
                String key = item.modality() + ':' + item.offset() + ':' + item.length() + ':' + item.contentHash() + ';';
                for (int i = 0; i < key.length(); i++) {
                    seed = (seed ^ key.charAt(i)) * 0x100000001B3L;
                }
                first = Math.min(first, item.offset());
            }
        }
        this.mediaSeed = seed == 0 ? 1 : seed;
        this.firstMediaToken = first;
    }

    /** The adapter all of this request's steps run with (chosen by the media processor), or null for the base model. */
    String adapter() {
        return multimodal == null ? null : multimodal.adapter();
    }

    /** Whether tokens {@code [start, start + length)} take media embeddings. */
    boolean overlapsMedia(int start, int length) {
        if (multimodal == null) {
            return false;
        }
        for (MultimodalItem item : multimodal.items()) {
            if (item.offset() < start + length && start < item.offset() + item.length()) {
                return true;
            }
        }
        return false;
    }

    /** Position of token {@code i} in rotary section {@code section}: from the processor for the prompt, else shifted. */
    long position(int section, int i) {
        if (multimodal == null || multimodal.positions() == null) {
            return i;
        }
        return i < promptLength ? multimodal.positions()[section][i] : i + multimodal.positionDelta();
    }

    /** Frees the media embeddings and inputs; the request has ended. */
    void releaseMedia() {
        if (mmEmbeddings != null) {
            mmEmbeddings.forEach(Tensor::close);
            mmEmbeddings = null;
        }
        if (multimodal != null) {
            multimodal.close();
        }
    }

    int numTokens() {
        return numTokens;
    }

    int numOutputTokens() {
        return numTokens - promptLength;
    }

    int token(int i) {
        return tokens[i];
    }

    int lastToken() {
        return tokens[numTokens - 1];
    }

    /** A copy of tokens {@code [start, start + length)}. */
    int[] tokenRange(int start, int length) {
        return Arrays.copyOfRange(tokens, start, start + length);
    }

    int[] outputTokens() {
        return Arrays.copyOfRange(tokens, promptLength, numTokens);
    }

    void append(int token) {
        if (numTokens == tokens.length) {
            tokens = Arrays.copyOf(tokens, tokens.length * 2);
        }
        tokens[numTokens++] = token;
    }

    /** Whether the next step computes this request's last token, so its logits are sampled. */
    boolean samplesAfter(int numNewTokens) {
        return numComputed + numNewTokens == numTokens;
    }

    /**
     * Prefix hash of block {@code index}: its parent's hash mixed with its token ids. Requires the block to be
     * full; hashes are remembered since tokens never change once written.
     */
    long blockHash(int index, int blockSize) {
        while (numBlockHashes <= index) {
            int b = numBlockHashes;
            if ((b + 1) * blockSize > numTokens) {
                throw new IllegalStateException("block " + b + " of request " + id + " is not full: it has "
                        + (numTokens - b * blockSize) + " of " + blockSize + " tokens");
            }
            // an adapter changes every key and value from the first token: its requests share no block with others
            long parent = b == 0 ? adapterSeed() : blockHashes[b - 1];
            if (firstMediaToken >= b * blockSize && firstMediaToken < (b + 1) * blockSize) {
                parent ^= mediaSeed;
            }
            if (numBlockHashes == blockHashes.length) {
                blockHashes = Arrays.copyOf(blockHashes, blockHashes.length * 2);
            }
            blockHashes[numBlockHashes++] = hash(parent, tokens, b * blockSize, blockSize);
        }
        return blockHashes[index];
    }

    private long adapterSeed() {
        String adapter = adapter();
        if (adapter == null) {
            return 0;
        }
        long seed = 0xCBF29CE484222325L;
        for (int i = 0; i < adapter.length(); i++) {
            seed = (seed ^ adapter.charAt(i)) * 0x100000001B3L;
        }
        return seed;
    }

    /** A 64-bit mix of the parent hash and the tokens (collisions are caught by comparing the tokens too). */
    static long hash(long parent, int[] tokens, int start, int length) {
        long h = parent ^ 0x9E3779B97F4A7C15L;
        for (int i = start; i < start + length; i++) {
            h ^= tokens[i] * 0xC2B2AE3D27D4EB4FL;
            h = Long.rotateLeft(h, 31) * 0x9E3779B97F4A7C15L;
        }
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        h *= 0xC4CEB9FE1A85EC53L;
        h ^= h >>> 33;
        return h == 0 ? 1 : h;
    }

    /** Back to waiting after preemption: its KV is dropped and recomputed over prompt and output alike. */
    void resetForRecompute() {
        numComputed = 0;
        preemptions++;
    }

    boolean finished() {
        return finishReason != null;
    }

    @Override
    public String toString() {
        return "request " + id + " (" + numTokens + " tokens, " + numComputed + " computed, " + blocks.size()
                + " blocks)";
    }
}
