package ai.tessera.gemma4;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.Linear;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * {@code Gemma4AudioAttention}: the conformer's chunked local self-attention with a Transformer-XL relative
 * position term, in float32.
 * <ul>
 *   <li>queries {@code q · d^-½ / ln 2 · softplus(per_dim_scale)}, keys {@code k · ln(1 + e) / ln 2};</li>
 *   <li>the sequence is cut into blocks of {@code chunk} queries; each block attends to a context of
 *       {@code chunk + left − 1 + right} keys starting {@code left − 1} before it;</li>
 *   <li>logits {@code q·k + q·relative_k_proj(sinusoid)} after the relative shift, then
 *       {@code cap · tanh(x / cap)}; keys outside the sequence or farther than the window get the invalid logit;
 *       softmax in float32.</li>
 * </ul>
 * The blocked layout is transformers' own, so that the relative term lines up exactly as it does there.
 */
final class Gemma4AudioAttention implements AutoCloseable {
    private final Gemma4AudioConfig config;
    private final ClippableLinear q;
    private final ClippableLinear k;
    private final ClippableLinear v;
    private final ClippableLinear post;
    private final Linear relativeK;
    private final Tensor perDimScale;

    private Gemma4AudioAttention(Gemma4AudioConfig config, ClippableLinear q, ClippableLinear k, ClippableLinear v,
                                 ClippableLinear post, Linear relativeK, Tensor perDimScale) {
        this.config = config;
        this.q = q;
        this.k = k;
        this.v = v;
        this.post = post;
        this.relativeK = relativeK;
        this.perDimScale = Held.hold(perDimScale);
    }

    static Gemma4AudioAttention load(WeightSource weights, Gemma4AudioConfig c, WeightPrefix prefix)
            throws ModelLoadException {
        long h = c.hiddenSize();
        boolean clipped = c.useClippedLinears();
        try (LoadGuard guard = new LoadGuard()) {
            ClippableLinear q = guard.add(ClippableLinear.load(weights, prefix.child("q_proj"), h, h, clipped));
            ClippableLinear k = guard.add(ClippableLinear.load(weights, prefix.child("k_proj"), h, h, clipped));
            ClippableLinear v = guard.add(ClippableLinear.load(weights, prefix.child("v_proj"), h, h, clipped));
            ClippableLinear post = guard.add(ClippableLinear.load(weights, prefix.child("post"), h, h, clipped));
            Linear relativeK = guard.add(Linear.load(weights, prefix.child("relative_k_proj"), h, h, false));
            Tensor perDimScale = weights.load(prefix.tensor("per_dim_scale"), c.headDim());
            return guard.done(new Gemma4AudioAttention(c, q, k, v, post, relativeK, perDimScale));
        }
    }

    private int context() {
        return context(config);
    }

    private static int context(Gemma4AudioConfig c) {
        return c.chunkSize() + c.contextLeft() - 1 + c.contextRight();
    }

    /**
     * transformers' {@code Gemma4AudioRelPositionalEncoding}: {@code [sin(p·τ) | cos(p·τ)]} for
     * {@code p = context/2 .. 0}, {@code τ_i = exp(−i · ln(10⁴) / (hidden/2 − 1))}, float32.
     */
    static Tensor relativePositions(Gemma4AudioConfig c) {
        int timescales = c.hiddenSize() / 2;
        int context = c.chunkSize() + c.contextLeft() - 1 + c.contextRight();
        double increment = Math.log(10_000.0) / Math.max(timescales - 1, 1);
        TensorOptions floats = new TensorOptions(ScalarType.Float);
        Tensor inv = torch.arange(new Scalar((long) timescales), floats).mul(new Scalar(-increment)).exp();
        Tensor positions = torch.arange(new Scalar((long) (context / 2)), new Scalar(-1L), new Scalar(-1L),
                new TensorOptions(ScalarType.Long));
        Tensor scaled = positions.unsqueeze(1).mul(inv.unsqueeze(0));
        return torch.cat(new org.bytedeco.pytorch.TensorVector(scaled.sin(), scaled.cos()), 1);
    }

    /**
     * Which (block, query, context key) pairs attend: the key lies in the sequence and its distance
     * {@code d = query − key} is in {@code 0 .. left − 2} (or {@code −right < d < 0}), as transformers' sliding
     * window mask intersected with the padding mask and laid out in blocks: {@code [1, blocks, chunk, context]}
     * for a sequence of {@code length} rows; the same for every layer.
     */
    static Tensor blockedMask(Gemma4AudioConfig config, long length) {
        int chunk = config.chunkSize();
        int context = context(config);
        int left = config.contextLeft();
        int right = config.contextRight();
        long blocks = (length + chunk - 1) / chunk;
        byte[] allowed = new byte[Math.toIntExact(blocks * chunk * context)];
        int at = 0;
        for (long b = 0; b < blocks; b++) {
            for (int i = 0; i < chunk; i++) {
                long query = b * chunk + i;
                for (int j = 0; j < context; j++) {
                    long key = b * chunk - (left - 1) + j;
                    long d = query - key;
                    boolean window = (d >= 0 && d < left - 1) || (d < 0 && -d < right);
                    allowed[at++] = (byte) (window && key >= 0 && key < length ? 1 : 0);
                }
            }
        }
        try (org.bytedeco.javacpp.BytePointer data = new org.bytedeco.javacpp.BytePointer(allowed)) {
            return torch.from_blob(data, new long[] {1, blocks, chunk, context}, new TensorOptions(ScalarType.Bool))
                    .clone();
        }
    }

    /**
     * @param x                {@code [T, hidden]}
     * @param relativePositions the sinusoid {@code [context/2 + 1, hidden]} in {@code x}'s dtype
     * @param mask             {@link #blockedMask} for {@code T}
     * @return {@code [T, hidden]} in {@code x}'s dtype
     */
    Tensor forward(Tensor x, Tensor relativePositions, Tensor mask) {
        long length = x.size(0);
        int heads = config.numAttentionHeads();
        int headDim = config.headDim();
        int chunk = config.chunkSize();
        int context = context();
        long blocks = (length + chunk - 1) / chunk;
        double qScale = Math.pow(headDim, -0.5) / Math.log(2);
        double kScale = Math.log(1 + Math.E) / Math.log(2);

        Tensor queries = q.forward(x).to(ScalarType.Float).view(length, heads, headDim).mul(new Scalar(qScale))
                .mul(torch.softplus(perDimScale.to(ScalarType.Float)));
        Tensor keys = k.forward(x).to(ScalarType.Float).view(length, heads, headDim).mul(new Scalar(kScale));
        Tensor values = v.forward(x).to(ScalarType.Float).view(length, heads, headDim);

        // queries [blocks, chunk, H, D]; keys and values [blocks, context, H, D]
        Tensor blockedQ = torch.constant_pad_nd(queries, 0, 0, 0, 0, 0, blocks * chunk - length)
                .view(blocks, chunk, heads, headDim);
        Tensor blockedK = contextBlocks(keys);
        Tensor blockedV = contextBlocks(values);

        Tensor relative = relativeK.forward(relativePositions).to(ScalarType.Float).view(-1, heads, headDim);
        long positions = relative.size(0);

        Tensor perHead = blockedQ.permute(2, 0, 1, 3); // [H, blocks, chunk, D]
        Tensor content = perHead.matmul(blockedK.permute(2, 0, 3, 1)); // [H, blocks, chunk, context]
        Tensor position = perHead.reshape(heads, blocks * chunk, headDim).matmul(relative.permute(1, 2, 0))
                .reshape(heads, blocks, chunk, positions);
        // Transformer-XL's relative shift: pad each row to context + 1, reflow the block's rows, cut back.
        Tensor shifted = torch.constant_pad_nd(position, 0, context + 1 - positions)
                .reshape(heads, blocks, (long) chunk * (context + 1)).narrow(2, 0, (long) chunk * context)
                .reshape(heads, blocks, chunk, context);

        Scalar cap = new Scalar(config.logitCap());
        Tensor logits = content.add(shifted).div(cap).tanh().mul(cap)
                .masked_fill(mask.logical_not(), new Scalar(config.invalidLogit()));
        Tensor weights = logits.softmax(-1, new ScalarTypeOptional(ScalarType.Float));
        Tensor out = weights.matmul(blockedV.permute(2, 0, 1, 3)) // [H, blocks, chunk, D]
                .permute(1, 2, 0, 3).reshape(blocks * chunk, (long) heads * headDim).narrow(0, 0, length);
        return post.forward(out.to(x.scalar_type()));
    }

    /** {@code [T, H, D]} → the overlapping key windows {@code [blocks, context, H, D]}, zero outside. */
    private Tensor contextBlocks(Tensor t) {
        int chunk = config.chunkSize();
        Tensor padded = torch.constant_pad_nd(t, 0, 0, 0, 0, config.contextLeft() - 1,
                config.contextRight() + chunk - 1);
        return padded.unfold(0, context(), chunk).movedim(-1, 1);
    }

    @Override
    public void close() {
        q.close();
        k.close();
        v.close();
        post.close();
        relativeK.close();
        Held.release(perDimScale);
    }
}
