package ai.tessera.core.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import ai.tessera.api.AttentionLayerSpec;
import ai.tessera.api.AttentionMetadata;
import ai.tessera.api.ForwardBatch;
import ai.tessera.api.LoadedModel;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;

/**
 * What a decode step hands the paged kernels: int32 block tables and context lengths on the device (eager steps),
 * and the fixed, padded inputs a CUDA graph replays (graph steps; the capture itself needs a GPU).
 */
class DecodeInputsTest {
    private static final Device CPU = new Device("cpu");

    private static RequestState decoding(String id, int length, int... blockIds) {
        RequestState r = Requests.state(id, length);
        for (int b : blockIds) {
            r.blocks.add(new KvBlock(b));
        }
        r.numComputed = length - 1;
        return r;
    }

    @Test
    void decodeStepsCarryInt32TablesPaddedToTheLongestRow() {
        List<AttentionMetadata.Sequence> sequences = List.of(
                new AttentionMetadata.Sequence(0, 1, 20, new long[] {7, 3}),
                new AttentionMetadata.Sequence(1, 1, 5, new long[] {9}));
        AttentionMetadata.DecodeTables tables = AttentionMetadata.DecodeTables.of(sequences, CPU);
        assertEquals(ScalarType.Int, tables.blockTables().scalar_type().intern());
        assertEquals(ScalarType.Int, tables.contextLengths().scalar_type().intern());
        assertArrayEquals(new long[] {2, 2}, tables.blockTables().shape());
        assertEquals(7, tables.blockTables().get(0).get(0).item_int());
        assertEquals(3, tables.blockTables().get(0).get(1).item_int());
        assertEquals(9, tables.blockTables().get(1).get(0).item_int());
        assertEquals(20, tables.contextLengths().get(0).item_int());
        assertEquals(5, tables.contextLengths().get(1).item_int());
    }

    @Test
    void mixedStepsCarryTablesOfTheirLeadingDecodesOnly() {
        Tensor slots = torch.zeros(7L);
        AttentionMetadata prefillOnly = BatchBuilder.metadata(slots, List.of(
                new AttentionMetadata.Sequence(0, 4, 4, new long[] {9}),
                new AttentionMetadata.Sequence(4, 1, 20, new long[] {7, 3})), 16, CPU, true);
        assertNull(prefillOnly.decode());
        assertNull(prefillOnly.mixedDecode(), "no decode leads the step");
        AttentionMetadata mixed = BatchBuilder.metadata(slots, List.of(
                new AttentionMetadata.Sequence(0, 1, 20, new long[] {7, 3}),
                new AttentionMetadata.Sequence(1, 1, 5, new long[] {9}),
                new AttentionMetadata.Sequence(2, 4, 4, new long[] {4}),
                new AttentionMetadata.Sequence(6, 1, 17, new long[] {5, 6})), 16, CPU, true);
        assertNull(mixed.decode());
        assertEquals(2, mixed.leadingDecodes());
        assertArrayEquals(new long[] {2, 2}, mixed.mixedDecode().blockTables().shape());
        assertEquals(5, mixed.mixedDecode().contextLengths().get(1).item_int());
        AttentionMetadata rest = mixed.from(2);
        assertEquals(List.of(0, 4), rest.sequences().stream().map(AttentionMetadata.Sequence::queryStart).toList());
        assertEquals(5, rest.slotMapping().size(0));
        assertNull(BatchBuilder.metadata(slots, mixed.sequences(), 16, CPU, false).mixedDecode());
        assertThrows(IllegalArgumentException.class, () -> AttentionMetadata.DecodeTables.of(
                prefillOnly.sequences(), CPU));
    }

    @Test
    void theEngineBuildsThemForDecodeSteps() {
        RequestState a = decoding("a", 20, 7, 3);
        RequestState b = decoding("b", 5, 9);
        ScheduledStep step = new ScheduledStep(List.of(new ScheduledStep.Entry(a, 1), new ScheduledStep.Entry(b, 1)),
                List.of());
        ForwardBatch batch = BatchBuilder.build(step, new ai.tessera.api.KvCache() {
            public int blockSize() { return 16; }
            public int layers() { return 0; }
            public Layer layer(int index) { throw new IndexOutOfBoundsException(index); }
        }, CPU, 1).batch();
        Tensor lengths = batch.attention().decode().contextLengths();
        assertEquals(20, lengths.get(0).item_int());
        assertEquals(5, lengths.get(1).item_int());
    }

    private static LoadedModel model(int sections, int recomputeBeyond) {
        return new LoadedModel() {
            public List<AttentionLayerSpec> attentionLayers() { return List.of(); }
            public Tensor forward(ForwardBatch batch) { throw new UnsupportedOperationException(); }
            public int recomputeBeyond() { return recomputeBeyond; }
            public int positionSections() { return sections; }
            public void close() { }
        };
    }

    @Test
    void graphInputsPadRowsIntoTheSpareBlockWithNoContext() {
        // block size 4, spare block 50, at most 3 blocks a sequence, M-RoPE with 3 sections
        DecodeGraphs graphs = new DecodeGraphs(model(3, 0), 4, 50, 3, CPU);
        RequestState a = decoding("a", 10, 7, 3, 8);   // token 9 sits in block 8 at offset 1
        int rows = 4;
        long[] longs = new long[rows * (2 + 3)];
        int[] ints = new int[rows * (3 + 1)];
        graphs.fill(longs, ints, rows, List.of(a));
        assertEquals(a.token(9), longs[0]);
        assertEquals(0, longs[1]);                          // padding token
        for (int s = 0; s < 3; s++) {
            assertEquals(a.position(s, 9), longs[rows + s * rows]);
        }
        long[] slots = java.util.Arrays.copyOfRange(longs, 4 * rows, 5 * rows);
        assertArrayEquals(new long[] {8 * 4 + 1, 200, 200, 200}, slots);
        assertArrayEquals(new int[] {7, 3, 8, 50, 0, 0, 50, 0, 0, 50, 0, 0}, java.util.Arrays.copyOf(ints, 12));
        assertArrayEquals(new int[] {10, 0, 0, 0}, java.util.Arrays.copyOfRange(ints, 12, 16));
    }

    @Test
    void graphsDeclineWhatTheyWouldComputeDifferently() {
        DecodeGraphs graphs = new DecodeGraphs(model(1, 0), 4, 50, 3, CPU);
        RequestState a = decoding("a", 10, 7, 3, 8);
        // nothing captured (CPU): no step qualifies
        assertFalse(graphs.accepts(new ScheduledStep(List.of(new ScheduledStep.Entry(a, 1)), List.of())));
    }
}
