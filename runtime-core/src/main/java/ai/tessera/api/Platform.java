package ai.tessera.api;

import java.util.List;

import org.bytedeco.pytorch.Device;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A compute platform, registered with {@link #PROPERTY} ({@code cpu}, {@code cuda}, {@code rocm}). The
 * container uses the first available one in {@link #priority()} order unless {@code --device} names one.
 */
@ConsumerType
public interface Platform {
    String PROPERTY = "tessera.platform";

    /** Whether this platform can run here now; when not, the reason says why (shown by {@code tessera plugins}). */
    Availability availability();

    /** The libtorch device models should allocate on. */
    Device device();

    /** Higher wins when several platforms are available (cpu 0, accelerators above). */
    int priority();

    /** Attention backend names in order of preference. */
    List<String> attentionPreference();

    /**
     * Whether runtime-compiled (fused) native kernels may be used. Off on ROCm: there models get plain-op
     * versions of every fused op.
     */
    boolean nativeCompile();

    /** Whether decode steps may be captured as CUDA graphs. */
    boolean graphCapture();

    /** Availability and, when unavailable, why. */
    record Availability(boolean available, String reason) {
        public static Availability yes(String detail) {
            return new Availability(true, detail);
        }

        public static Availability no(String reason) {
            return new Availability(false, reason);
        }
    }
}
