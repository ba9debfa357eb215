package ai.tessera.core.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

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
        return build(step, cache, device, positionSections, modality -> false, true);
    }

    static Packed build(ScheduledStep step, KvCache cache, Device device, int positionSections,
                        Predicate<String> bidirectional) {
        return build(step, cache, device, positionSections, bidirectional, true);
    }

    /**
     * @param bidirectional    the modalities whose items' tokens attend to each other both ways: each such item that
     *                         this step's queries reach is given as a span of its sequence
     * @param withDecodeTables whether decode steps carry their tables on the device (see {@link #decodeTables})
     */
    static Packed build(ScheduledStep step, KvCache cache, Device device, int positionSections,
                        Predicate<String> bidirectional, boolean withDecodeTables) {
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
                    table, r.numTokens(), spans(r, r.numComputed, e.numNewTokens(), bidirectional)));
            String adapter = r.adapter();
            adapters.add(adapter);
            anyAdapter |= adapter != null;
            if (e.samples()) {
                logitRows.add((long) t - 1);
                sampled.add(r);
            }
        }
        long[] rows = logitRows.stream().mapToLong(Long::longValue).toArray();
        AttentionMetadata metadata = metadata(toDevice(slots, device), sequences, blockSize, device, withDecodeTables);
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

    /**
     * The metadata of a step, with device-side tables for its decode rows when asked: all of them in a decode
     * step, the leading ones in a mixed step (see {@link AttentionMetadata#leadingDecodes()}).
     */
    static AttentionMetadata metadata(Tensor slots, List<AttentionMetadata.Sequence> sequences, int blockSize,
                                      Device device, boolean withDecodeTables) {
        if (!withDecodeTables) {
            return new AttentionMetadata(slots, sequences, blockSize);
        }
        int decodes = AttentionMetadata.leadingDecodes(sequences);
        if (decodes == sequences.size()) {
            return new AttentionMetadata(slots, sequences, blockSize,
                    AttentionMetadata.DecodeTables.of(sequences, device), null);
        }
        return new AttentionMetadata(slots, sequences, blockSize, null, decodes == 0 ? null
                : AttentionMetadata.DecodeTables.of(sequences.subList(0, decodes), device));
    }

    /** The bidirectional items that tokens {@code [from, from + count)} of {@code r} query, as spans. */
    private static List<AttentionMetadata.Span> spans(RequestState r, int from, int count,
                                                      Predicate<String> bidirectional) {
        if (!r.overlapsMedia(from, count)) {
            return List.of();
        }
        List<AttentionMetadata.Span> spans = new ArrayList<>();
        for (MultimodalItem item : r.multimodal.items()) {
            int end = item.offset() + item.length();
            if (item.offset() < from + count && end > from && bidirectional.test(item.modality())) {
                if (end > from + count) {
                    throw new IllegalStateException("request " + r.id + ": a " + item.modality() + " item at "
                            + item.offset() + ".." + end + " was split by a chunk ending at " + (from + count)
                            + "; the scheduler keeps such items whole");
                }
                spans.add(new AttentionMetadata.Span(item.offset(), end));
            }
        }
        return spans;
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
