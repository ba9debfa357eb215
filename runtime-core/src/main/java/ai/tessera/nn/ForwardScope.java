package ai.tessera.nn;

import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;

/**
 * Frees the temporary tensors of one forward pass when closed, and hands its result over to the caller's scope.
 * Without it every step's intermediate tensors would wait for the garbage collector and native memory would grow
 * step after step.
 *
 * <pre>{@code
 * try (ForwardScope scope = new ForwardScope()) {
 *     ...
 *     return scope.keep(logits);
 * }
 * }</pre>
 */
public final class ForwardScope implements AutoCloseable {
    private final PointerScope outer = PointerScope.getInnerScope();
    private final PointerScope scope = new PointerScope();

    /**
     * Keeps {@code result} alive past {@link #close()}: it joins the scope the caller has open, or, when there is
     * none, keeps one reference that the caller's {@code close()} (or the garbage collector) gives back.
     */
    public <T extends Pointer> T keep(T result) {
        if (outer != null) {
            outer.attach(result);
        } else {
            result.retainReference();
        }
        return result;
    }

    @Override
    public void close() {
        scope.close();
    }
}
