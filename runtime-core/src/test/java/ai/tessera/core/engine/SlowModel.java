package ai.tessera.core.engine;

import java.util.List;

import ai.tessera.api.AttentionLayerSpec;
import ai.tessera.api.ForwardBatch;
import ai.tessera.api.LoadedModel;
import org.bytedeco.pytorch.Tensor;

/** A model that takes at least {@code millis} per forward pass, so that tests can act while a request runs. */
final class SlowModel implements LoadedModel {
    private final LoadedModel inner;
    private final long millis;

    SlowModel(LoadedModel inner, long millis) {
        this.inner = inner;
        this.millis = millis;
    }

    @Override
    public List<AttentionLayerSpec> attentionLayers() {
        return inner.attentionLayers();
    }

    @Override
    public Tensor forward(ForwardBatch batch) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted in a forward pass", e);
        }
        return inner.forward(batch);
    }

    @Override
    public void close() {
        // the wrapped model belongs to the test
    }
}
