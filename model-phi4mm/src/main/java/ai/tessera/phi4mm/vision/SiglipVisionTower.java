package ai.tessera.phi4mm.vision;

import java.util.ArrayList;
import java.util.List;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The SigLIP tower ({@code img_processor}) up to the layer the model reads ({@code hidden_states[feature_layer]},
 * so no post-layernorm); the later layers and the pooling head are not loaded, as in vLLM.
 */
final class SiglipVisionTower implements AutoCloseable {
    private final SiglipVisionEmbeddings embeddings;
    private final List<SiglipEncoderLayer> layers;

    private SiglipVisionTower(SiglipVisionEmbeddings embeddings, List<SiglipEncoderLayer> layers) {
        this.embeddings = embeddings;
        this.layers = List.copyOf(layers);
    }

    static SiglipVisionTower load(WeightSource weights, WeightPrefix prefix, SiglipVisionConfig config)
            throws ModelLoadException {
        SiglipVisionEmbeddings embeddings = SiglipVisionEmbeddings.load(weights, prefix.child("embeddings"), config);
        List<SiglipEncoderLayer> layers = new ArrayList<>();
        try {
            for (int i = 0; i < config.layersUsed(); i++) {
                layers.add(SiglipEncoderLayer.load(weights, prefix.child("encoder").child("layers").child(i),
                        config));
            }
        } catch (ModelLoadException | RuntimeException e) {
            embeddings.close();
            layers.forEach(SiglipEncoderLayer::close);
            throw e;
        }
        return new SiglipVisionTower(embeddings, layers);
    }

    /**
     * @param pixels {@code [crops, 3, size, size]} on the device
     * @param masks  {@code [crops, side, side]} on the CPU
     * @return {@code [crops, side², hidden]}
     */
    Tensor forward(Tensor pixels, Tensor masks, Device device) {
        Tensor hidden = embeddings.forward(pixels, masks, device);
        Tensor flat = masks.reshape(masks.size(0), -1).to(ScalarType.Bool);
        Tensor keyMask = null;
        if (flat.logical_not().any().item_bool()) {
            keyMask = flat.view(masks.size(0), 1, 1, -1);
            keyMask = device.is_cpu() ? keyMask : keyMask.to(device, ScalarType.Bool);
        }
        for (SiglipEncoderLayer layer : layers) {
            hidden = layer.forward(hidden, keyMask);
        }
        return hidden;
    }

    @Override
    public void close() {
        embeddings.close();
        layers.forEach(SiglipEncoderLayer::close);
    }
}
