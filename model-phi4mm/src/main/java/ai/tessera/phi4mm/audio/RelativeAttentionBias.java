package ai.tessera.phi4mm.audio;

import ai.tessera.api.ModelLoadException;
import ai.tessera.api.WeightSource;
import ai.tessera.nn.WeightPrefix;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * T5-style relative attention bias ({@code encoder.relative_attention_bias_layer}): one learned logit per head and
 * relative distance {@code key - query}, clipped to {@code [-max_distance, max_distance - 1]}; the bucket is the
 * distance shifted by {@code max_distance} (or its absolute value when symmetric).
 */
final class RelativeAttentionBias implements AutoCloseable {
    private final Tensor values;
    private final int maxDistance;
    private final boolean symmetric;

    private RelativeAttentionBias(Tensor values, int maxDistance, boolean symmetric) {
        this.values = values;
        this.maxDistance = maxDistance;
        this.symmetric = symmetric;
        values.retainReference();
    }

    static RelativeAttentionBias load(WeightSource weights, WeightPrefix prefix, Phi4MMAudioConfig config)
            throws ModelLoadException {
        int buckets = config.biasSymmetric() ? config.biasMaxDistance() : 2 * config.biasMaxDistance();
        return new RelativeAttentionBias(weights.load(prefix.child("bias_values").tensor("weight"), buckets,
                config.attentionHeads()), config.biasMaxDistance(), config.biasSymmetric());
    }

    /** The bias for {@code length} positions: {@code [1, heads, length, length]}. */
    Tensor forward(long length) {
        Tensor positions = torch.arange(new Scalar(length), new TensorOptions(ScalarType.Long));
        Tensor relative = positions.unsqueeze(0).sub(positions.unsqueeze(1)); // [query, key] = key - query
        relative = torch.clamp(relative, new ScalarOptional(new Scalar((long) -maxDistance)),
                new ScalarOptional(new Scalar((long) maxDistance - 1)));
        Tensor bucket = symmetric ? relative.abs() : relative.add(new Scalar((long) maxDistance));
        return torch.embedding(values, bucket.to(values.device(), ScalarType.Long)).permute(2, 0, 1).unsqueeze(0);
    }

    @Override
    public void close() {
        values.releaseReference();
    }
}
