package ai.tessera.qwen25vl;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.Linear;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Several checkpoint projections of the same input run as one matmul: their weights (and biases) stacked along the
 * output dimension, in the order given, so that the output holds each projection's columns one after the other
 * (q|k|v, gate|up), as vLLM's merged linear layers do.
 */
final class StackedLinear {
    /** One projection: where its weights are and how many outputs it has. */
    record Part(WeightPrefix prefix, long outFeatures) {
    }

    private StackedLinear() {
    }

    static Linear load(WeightSource weights, long inFeatures, boolean withBias, Part... parts)
            throws ModelLoadException {
        // The parts are freed as soon as they are stacked (not when the garbage collector gets to them): on a GPU
        // they are as large as the layer itself. The Linear holds its own reference to the stacked tensors.
        try (PointerScope scope = new PointerScope()) {
            TensorVector stackedWeights = new TensorVector();
            TensorVector stackedBiases = new TensorVector();
            for (Part part : parts) {
                stackedWeights.push_back(weights.load(part.prefix().tensor("weight"), part.outFeatures(), inFeatures));
                if (withBias) {
                    stackedBiases.push_back(weights.load(part.prefix().tensor("bias"), part.outFeatures()));
                }
            }
            Tensor weight = torch.cat(stackedWeights, 0);
            Tensor bias = withBias ? torch.cat(stackedBiases, 0) : null;
            return new Linear(weight, bias);
        }
    }
}
