package ai.tessera.core.kv;

import java.util.List;

import ai.tessera.api.AttentionMetadata;
import ai.tessera.api.ForwardBatch;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * A batch of one sequence whose whole prompt is computed in one step, in blocks {@code 0, 1, ...} of the cache:
 * for smoke tests and reference checks that run without the scheduler.
 */
public final class SingleSequence {
    private SingleSequence() {
    }

    /** The prefill step of {@code ids}, asking for the logits of every token. */
    public static ForwardBatch prefill(long[] ids, PagedKvCache cache, Device device) {
        int blockSize = cache.blockSize();
        int blocks = (ids.length + blockSize - 1) / blockSize;
        if (blocks > cache.numBlocks()) {
            throw new IllegalArgumentException(ids.length + " tokens need " + blocks + " cache blocks but the cache has "
                    + cache.numBlocks());
        }
        long[] table = new long[blocks];
        for (int b = 0; b < blocks; b++) {
            table[b] = b;
        }
        AttentionMetadata.Sequence seq = new AttentionMetadata.Sequence(0, ids.length, ids.length, table);
        TensorOptions longs = new TensorOptions(ScalarType.Long);
        Tensor slots = torch.tensor(seq.contextSlots(blockSize)).to(device, ScalarType.Long);
        Tensor input = torch.tensor(ids).to(device, ScalarType.Long);
        Tensor positions = torch.arange(new Scalar((long) ids.length), longs).to(device, ScalarType.Long);
        return new ForwardBatch(input, positions, new AttentionMetadata(slots, List.of(seq), blockSize), cache, null);
    }
}
