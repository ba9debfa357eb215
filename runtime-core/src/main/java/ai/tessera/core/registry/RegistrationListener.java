package ai.tessera.core.registry;

/**
 * Told of single registrations as they come and go, on the thread that registers or unregisters them (for a
 * bundle being stopped or updated, the thread stopping it).
 */
public interface RegistrationListener {
    /** A registration was indexed and can be resolved now. */
    default void added(Registration registration) {
    }

    /**
     * A registration is going away: it no longer resolves, but its service is still valid and its bundle's classes
     * still load, and the bundle stops only once every listener has returned. A listener may block here for a bounded
     * time to let work that runs the bundle's code finish (a served model draining its requests).
     */
    default void removing(Registration registration) {
    }
}
