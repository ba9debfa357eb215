package ai.tessera.nn;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * The cosines and sines of one step's token positions, {@code [tokens, rotaryDim]} each, already multiplied by the
 * RoPE attention scaling; computed once per step and applied to the queries and keys of every layer.
 */
public record CosSin(Tensor cos, Tensor sin) {

    /**
     * Rotates the first {@code rotaryDim} channels of each head in the rotate-half layout (transformers'
     * {@code apply_rotary_pos_emb}: {@code x * cos + rotate_half(x) * sin}); the rest pass through (partial rotary).
     *
     * @param x {@code [tokens, heads, headDim]}
     */
    public Tensor apply(Tensor x) {
        long rotaryDim = cos.size(1);
        long headDim = x.size(2);
        if (rotaryDim > headDim || rotaryDim % 2 != 0) {
            throw new IllegalArgumentException("cannot rotate " + rotaryDim + " channels of heads of " + headDim);
        }
        Tensor c = cos.unsqueeze(1);
        Tensor s = sin.unsqueeze(1);
        Tensor rot = rotaryDim == headDim ? x : x.narrow(2, 0, rotaryDim);
        Tensor rotated = rot.mul(c).add(rotateHalf(rot).mul(s));
        if (rotaryDim == headDim) {
            return rotated;
        }
        return torch.cat(new TensorVector(rotated, x.narrow(2, rotaryDim, headDim - rotaryDim)), 2);
    }

    /** {@code [x1, x2]} → {@code [-x2, x1]} over the last dimension. */
    static Tensor rotateHalf(Tensor x) {
        long last = x.dim() - 1;
        long half = x.size(last) / 2;
        return torch.cat(new TensorVector(x.narrow(last, half, half).neg(), x.narrow(last, 0, half)), last);
    }
}
