package ai.tessera.core.engine;

import java.util.ArrayList;
import java.util.List;

import ai.tessera.api.AttentionMetadata;
import ai.tessera.api.ForwardBatch;
import ai.tessera.api.KvCache;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Packs a scheduled step into the model's input: token ids and positions sequence after sequence, the cache
 * slot of each token, each sequence's query range, context length and block table, and the indices of the
 * tokens whose logits are sampled (each sequence's last token, except for a partial prefill chunk).
 */
final class BatchBuilder {
    private BatchBuilder() {
    }

    /** The packed batch and which requests its logits rows belong to, in row order. */
    record Packed(ForwardBatch batch, List<RequestState> sampled) {
    }

    static Packed build(ScheduledStep step, KvCache cache, Device device) {
        int blockSize = cache.blockSize();
        int total = step.totalTokens();
        long[] ids = new long[total];
        long[] positions = new long[total];
        long[] slots = new long[total];
        List<AttentionMetadata.Sequence> sequences = new ArrayList<>();
        List<Long> logitRows = new ArrayList<>();
        List<RequestState> sampled = new ArrayList<>();
        int t = 0;
        for (ScheduledStep.Entry e : step.entries()) {
            RequestState r = e.request();
            int start = t;
            long[] table = new long[r.blocks.size()];
            for (int b = 0; b < table.length; b++) {
                table[b] = r.blocks.get(b).id;
            }
            for (int p = r.numComputed; p < r.numComputed + e.numNewTokens(); p++, t++) {
                ids[t] = r.token(p);
                positions[t] = p;
                slots[t] = table[p / blockSize] * blockSize + p % blockSize;
            }
            sequences.add(new AttentionMetadata.Sequence(start, e.numNewTokens(), r.numComputed + e.numNewTokens(),
                    table, r.numTokens()));
            if (e.samples()) {
                logitRows.add((long) t - 1);
                sampled.add(r);
            }
        }
        long[] rows = logitRows.stream().mapToLong(Long::longValue).toArray();
        AttentionMetadata metadata = new AttentionMetadata(toDevice(slots, device), sequences, blockSize);
        ForwardBatch batch = new ForwardBatch(toDevice(ids, device), toDevice(positions, device), metadata, cache,
                toDevice(rows, device));
        return new Packed(batch, sampled);
    }

    static Tensor toDevice(long[] values, Device device) {
        Tensor cpu = torch.tensor(values, new TensorOptions(ScalarType.Long));
        return device.is_cpu() ? cpu : cpu.to(device, ScalarType.Long);
    }
}
