package ai.tessera.core.engine;

import java.util.ArrayList;
import java.util.List;

import ai.tessera.api.AttentionMetadata;
import ai.tessera.api.ForwardBatch;
import ai.tessera.api.KvCache;
import ai.tessera.api.MultimodalEmbeddings;
import ai.tessera.api.MultimodalItem;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Packs a scheduled step into the model's input: token ids and positions sequence after sequence, the cache
 * slot of each token, each sequence's query range, context length and block table, and the indices of the
 * tokens whose logits are sampled (each sequence's last token, except for a partial prefill chunk); for
 * requests with media, the rows of their encoder outputs that this step's tokens take, and each sequence's adapter.
 */
final class BatchBuilder {
    private BatchBuilder() {
    }

    /** The packed batch and which requests its logits rows belong to, in row order. */
    record Packed(ForwardBatch batch, List<RequestState> sampled) {
    }

    static Packed build(ScheduledStep step, KvCache cache, Device device, int positionSections) {
        int blockSize = cache.blockSize();
        int total = step.totalTokens();
        long[] ids = new long[total];
        long[] positions = new long[total * positionSections];
        List<Tensor> mediaRows = new ArrayList<>();
        List<Long> mediaIndices = new ArrayList<>();
        long[] slots = new long[total];
        List<AttentionMetadata.Sequence> sequences = new ArrayList<>();
        List<Long> logitRows = new ArrayList<>();
        List<RequestState> sampled = new ArrayList<>();
        List<String> adapters = new ArrayList<>();
        boolean anyAdapter = false;
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
                for (int section = 0; section < positionSections; section++) {
                    positions[section * total + t] = r.position(section, p);
                }
                slots[t] = table[p / blockSize] * blockSize + p % blockSize;
            }
            addMediaRows(r, r.numComputed, e.numNewTokens(), start, mediaRows, mediaIndices);
            sequences.add(new AttentionMetadata.Sequence(start, e.numNewTokens(), r.numComputed + e.numNewTokens(),
                    table, r.numTokens()));
            String adapter = r.adapter();
            adapters.add(adapter);
            anyAdapter |= adapter != null;
            if (e.samples()) {
                logitRows.add((long) t - 1);
                sampled.add(r);
            }
        }
        long[] rows = logitRows.stream().mapToLong(Long::longValue).toArray();
        AttentionMetadata metadata = new AttentionMetadata(toDevice(slots, device), sequences, blockSize);
        Tensor positionTensor = toDevice(positions, device);
        if (positionSections > 1) {
            positionTensor = positionTensor.view(positionSections, total);
        }
        MultimodalEmbeddings media = mediaRows.isEmpty() ? null : new MultimodalEmbeddings(
                torch.cat(new org.bytedeco.pytorch.TensorVector(mediaRows.toArray(new Tensor[0]))),
                toDevice(mediaIndices.stream().mapToLong(Long::longValue).toArray(), device));
        ForwardBatch batch = new ForwardBatch(toDevice(ids, device), positionTensor, metadata, cache,
                toDevice(rows, device), media, anyAdapter ? adapters : null);
        return new Packed(batch, sampled);
    }

    /** The encoder-output rows for tokens {@code [from, from + count)} of {@code r}, packed from index {@code packedStart}. */
    private static void addMediaRows(RequestState r, int from, int count, int packedStart, List<Tensor> rows,
                                     List<Long> indices) {
        if (!r.overlapsMedia(from, count)) {
            return;
        }
        List<MultimodalItem> items = r.multimodal.items();
        for (int i = 0; i < items.size(); i++) {
            MultimodalItem item = items.get(i);
            int lo = Math.max(item.offset(), from);
            int hi = Math.min(item.offset() + item.length(), from + count);
            if (lo >= hi) {
                continue;
            }
            rows.add(r.mmEmbeddings.get(i).narrow(0, lo - item.offset(), hi - lo));
            for (int p = lo; p < hi; p++) {
                indices.add((long) packedStart + p - from);
            }
        }
    }

    static Tensor toDevice(long[] values, Device device) {
        Tensor cpu = torch.tensor(values, new TensorOptions(ScalarType.Long));
        return device.is_cpu() ? cpu : cpu.to(device, ScalarType.Long);
    }
}
