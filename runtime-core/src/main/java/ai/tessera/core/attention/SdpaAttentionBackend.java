package ai.tessera.core.attention;

import ai.tessera.api.AttentionBackend;
import ai.tessera.api.AttentionLayerSpec;
import ai.tessera.api.Platform;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.osgi.service.component.annotations.Component;

/**
 * libtorch's {@code scaled_dot_product_attention}: runs on every platform libtorch supports and picks its own
 * flash / memory-efficient / math kernel. Sliding windows and soft-caps need an explicit mask or score hook,
 * which this backend does not build, so it declines such layers.
 */
@Component(service = AttentionBackend.class, property = AttentionBackend.PROPERTY + "=sdpa")
public class SdpaAttentionBackend implements AttentionBackend {

    @Override
    public String unsupportedReason(AttentionLayerSpec spec, Platform platform) {
        if (spec.logitSoftCap().isPresent()) {
            return "sdpa cannot soft-cap attention scores";
        }
        if (spec.slidingWindow().isPresent()) {
            return "sdpa has no sliding-window mask";
        }
        return null;
    }

    @Override
    public Tensor attend(Tensor query, Tensor key, Tensor value, AttentionLayerSpec spec, double scale) {
        boolean grouped = spec.numHeads() != spec.numKvHeads();
        return torch.scaled_dot_product_attention(query, key, value, new TensorOptional(), 0.0, true,
                new DoubleOptional(scale), grouped);
    }
}
