package ai.tessera.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The comparisons every model family's parity tests make against transformers' recorded outputs, with the team's
 * bound: max |Δlogit| ≤ {@value #TOLERANCE} in float32.
 */
public final class Parity {
    public static final double TOLERANCE = 1e-4;

    private Parity() {
    }

    /**
     * Max |Δ| over the vocabulary subset and at transformers' top-5 ids (values at ids rather than the ids
     * themselves, so that near-ties cannot flip the comparison); fails above the tolerance.
     */
    public static double compare(String where, float[] logits, int[] subset, float[] expectedSubset, int[] top5Ids,
                                 float[] top5Values) {
        return compare(where, logits, subset, expectedSubset, top5Ids, top5Values, TOLERANCE);
    }

    /** {@link #compare} with a wider bound, for a test that documents why the team's bound cannot hold there. */
    public static double compare(String where, float[] logits, int[] subset, float[] expectedSubset, int[] top5Ids,
                                 float[] top5Values, double tolerance) {
        double max = 0;
        for (int j = 0; j < expectedSubset.length; j++) {
            max = Math.max(max, Math.abs(logits[subset[j]] - expectedSubset[j]));
        }
        for (int j = 0; j < top5Ids.length; j++) {
            max = Math.max(max, Math.abs(logits[top5Ids[j]] - top5Values[j]));
        }
        assertTrue(max <= tolerance, where + ": max |Δlogit| " + max + " exceeds " + tolerance);
        return max;
    }

    /** Max |Δ| over the whole vocabulary; fails above the tolerance. */
    public static double compareAll(String where, float[] logits, float[] expected) {
        assertEquals(expected.length, logits.length, where + ": vocabulary size");
        double max = 0;
        for (int v = 0; v < expected.length; v++) {
            max = Math.max(max, Math.abs(logits[v] - expected[v]));
        }
        assertTrue(max <= TOLERANCE, where + ": max |Δlogit| over the whole vocabulary " + max + " exceeds "
                + TOLERANCE);
        return max;
    }

    /** The first index of the maximum, as torch.argmax picks. */
    public static long argmax(float[] logits) {
        int best = 0;
        for (int v = 1; v < logits.length; v++) {
            if (logits[v] > logits[best]) {
                best = v;
            }
        }
        return best;
    }

    /** {@code tokens} with {@code token} appended. */
    public static long[] append(long[] tokens, long token) {
        long[] out = Arrays.copyOf(tokens, tokens.length + 1);
        out[tokens.length] = token;
        return out;
    }

    /** An int64 tensor of the values. */
    public static Tensor longTensor(List<Long> values) {
        return org.bytedeco.pytorch.global.torch.tensor(values.stream().mapToLong(Long::longValue).toArray());
    }

    /** The rows of a matrix as float32. */
    public static float[][] rows(Tensor matrix) {
        float[][] rows = new float[(int) matrix.size(0)][];
        for (int r = 0; r < rows.length; r++) {
            rows[r] = values(matrix.select(0, r));
        }
        return rows;
    }

    /** Max |Δ| between two matrices of the same shape (hidden states, features); fails above the tolerance. */
    public static double compareRows(String where, float[][] actual, float[][] expected) {
        assertEquals(expected.length, actual.length, where + ": rows");
        double max = 0;
        for (int r = 0; r < expected.length; r++) {
            assertEquals(expected[r].length, actual[r].length, where + ": columns");
            for (int c = 0; c < expected[r].length; c++) {
                max = Math.max(max, Math.abs(actual[r][c] - expected[r][c]));
            }
        }
        assertTrue(max <= TOLERANCE, where + ": max |Δ| " + max + " exceeds " + TOLERANCE);
        return max;
    }

    /** The values of a tensor as float32, flattened. */
    public static float[] values(Tensor tensor) {
        Tensor flat = tensor.contiguous().view(-1).to(ScalarType.Float);
        float[] out = new float[(int) flat.numel()];
        flat.data_ptr_float().get(out);
        return out;
    }
}
