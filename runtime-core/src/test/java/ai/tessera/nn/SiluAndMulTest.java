package ai.tessera.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import ai.tessera.api.Platform;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;

/** The gated activation and the platform's say over how it runs. */
class SiluAndMulTest {

    private static Platform platform(boolean nativeCompile) {
        return new Platform() {
            @Override
            public Availability availability() {
                return Availability.yes("test");
            }

            @Override
            public Device device() {
                return new Device("cpu");
            }

            @Override
            public int priority() {
                return 0;
            }

            @Override
            public List<String> attentionPreference() {
                return List.of("sdpa");
            }

            @Override
            public boolean nativeCompile() {
                return nativeCompile;
            }

            @Override
            public boolean graphCapture() {
                return false;
            }
        };
    }

    @Test
    void thePlatformDecidesFusedOrPlain() {
        assertEquals(SiluAndMul.Implementation.FUSED, SiluAndMul.forPlatform(platform(true)).implementation());
        assertEquals(SiluAndMul.Implementation.PLAIN, SiluAndMul.forPlatform(platform(false)).implementation());
    }

    @Test
    void fusedAndPlainComputeUpTimesSiluOfGate() {
        try (PointerScope scope = new PointerScope()) {
            Tensor gateUp = torch.randn(5, 3, 16).mul(new Scalar(3.0));
            Tensor gate = gateUp.narrow(2, 0, 8);
            Tensor up = gateUp.narrow(2, 8, 8);
            // silu(g) = g * sigmoid(g)
            float[] expected = values(gate.mul(torch.sigmoid(gate)).mul(up));
            float[] plain = values(SiluAndMul.of(SiluAndMul.Implementation.PLAIN).forward(gateUp));
            float[] fused = values(SiluAndMul.of(SiluAndMul.Implementation.FUSED).forward(gateUp));
            assertArrayEquals(plain, fused, "the TorchScript function runs the same ops (no CPU fusion)");
            assertArrayEquals(plain, values(SiluAndMul.apply(gateUp)));
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], plain[i], 1e-5 * Math.max(1, Math.abs(expected[i])), "element " + i);
            }
            Tensor bf16 = gateUp.to(ScalarType.BFloat16);
            assertEquals(ScalarType.BFloat16, SiluAndMul.of(SiluAndMul.Implementation.FUSED).forward(bf16)
                    .scalar_type().intern(), "the dtype is kept");
        }
    }

    @Test
    void anOddWidthIsRefused() {
        try (PointerScope scope = new PointerScope()) {
            Tensor odd = torch.zeros(2, 7);
            for (SiluAndMul.Implementation implementation : SiluAndMul.Implementation.values()) {
                String message = assertThrows(IllegalArgumentException.class,
                        () -> SiluAndMul.of(implementation).forward(odd)).getMessage();
                assertTrue(message.contains("even last dimension") && message.contains("got 7"), message);
            }
        }
    }

    private static float[] values(Tensor t) {
        Tensor flat = t.contiguous().view(-1).to(ScalarType.Float);
        float[] out = new float[(int) flat.numel()];
        flat.data_ptr_float().get(out);
        return out;
    }
}
