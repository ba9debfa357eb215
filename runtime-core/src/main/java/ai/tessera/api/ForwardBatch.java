package ai.tessera.api;

import org.bytedeco.pytorch.Tensor;

/**
 * The tokens of one step: {@code inputIds} and {@code positions} are 1-D int64 tensors of the same length
 * (sequences packed one after another); {@code sequenceLengths} gives each sequence's token count in that
 * packing. The engine issue extends this with KV-cache block tables.
 */
public record ForwardBatch(Tensor inputIds, Tensor positions, long[] sequenceLengths) {
    public ForwardBatch {
        if (inputIds.dim() != 1 || positions.dim() != 1 || inputIds.size(0) != positions.size(0)) {
            throw new IllegalArgumentException("inputIds and positions must be 1-D of equal length, got "
                    + inputIds.dim() + "-D of " + inputIds.size(0) + " and " + positions.dim() + "-D of "
                    + positions.size(0));
        }
        long total = 0;
        for (long n : sequenceLengths) {
            total += n;
        }
        if (total != inputIds.size(0)) {
            throw new IllegalArgumentException("sequenceLengths add up to " + total + " but the batch has "
                    + inputIds.size(0) + " tokens");
        }
        sequenceLengths = sequenceLengths.clone();
    }

    @Override
    public long[] sequenceLengths() {
        return sequenceLengths.clone();
    }
}
