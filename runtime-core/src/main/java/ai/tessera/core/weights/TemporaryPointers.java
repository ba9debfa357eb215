package ai.tessera.core.weights;

import java.util.ArrayDeque;
import java.util.Deque;

import org.bytedeco.javacpp.Pointer;

/**
 * Native objects made while building one tensor, closed together in reverse order. Used instead of a
 * {@link org.bytedeco.javacpp.PointerScope} so that the returned tensor stays in whatever scope the caller has open.
 */
final class TemporaryPointers implements AutoCloseable {
    private final Deque<Pointer> pointers = new ArrayDeque<>();

    <T extends Pointer> T add(T pointer) {
        pointers.push(pointer);
        return pointer;
    }

    @Override
    public void close() {
        while (!pointers.isEmpty()) {
            pointers.pop().close();
        }
    }
}
