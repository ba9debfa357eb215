package ai.tessera.platform.rocm;

import java.util.List;

import ai.tessera.api.Platform;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.global.torch;
import org.osgi.service.component.annotations.Component;

/**
 * AMD GPUs through a ROCm (HIP) build of libtorch, which addresses them as {@code cuda} devices. Native
 * compile is off: models get plain-op versions of every fused op, and attention runs on libtorch's own kernels.
 */
@Component(service = Platform.class, property = Platform.PROPERTY + "=rocm")
public class RocmPlatform implements Platform {

    @Override
    public Availability availability() {
        boolean hip = torch.hasHIP();
        return availability(hip, hip && torch.cuda_is_available(), hip ? torch.cuda_device_count() : 0);
    }

    /** The policy, for any libtorch build: ROCm builds that see an AMD GPU (which HIP exposes as cuda devices). */
    static Availability availability(boolean hipBuild, boolean deviceVisible, long devices) {
        if (!hipBuild) {
            return Availability.no("the loaded libtorch is not a ROCm (HIP) build");
        }
        if (!deviceVisible) {
            return Availability.no("libtorch is a ROCm build but sees no AMD GPU");
        }
        return Availability.yes(devices + " ROCm device(s)");
    }

    @Override
    public Device device() {
        return new Device("cuda:0");
    }

    @Override
    public int priority() {
        return 100;
    }

    @Override
    public List<String> attentionPreference() {
        return List.of("sdpa");
    }

    /** Off on ROCm: no runtime-compiled kernels. */
    @Override
    public boolean nativeCompile() {
        return false;
    }

    @Override
    public boolean graphCapture() {
        return false;
    }
}
