package ai.tessera.core.attention;

import java.util.List;

import ai.tessera.api.AttentionBackend;
import ai.tessera.api.AttentionLayerSpec;
import ai.tessera.api.AttentionMetadata;
import ai.tessera.api.KvCache;
import ai.tessera.api.Platform;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.osgi.service.component.annotations.Component;

/**
 * libtorch's {@code scaled_dot_product_attention} over the paged cache: runs wherever libtorch runs and picks its
 * own flash / memory-efficient / math kernel. Each sequence's context is gathered from its blocks before the call,
 * so this is the simple, portable backend; platform bundles bring faster paged ones. Soft-capped scores need a
 * hook inside the kernel, which SDPA lacks, so such layers are declined.
 */
@Component(service = AttentionBackend.class, property = AttentionBackend.PROPERTY + "=sdpa")
public class SdpaAttentionBackend implements AttentionBackend {

    @Override
    public String unsupportedReason(AttentionLayerSpec spec, Platform platform) {
        if (spec.logitSoftCap().isPresent()) {
            return "sdpa cannot soft-cap attention scores";
        }
        return null;
    }

    /** The masks of prefill chunks take the spans into account. */
    @Override
    public boolean supportsBidirectionalSpans() {
        return true;
    }

    @Override
    public Tensor forward(Tensor query, Tensor key, Tensor value, KvCache.Layer cache, AttentionMetadata metadata,
                          AttentionLayerSpec spec, double scale) {
        int kvHeads = spec.numKvHeads();
        int headDim = spec.headDim();
        Tensor keySlots = cache.key().view(-1, kvHeads, headDim);
        Tensor valueSlots = cache.value().view(-1, kvHeads, headDim);
        keySlots.index_copy_(0, metadata.slotMapping(), key.to(keySlots.scalar_type()));
        valueSlots.index_copy_(0, metadata.slotMapping(), value.to(valueSlots.scalar_type()));

        boolean grouped = spec.numHeads() != kvHeads;
        List<AttentionMetadata.Sequence> sequences = metadata.sequences();
        // The decodes of a step (all of it, or those ahead of the prefill chunks) in one call, the rest one by one:
        // 64 running decodes beside one new prompt would otherwise be 64 gathers and 64 calls per layer.
        int decodes = metadata.leadingDecodes();
        if (decodes == sequences.size() && decodes > 1) {
            return decodeBatch(query, keySlots, valueSlots, sequences, metadata.blockSize(), spec, scale, grouped);
        }
        Tensor out = torch.empty_like(query);
        int first = 0;
        if (decodes > 1) {
            out.narrow(0, 0, decodes).copy_(decodeBatch(query.narrow(0, 0, decodes), keySlots, valueSlots,
                    sequences.subList(0, decodes), metadata.blockSize(), spec, scale, grouped));
            first = decodes;
        }
        // A new prompt's whole context is this step's keys and values, and the cache holds them as they are (same
        // dtype): read them from the step's rows, sparing the slot tensor's host-to-device copy and the gather.
        boolean cacheHoldsKeysAsGiven = keySlots.scalar_type().intern() == key.scalar_type().intern()
                && valueSlots.scalar_type().intern() == value.scalar_type().intern();
        for (AttentionMetadata.Sequence seq : sequences.subList(first, sequences.size())) {
            Tensor k;
            Tensor v;
            // [1, heads, tokens, headDim], the layout SDPA expects
            if (cacheHoldsKeysAsGiven && seq.queryLength() == seq.contextLength()) {
                k = key.narrow(0, seq.queryStart(), seq.queryLength()).transpose(0, 1).unsqueeze(0);
                v = value.narrow(0, seq.queryStart(), seq.queryLength()).transpose(0, 1).unsqueeze(0);
            } else {
                Tensor slots = torch.tensor(seq.contextSlots(metadata.blockSize())).to(query.device(), ScalarType.Long);
                k = keySlots.index_select(0, slots).transpose(0, 1).unsqueeze(0);
                v = valueSlots.index_select(0, slots).transpose(0, 1).unsqueeze(0);
            }
            k = k.to(query.scalar_type());
            v = v.to(query.scalar_type());
            Tensor q = query.narrow(0, seq.queryStart(), seq.queryLength()).transpose(0, 1).unsqueeze(0);
            // A window at least as long as the context hides nothing: the plain causal kernel (flash) then applies.
            boolean windowed = spec.slidingWindow().isPresent() && spec.slidingWindow().getAsInt() < seq.contextLength();
            boolean plainCausal = seq.queryLength() == seq.contextLength() && !windowed
                    && seq.bidirectionalSpans().isEmpty();
            TensorOptional mask = plainCausal ? new TensorOptional() : new TensorOptional(mask(seq, windowed ? spec
                    .slidingWindow().getAsInt() : 0, query));
            Tensor o = torch.scaled_dot_product_attention(q, k, v, mask, 0.0, plainCausal, new DoubleOptional(scale),
                    grouped);
            out.narrow(0, seq.queryStart(), seq.queryLength()).copy_(o.squeeze(0).transpose(0, 1));
        }
        return out;
    }

    /**
     * Many sequences of one query token each in one SDPA call: their contexts gathered into one padded
     * {@code [sequences, kvHeads, longest, headDim]} batch with a mask over the padding (and the window), instead of
     * one call per sequence.
     */
    private static Tensor decodeBatch(Tensor query, Tensor keySlots, Tensor valueSlots,
                                      List<AttentionMetadata.Sequence> sequences, int blockSize,
                                      AttentionLayerSpec spec, double scale, boolean grouped) {
        int n = sequences.size();
        int longest = 0;
        for (AttentionMetadata.Sequence seq : sequences) {
            longest = Math.max(longest, seq.contextLength());
        }
        long[] slots = new long[n * longest];
        long[] lengths = new long[n];
        for (int b = 0; b < n; b++) {
            AttentionMetadata.Sequence seq = sequences.get(b);
            long[] context = seq.contextSlots(blockSize);
            lengths[b] = context.length;
            for (int p = 0; p < longest; p++) {
                // Padding reads any valid slot (the sequence's first); the mask hides it.
                slots[b * longest + p] = context[p < context.length ? p : 0];
            }
        }
        TensorOptions longs = new TensorOptions(ScalarType.Long).device(new DeviceOptional(query.device()));
        Tensor index = torch.tensor(slots).to(query.device(), ScalarType.Long);
        int kvHeads = spec.numKvHeads();
        int headDim = spec.headDim();
        Tensor k = keySlots.index_select(0, index).view(n, longest, kvHeads, headDim).transpose(1, 2)
                .to(query.scalar_type());
        Tensor v = valueSlots.index_select(0, index).view(n, longest, kvHeads, headDim).transpose(1, 2)
                .to(query.scalar_type());
        Tensor q = query.unsqueeze(2);   // [n, heads, 1, headDim]
        Tensor positions = torch.arange(new Scalar((long) longest), longs).unsqueeze(0);
        Tensor length = torch.tensor(lengths).to(query.device(), ScalarType.Long).unsqueeze(1);
        Tensor visible = positions.lt(length);
        if (spec.slidingWindow().isPresent()) {
            // The query sits at position length-1 and sees keys less than `window` positions back.
            visible = visible.logical_and(positions.ge(length.sub(new Scalar((long) spec.slidingWindow().getAsInt()))));
        }
        Tensor mask = visible.view(n, 1, 1, longest);
        Tensor o = torch.scaled_dot_product_attention(q, k, v, new TensorOptional(mask), 0.0, false,
                new DoubleOptional(scale), grouped);
        return o.squeeze(2);
    }

    /**
     * Which keys each query may see: causal (queries sit at the end of the context) or in the query's bidirectional
     * span, and, when {@code window} is positive, only keys less than {@code window} positions back (transformers'
     * AND(window, OR(causal, same block)): a later key of the span is always within the window).
     */
    private static Tensor mask(AttentionMetadata.Sequence seq, int window, Tensor like) {
        TensorOptions longs = new TensorOptions(ScalarType.Long).device(new DeviceOptional(like.device()));
        long context = seq.contextLength();
        Tensor queryPositions = torch.arange(new Scalar(context - seq.queryLength()), new Scalar(context), longs)
                .unsqueeze(1);
        Tensor keyPositions = torch.arange(new Scalar(context), longs).unsqueeze(0);
        Tensor distance = queryPositions.sub(keyPositions);
        Tensor allowed = distance.ge(new Scalar(0L));
        for (AttentionMetadata.Span span : seq.bidirectionalSpans()) {
            Tensor queryIn = queryPositions.ge(new Scalar((long) span.start()))
                    .logical_and(queryPositions.lt(new Scalar((long) span.end())));
            Tensor keyIn = keyPositions.ge(new Scalar((long) span.start()))
                    .logical_and(keyPositions.lt(new Scalar((long) span.end())));
            allowed = allowed.logical_or(queryIn.logical_and(keyIn));
        }
        if (window > 0) {
            allowed = allowed.logical_and(distance.lt(new Scalar((long) window)));
        }
        return allowed;
    }
}
