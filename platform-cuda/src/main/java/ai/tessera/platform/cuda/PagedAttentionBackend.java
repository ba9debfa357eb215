package ai.tessera.platform.cuda;

import java.util.logging.Level;
import java.util.logging.Logger;

import ai.tessera.api.AttentionBackend;
import ai.tessera.api.AttentionLayerSpec;
import ai.tessera.api.AttentionMetadata;
import ai.tessera.api.KvCache;
import ai.tessera.api.Platform;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Paged attention on CUDA: decode steps, and the decodes leading a mixed step, run the runtime-compiled
 * {@link PagedDecodeKernel}, which reads the keys and values through the block tables (no per-step copy of the
 * context); prefill chunks go to libtorch's SDPA backend (flash / memory-efficient kernels). When the kernel cannot be compiled here (no NVRTC), decode falls
 * back to SDPA too, with one warning.
 */
@Component(service = AttentionBackend.class, property = AttentionBackend.PROPERTY + "=" + PagedAttentionBackend.NAME)
public class PagedAttentionBackend implements AttentionBackend {
    public static final String NAME = "paged";
    private static final Logger LOG = Logger.getLogger(PagedAttentionBackend.class.getName());

    private final AttentionBackend prefill;
    private final PagedDecodeAttention decode = new PagedDecodeAttention();
    private volatile boolean kernelBroken;

    /** @param prefill the backend of prefill steps (libtorch's SDPA), which also writes their keys and values */
    @Activate
    public PagedAttentionBackend(@Reference(target = "(" + AttentionBackend.PROPERTY + "=sdpa)") AttentionBackend prefill) {
        this.prefill = prefill;
    }

    @Override
    public String unsupportedReason(AttentionLayerSpec spec, Platform platform) {
        if (!platform.device().is_cuda()) {
            return "paged attention runs on CUDA devices only";
        }
        if (!platform.nativeCompile()) {
            return "paged attention needs runtime-compiled kernels, which this platform turns off";
        }
        String kernel = PagedDecodeKernel.unsupportedReason(spec.dtype(), spec.headDim(),
                spec.numHeads() / spec.numKvHeads());
        if (kernel != null) {
            return kernel;
        }
        String prefillReason = prefill.unsupportedReason(spec, platform);
        return prefillReason == null ? null : "its prefill backend declines: " + prefillReason;
    }

    @Override
    public Tensor forward(Tensor query, Tensor key, Tensor value, KvCache.Layer cache, AttentionMetadata metadata,
                         AttentionLayerSpec spec, double scale) {
        boolean decodeStep = metadata.decode() != null;
        AttentionMetadata.DecodeTables tables = decodeStep ? metadata.decode() : metadata.mixedDecode();
        if (tables == null || kernelBroken || !query.device().is_cuda()) {
            return prefill.forward(query, key, value, cache, metadata, spec, scale);
        }
        // Every row's key and value first: a one-token sequence may read a block that a prefill of the same step
        // writes (a prompt whose prefix another prompt of the step computes).
        Tensor keySlots = cache.key().view(-1, spec.numKvHeads(), spec.headDim());
        Tensor valueSlots = cache.value().view(-1, spec.numKvHeads(), spec.headDim());
        keySlots.index_copy_(0, metadata.slotMapping(), key.to(keySlots.scalar_type()));
        valueSlots.index_copy_(0, metadata.slotMapping(), value.to(valueSlots.scalar_type()));
        try {
            if (decodeStep) {
                return decode.forward(query, cache, tables, spec, scale);
            }
            // A mixed step: its leading decodes in one kernel call, its prefill chunks through the prefill backend
            // (which writes their keys and values again, the same ones).
            int decodes = metadata.leadingDecodes();
            Tensor head = decode.forward(query.narrow(0, 0, decodes), cache, tables, spec, scale);
            long rest = query.size(0) - decodes;
            Tensor tail = prefill.forward(query.narrow(0, decodes, rest), key.narrow(0, decodes, rest),
                    value.narrow(0, decodes, rest), cache, metadata.from(decodes), spec, scale);
            return torch.cat(new TensorVector(head, tail));
        } catch (IllegalStateException e) {
            // NVRTC or the driver refused the kernel: SDPA still gives the right answer (the cache is written twice)
            kernelBroken = true;
            LOG.log(Level.WARNING, "the paged decode kernel is unavailable; decode steps use SDPA from now on", e);
            return prefill.forward(query, key, value, cache, metadata, spec, scale);
        }
    }
}
