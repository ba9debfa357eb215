package ai.tessera.platform.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.tessera.api.Platform.Availability;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which libtorch builds the CUDA platform takes (simulated builds: no GPU here), and what it lets models use. */
class CudaPlatformPolicyTest {
    @ParameterizedTest(name = "cuda build {0}, hip build {1}, device visible {2}: available {3}")
    @CsvSource({
            "false, false, false, false, built without CUDA",
            "true,  false, false, false, sees no CUDA device",
            "true,  false, true,  true,  2 CUDA device(s)",
            "true,  true,  true,  false, ROCm (HIP) build",
            "false, true,  true,  false, ROCm (HIP) build"})
    void takesCudaBuildsThatSeeADeviceAndNeverRocmBuilds(boolean cuda, boolean hip, boolean visible, boolean available,
                                                          String reason) {
        Availability a = CudaPlatform.availability(cuda, hip, visible, 2);
        assertEquals(available, a.available(), a.reason());
        assertTrue(a.reason().contains(reason), a.reason());
    }

    @Test
    void allowsNativeKernelsAndGraphsWithLibtorchAttention() {
        CudaPlatform cuda = new CudaPlatform();
        assertTrue(cuda.nativeCompile());
        assertTrue(cuda.graphCapture());
        assertEquals(java.util.List.of("paged", "sdpa"), cuda.attentionPreference());
        assertFalse(cuda.priority() <= 0, "an accelerator outranks the CPU");
    }
}
