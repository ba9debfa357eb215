package ai.tessera.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;

/** Per-sequence adapters of a step become the packed token rows each adapter applies to. */
class ForwardBatchAdaptersTest {

    private static ForwardBatch batch(List<String> adapters, int... queryLengths) {
        int total = Arrays.stream(queryLengths).sum();
        Tensor ids = torch.zeros(new long[] {total}, new TensorOptions(ScalarType.Long));
        List<AttentionMetadata.Sequence> sequences = new java.util.ArrayList<>();
        int start = 0;
        for (int q : queryLengths) {
            sequences.add(new AttentionMetadata.Sequence(start, q, q, new long[] {0}));
            start += q;
        }
        return new ForwardBatch(ids, ids, new AttentionMetadata(ids, sequences, 16), null, null, null, adapters);
    }

    @Test
    void tokensOfEachAdapterAreTheRowsOfItsSequences() {
        ForwardBatch b = batch(Arrays.asList("vision", null, "speech", "vision"), 2, 3, 1, 2);
        Map<String, long[]> rows = b.adapterTokens();
        assertEquals(List.of("vision", "speech"), List.copyOf(rows.keySet()));
        assertArrayEquals(new long[] {0, 1, 6, 7}, rows.get("vision"));
        assertArrayEquals(new long[] {5}, rows.get("speech"));
    }

    @Test
    void noAdaptersMeansNoRows() {
        assertTrue(batch(null, 3, 4).adapterTokens().isEmpty());
        assertTrue(batch(Arrays.asList(null, null), 3, 4).adapterTokens().isEmpty());
    }

    @Test
    void oneAdapterEntryPerSequence() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> batch(List.of("vision"), 3, 4));
        assertTrue(e.getMessage().contains("2 sequences, got 1"), e.getMessage());
    }
}
