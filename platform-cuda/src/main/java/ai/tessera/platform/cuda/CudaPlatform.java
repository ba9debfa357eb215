package ai.tessera.platform.cuda;

import java.util.List;

import ai.tessera.api.Platform;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.global.torch;
import org.osgi.service.component.annotations.Component;

/**
 * NVIDIA GPUs through libtorch's CUDA build. Available when the loaded libtorch sees a CUDA device and is not a
 * ROCm build (ROCm reuses the cuda device type; platform-rocm takes those).
 */
@Component(service = Platform.class, property = Platform.PROPERTY + "=cuda")
public class CudaPlatform implements Platform {

    @Override
    public Availability availability() {
        return availability(torch.hasCUDA(), torch.hasHIP(), torch.hasCUDA() && torch.cuda_is_available(),
                torch.hasCUDA() ? torch.cuda_device_count() : 0);
    }

    /** The policy, for any libtorch build: CUDA builds that see a device, never ROCm builds. */
    static Availability availability(boolean cudaBuild, boolean hipBuild, boolean deviceVisible, long devices) {
        if (hipBuild) {
            return Availability.no("the loaded libtorch is a ROCm (HIP) build; use the rocm platform");
        }
        if (!cudaBuild) {
            return Availability.no("the loaded libtorch was built without CUDA (CPU-only natives on the class path)");
        }
        if (!deviceVisible) {
            return Availability.no("libtorch has CUDA but sees no CUDA device");
        }
        return Availability.yes(devices + " CUDA device(s)");
    }

    @Override
    public Device device() {
        return new Device("cuda:0");
    }

    @Override
    public int priority() {
        return 100;
    }

    /** The paged decode kernel first (prefill through SDPA); plain SDPA where it cannot run a layer. */
    @Override
    public List<String> attentionPreference() {
        return List.of(PagedAttentionBackend.NAME, "sdpa");
    }

    /** Runtime-compiled fused kernels are allowed on CUDA. */
    @Override
    public boolean nativeCompile() {
        return true;
    }

    @Override
    public boolean graphCapture() {
        return true;
    }
}
