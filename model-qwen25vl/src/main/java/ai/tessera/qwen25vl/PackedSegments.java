package ai.tessera.qwen25vl;

import java.util.Arrays;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Packed sequences that attend only within themselves (the windows, or the frames, of the vision tower) laid out as
 * one padded batch {@code [segments, longest]}, so that a single attention call serves them all: a gather index from
 * the packed tokens into the padded batch, a key mask over the padding, and the index back. When every segment has
 * the same length the batch is the packed tokens themselves and needs neither index nor mask.
 */
final class PackedSegments {
    private final int segments;
    private final int longest;
    private final Tensor gather;
    private final Tensor scatter;
    private final Tensor keyMask;

    private PackedSegments(int segments, int longest, Tensor gather, Tensor scatter, Tensor keyMask) {
        this.segments = segments;
        this.longest = longest;
        this.gather = gather;
        this.scatter = scatter;
        this.keyMask = keyMask;
    }

    /** @param cuSeqlens cumulative lengths, starting at 0 and ending at the number of packed tokens */
    static PackedSegments of(int[] cuSeqlens, Device device) {
        int segments = cuSeqlens.length - 1;
        int longest = 0;
        boolean uniform = true;
        for (int s = 0; s < segments; s++) {
            int length = cuSeqlens[s + 1] - cuSeqlens[s];
            if (length <= 0) {
                throw new IllegalArgumentException("segment " + s + " is empty in " + Arrays.toString(cuSeqlens));
            }
            uniform &= s == 0 || length == longest;
            longest = Math.max(longest, length);
        }
        if (uniform) {
            return new PackedSegments(segments, longest, null, null, null);
        }
        int tokens = cuSeqlens[segments];
        long[] gather = new long[segments * longest];
        long[] scatter = new long[tokens];
        long[] lengths = new long[segments];
        for (int s = 0; s < segments; s++) {
            int start = cuSeqlens[s];
            int length = cuSeqlens[s + 1] - start;
            lengths[s] = length;
            for (int p = 0; p < longest; p++) {
                int slot = s * longest + p;
                // padding reads the segment's first token; the mask hides it as a key, and its query rows are dropped
                gather[slot] = p < length ? start + p : start;
                if (p < length) {
                    scatter[start + p] = slot;
                }
            }
        }
        Tensor slots = torch.arange(new Scalar((long) longest)).unsqueeze(0);
        Tensor mask = slots.lt(torch.tensor(lengths).unsqueeze(1)).to(device, ScalarType.Bool).view(segments, 1, 1, longest);
        return new PackedSegments(segments, longest, torch.tensor(gather).to(device, ScalarType.Long),
                torch.tensor(scatter).to(device, ScalarType.Long), mask);
    }

    /** {@code packed [tokens, heads, headDim]} → {@code [segments, heads, longest, headDim]}. */
    Tensor pad(Tensor packed) {
        Tensor rows = gather == null ? packed : packed.index_select(0, gather);
        return rows.view(segments, longest, packed.size(1), packed.size(2)).transpose(1, 2);
    }

    /** {@code padded [segments, heads, longest, headDim]} → {@code [tokens, heads * headDim]}. */
    Tensor unpad(Tensor padded) {
        Tensor rows = padded.transpose(1, 2).reshape(segments * (long) longest, padded.size(1) * padded.size(3));
        return scatter == null ? rows : rows.index_select(0, scatter);
    }

    /** bool {@code [segments, 1, 1, longest]}, true where a key is a real token; {@code null} when none is padding. */
    Tensor keyMask() {
        return keyMask;
    }

}
