package ai.tessera.core.attention;

import ai.tessera.api.AttentionBackend;
import ai.tessera.api.AttentionLayerSpec;
import ai.tessera.api.AttentionMetadata;
import ai.tessera.api.KvCache;
import ai.tessera.api.Platform;
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

    @Override
    public Tensor forward(Tensor query, Tensor key, Tensor value, KvCache.Layer cache, AttentionMetadata metadata,
                          AttentionLayerSpec spec, double scale) {
        int kvHeads = spec.numKvHeads();
        int headDim = spec.headDim();
        Tensor keySlots = cache.key().view(-1, kvHeads, headDim);
        Tensor valueSlots = cache.value().view(-1, kvHeads, headDim);
        keySlots.index_copy_(0, metadata.slotMapping(), key.to(keySlots.scalar_type()));
        valueSlots.index_copy_(0, metadata.slotMapping(), value.to(valueSlots.scalar_type()));

        Tensor out = torch.empty_like(query);
        boolean grouped = spec.numHeads() != kvHeads;
        for (AttentionMetadata.Sequence seq : metadata.sequences()) {
            Tensor slots = torch.tensor(seq.contextSlots(metadata.blockSize())).to(query.device(), ScalarType.Long);
            // [1, heads, tokens, headDim], the layout SDPA expects
            Tensor k = keySlots.index_select(0, slots).transpose(0, 1).unsqueeze(0).to(query.scalar_type());
            Tensor v = valueSlots.index_select(0, slots).transpose(0, 1).unsqueeze(0).to(query.scalar_type());
            Tensor q = query.narrow(0, seq.queryStart(), seq.queryLength()).transpose(0, 1).unsqueeze(0);
            // A window at least as long as the context hides nothing: the plain causal kernel (flash) then applies.
            boolean windowed = spec.slidingWindow().isPresent() && spec.slidingWindow().getAsInt() < seq.contextLength();
            boolean plainCausal = seq.queryLength() == seq.contextLength() && !windowed;
            TensorOptional mask = plainCausal ? new TensorOptional() : new TensorOptional(mask(seq, windowed ? spec
                    .slidingWindow().getAsInt() : 0, query));
            Tensor o = torch.scaled_dot_product_attention(q, k, v, mask, 0.0, plainCausal, new DoubleOptional(scale),
                    grouped);
            out.narrow(0, seq.queryStart(), seq.queryLength()).copy_(o.squeeze(0).transpose(0, 1));
        }
        return out;
    }

    /**
     * Which keys each query may see: causal (queries sit at the end of the context) and, when {@code window} is
     * positive, only keys less than {@code window} positions back.
     */
    private static Tensor mask(AttentionMetadata.Sequence seq, int window, Tensor like) {
        TensorOptions longs = new TensorOptions(ScalarType.Long).device(new org.bytedeco.pytorch.DeviceOptional(like.device()));
        long context = seq.contextLength();
        Tensor queryPositions = torch.arange(new Scalar(context - seq.queryLength()), new Scalar(context), longs)
                .unsqueeze(1);
        Tensor keyPositions = torch.arange(new Scalar(context), longs).unsqueeze(0);
        Tensor distance = queryPositions.sub(keyPositions);
        Tensor allowed = distance.ge(new Scalar(0L));
        if (window > 0) {
            allowed = allowed.logical_and(distance.lt(new Scalar((long) window)));
        }
        return allowed;
    }
}
