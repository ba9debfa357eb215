package ai.tessera.core.weights;

import java.util.List;
import java.util.function.Predicate;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;

/**
 * The weights of one model load, as the container holds them: besides serving tensors it can say which
 * checkpoint tensors the architecture never asked for, and it releases its files when closed.
 */
public interface ModelWeights extends WeightSource, AutoCloseable {
    /** How many names {@link #checkAllUsed} lists before it only counts. */
    int LISTED_UNUSED = 20;

    /** Tensors of the checkpoint that were never loaded and that {@code ignored} does not match, sorted. */
    List<String> unusedTensors(Predicate<String> ignored);

    /**
     * Fails when the checkpoint holds tensors the architecture never loaded (and does not declare as ignored):
     * they usually mean a renamed layer or a config that does not match the weights.
     *
     * @throws ModelLoadException listing the unexpected tensor names
     */
    default void checkAllUsed(Predicate<String> ignored) throws ModelLoadException {
        List<String> unused = unusedTensors(ignored);
        if (!unused.isEmpty()) {
            List<String> listed = unused.subList(0, Math.min(LISTED_UNUSED, unused.size()));
            throw new ModelLoadException(unused.size() + " tensor(s) of the checkpoint were never loaded by the"
                    + " architecture: " + String.join(", ", listed)
                    + (unused.size() > listed.size() ? " and " + (unused.size() - listed.size()) + " more" : "")
                    + "; the architecture must load them or list them as ignored");
        }
    }

    /** Releases files and mappings; tensors already loaded stay valid. */
    @Override
    void close();
}
