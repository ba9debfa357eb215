package ai.tessera.gemma4;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.Linear;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.T_TensorTensor_T;
import org.bytedeco.pytorch.Tensor;

/**
 * The expert router ({@code Gemma4TextRouter}): reads the residual stream (not the pre-feed-forward-normed input),
 * normalises it without weight, scales it by {@code scale * hidden_size^-0.5}, projects it to one score per expert,
 * takes the softmax over all experts, keeps the top k, renormalises them to sum 1 and multiplies each by its
 * expert's {@code per_expert_scale}.
 */
final class Gemma4Router implements AutoCloseable {
    private final Gemma4RmsNorm norm;
    private final Tensor scale;
    private final Linear proj;
    private final Tensor perExpertScale;
    private final double rootSize;
    private final int topK;

    /** The chosen experts of each token and their weights, both {@code [tokens, k]}. */
    record Routing(Tensor weights, Tensor experts) {
    }

    private Gemma4Router(Gemma4RmsNorm norm, Tensor scale, Linear proj, Tensor perExpertScale, double rootSize,
                         int topK) {
        this.norm = norm;
        this.scale = Held.hold(scale);
        this.proj = proj;
        this.perExpertScale = Held.hold(perExpertScale);
        this.rootSize = rootSize;
        this.topK = topK;
    }

    static Gemma4Router load(WeightSource weights, WeightPrefix prefix, Gemma4TextConfig config, int numExperts,
                             int topK) throws ModelLoadException {
        long hidden = config.hiddenSize();
        Tensor scale = weights.load(prefix.tensor("scale"), hidden);
        Tensor perExpertScale = weights.load(prefix.tensor("per_expert_scale"), numExperts);
        Linear proj = Linear.load(weights, prefix.child("proj"), hidden, numExperts, false);
        return new Gemma4Router(Gemma4RmsNorm.withoutScale(config.rmsNormEps()), scale, proj, perExpertScale,
                Math.pow(hidden, -0.5), topK);
    }

    /** {@code residual [tokens, hidden]} → the top-k experts of each token and their weights. */
    Routing route(Tensor residual) {
        Tensor x = norm.forward(residual).mul(scale).mul(new Scalar(rootSize));
        Tensor probabilities = proj.forward(x).softmax(-1);
        T_TensorTensor_T top = probabilities.topk(topK, -1, true, true);
        Tensor weights = top.get0();
        Tensor experts = top.get1();
        weights = weights.div(weights.sum(new long[] {-1}, true, new ScalarTypeOptional()));
        Tensor expertScale = perExpertScale.index_select(0, experts.reshape(-1)).view(experts.size(0), topK);
        return new Routing(weights.mul(expertScale), experts);
    }

    @Override
    public void close() {
        norm.close();
        Held.release(scale);
        proj.close();
        Held.release(perExpertScale);
    }
}
