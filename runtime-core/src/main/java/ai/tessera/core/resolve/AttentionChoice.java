package ai.tessera.core.resolve;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import ai.tessera.api.AttentionBackend;
import ai.tessera.api.AttentionLayerSpec;
import ai.tessera.api.ModelLoadException;
import ai.tessera.api.Platform;

/**
 * One attention backend for all the layers of a model ({@link ai.tessera.api.ModelContext#attentionForAll}): the
 * first candidate, in the platform's order of preference or the one {@code --attention-backend} names, that can
 * run every layer. Kept apart from the registry so that the choice and its messages can be tested without a
 * container.
 */
public final class AttentionChoice {
    private AttentionChoice() {
    }

    /** The registered backends, by name. */
    public interface Backends {
        Optional<AttentionBackend> find(String name);

        List<String> names();
    }

    /**
     * @param layers the spec of each decoder layer, by layer number
     * @param forced the name {@code --attention-backend} gave, or {@code null} for the platform's preference
     * @throws ModelLoadException naming, for each candidate, why it cannot be used: not registered, or the first layer
     *                            it cannot run with that layer's head size and the backend's own reason
     */
    public static AttentionBackend forAllLayers(List<AttentionLayerSpec> layers, Platform platform, String forced,
                                                Backends backends) throws ModelLoadException {
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("a model needs at least one attention layer");
        }
        List<String> candidates = forced != null ? List.of(forced) : platform.attentionPreference();
        List<String> refusals = new ArrayList<>();
        for (String name : candidates) {
            Optional<AttentionBackend> backend = backends.find(name);
            if (backend.isEmpty()) {
                refusals.add(name + " is not registered");
                continue;
            }
            String refusal = firstRefusal(name, backend.get(), layers, platform);
            if (refusal == null) {
                return backend.get();
            }
            refusals.add(refusal);
        }
        if (forced != null) {
            throw new ModelLoadException("--attention-backend " + refusals.get(0) + ". Registered attention backends: "
                    + backends.names());
        }
        throw new ModelLoadException("No attention backend can run every layer of this model on this platform ("
                + String.join("; ", refusals) + "). Registered attention backends: " + backends.names());
    }

    private static String firstRefusal(String name, AttentionBackend backend, List<AttentionLayerSpec> layers,
                                       Platform platform) {
        for (int i = 0; i < layers.size(); i++) {
            String why = backend.unsupportedReason(layers.get(i), platform);
            if (why != null) {
                return name + " cannot run layer " + i + " (" + describe(layers.get(i)) + "): " + why;
            }
        }
        return null;
    }

    /** {@code head_dim 512, 8 query / 2 key-value heads, sliding window 1024}, for messages. */
    public static String describe(AttentionLayerSpec spec) {
        return "head_dim " + spec.headDim() + ", " + spec.numHeads() + " query / " + spec.numKvHeads()
                + " key-value heads, " + (spec.slidingWindow().isPresent()
                ? "sliding window " + spec.slidingWindow().getAsInt() : "full attention")
                + (spec.logitSoftCap().isPresent() ? ", soft-cap " + spec.logitSoftCap().getAsDouble() : "");
    }
}
