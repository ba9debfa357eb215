package ai.tessera.core.engine;

import java.util.Locale;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.global.torch;

/** Telling a device's out-of-memory error apart from other failures of a step, and recovering from it. */
final class DeviceMemory {
    private DeviceMemory() {
    }

    /**
     * Whether {@code e} or a cause is libtorch's out-of-memory error: "CUDA out of memory. Tried to allocate ..."
     * (c10::OutOfMemoryError, which the presets hand over as a RuntimeException with its text), HIP's the same.
     */
    static boolean isOutOfMemory(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
            String message = c.getMessage();
            if (message != null && message.toLowerCase(Locale.ROOT).contains("out of memory")) {
                return true;
            }
        }
        return false;
    }

    /** The error's first line: libtorch appends a native stack trace, which no user should see. */
    static String firstLine(Throwable e) {
        String message = String.valueOf(e.getMessage()).strip();
        int end = message.indexOf('\n');
        return end < 0 ? message : message.substring(0, end).strip();
    }

    /** Gives the caching allocator's unused blocks back to the device, so that the next steps start clean. */
    static void releaseCached(Device device) {
        if (device.is_cuda()) {
            torch.emptyCache();
        }
    }
}
