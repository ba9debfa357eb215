package ai.tessera.platform.rocm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.tessera.api.Platform.Availability;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Which libtorch builds the ROCm platform takes (simulated builds: no AMD GPU here), and that it hands models
 * plain ops only: no runtime-compiled kernels, no graph capture, libtorch's own attention.
 */
class RocmPlatformPolicyTest {
    @ParameterizedTest(name = "hip build {0}, device visible {1}: available {2}")
    @CsvSource({
            "false, false, false, not a ROCm (HIP) build",
            "false, true,  false, not a ROCm (HIP) build",
            "true,  false, false, sees no AMD GPU",
            "true,  true,  true,  1 ROCm device(s)"})
    void takesRocmBuildsThatSeeAnAmdGpu(boolean hip, boolean visible, boolean available, String reason) {
        Availability a = RocmPlatform.availability(hip, visible, 1);
        assertEquals(available, a.available(), a.reason());
        assertTrue(a.reason().contains(reason), a.reason());
    }

    @Test
    void nativeCompileAndGraphCaptureAreOff() {
        RocmPlatform rocm = new RocmPlatform();
        assertFalse(rocm.nativeCompile(), "ROCm runs with runtime-compiled (fused) kernels off");
        assertFalse(rocm.graphCapture());
        assertEquals(java.util.List.of("sdpa"), rocm.attentionPreference());
    }
}
