package ai.tessera.platform.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalInt;

import ai.tessera.api.AttentionBackend;
import ai.tessera.api.AttentionLayerSpec;
import ai.tessera.api.AttentionMetadata;
import ai.tessera.api.KvCache;
import ai.tessera.api.Platform;
import ai.tessera.core.attention.SdpaAttentionBackend;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;

/** Which layers and platforms the paged backend takes, and that it hands what it cannot run to its prefill backend. */
class PagedAttentionBackendTest {
    private static final AttentionLayerSpec QWEN = AttentionLayerSpec.causal(128, 28, 4, ScalarType.BFloat16);

    private static Platform platform(String device, boolean nativeCompile) {
        return new Platform() {
            public Availability availability() { return Availability.yes("test"); }
            public Device device() { return new Device(device); }
            public int priority() { return 1; }
            public List<String> attentionPreference() { return List.of("paged", "sdpa"); }
            public boolean nativeCompile() { return nativeCompile; }
            public boolean graphCapture() { return nativeCompile; }
        };
    }

    @Test
    void runsOnCudaWithNativeCompileOnly() {
        PagedAttentionBackend paged = new PagedAttentionBackend(new SdpaAttentionBackend());
        assertNull(paged.unsupportedReason(QWEN, platform("cuda:0", true)));
        assertTrue(paged.unsupportedReason(QWEN, platform("cpu", true)).contains("CUDA devices only"));
        assertTrue(paged.unsupportedReason(QWEN, platform("cuda:0", false)).contains("turns off"));
    }

    @Test
    void declinesHeadSizesTheKernelCannotTakeAndWhatItsPrefillBackendDeclines() {
        PagedAttentionBackend paged = new PagedAttentionBackend(new SdpaAttentionBackend());
        Platform cuda = platform("cuda:0", true);
        String odd = paged.unsupportedReason(AttentionLayerSpec.causal(100, 4, 4, ScalarType.BFloat16), cuda);
        assertTrue(odd.contains("multiple of 8"), odd);
        AttentionLayerSpec capped = new AttentionLayerSpec(128, 8, 2, OptionalInt.empty(), OptionalDouble.of(50),
                ScalarType.BFloat16);
        String cap = paged.unsupportedReason(capped, cuda);
        assertTrue(cap.contains("prefill backend declines") && cap.contains("soft-cap"), cap);
        AttentionLayerSpec window = new AttentionLayerSpec(256, 8, 4, OptionalInt.of(512), OptionalDouble.empty(),
                ScalarType.BFloat16);
        assertNull(paged.unsupportedReason(window, cuda));
    }

    /** Records the calls it gets; answers with the query. */
    private static final class Recording implements AttentionBackend {
        final List<AttentionMetadata> calls = new ArrayList<>();

        public String unsupportedReason(AttentionLayerSpec spec, Platform platform) { return null; }

        public Tensor forward(Tensor query, Tensor key, Tensor value, KvCache.Layer cache, AttentionMetadata metadata,
                              AttentionLayerSpec spec, double scale) {
            calls.add(metadata);
            return query;
        }
    }

    @Test
    void prefillStepsAndTensorsOffCudaGoToThePrefillBackend() {
        Recording prefill = new Recording();
        PagedAttentionBackend paged = new PagedAttentionBackend(prefill);
        AttentionLayerSpec spec = AttentionLayerSpec.causal(8, 2, 1, ScalarType.Float);
        TensorOptions floats = new TensorOptions(ScalarType.Float);
        Tensor query = torch.zeros(new long[] {1, 2, 8}, floats);
        Tensor kv = torch.zeros(new long[] {1, 1, 8}, floats);
        KvCache.Layer cache = new KvCache.Layer(torch.zeros(new long[] {2, 4, 1, 8}, floats),
                torch.zeros(new long[] {2, 4, 1, 8}, floats));
        Tensor slots = torch.tensor(new long[] {0}, new TensorOptions(ScalarType.Long));
        List<AttentionMetadata.Sequence> one = List.of(new AttentionMetadata.Sequence(0, 1, 1, new long[] {0}));
        AttentionMetadata prefillStep = new AttentionMetadata(slots, one, 4);
        AttentionMetadata decodeOnCpu = new AttentionMetadata(slots, one, 4, new AttentionMetadata.DecodeTables(
                torch.zeros(new long[] {1, 1}, new TensorOptions(ScalarType.Int)),
                torch.ones(new long[] {1}, new TensorOptions(ScalarType.Int))));
        assertSame(query, paged.forward(query, kv, kv, cache, prefillStep, spec, 1.0));
        assertSame(query, paged.forward(query, kv, kv, cache, decodeOnCpu, spec, 1.0));
        assertEquals(List.of(prefillStep, decodeOnCpu), prefill.calls);
    }
}
