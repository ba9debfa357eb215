package ai.tessera.core.platform;

import java.util.List;

import ai.tessera.api.Platform;
import org.bytedeco.pytorch.Device;
import org.osgi.service.component.annotations.Component;

/** The CPU, always available, so that a bare container can run models. */
@Component(service = Platform.class, property = Platform.PROPERTY + "=cpu")
public class CpuPlatform implements Platform {

    @Override
    public Availability availability() {
        return Availability.yes(Runtime.getRuntime().availableProcessors() + " cores");
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
        return false;
    }

    @Override
    public boolean graphCapture() {
        return false;
    }
}
