package ai.tessera.api;

import java.util.List;

import org.bytedeco.pytorch.Tensor;

/**
 * Where the tokens of one step sit in the paged KV cache, shared by all layers of that step.
 *
 * <p>The step's tokens are packed sequence after sequence. {@code slotMapping[t]} is the cache slot
 * ({@code block * blockSize + offset}) where token {@code t}'s key and value are written; each
 * {@link Sequence} tells which packed tokens are its queries and which blocks hold its whole context.
 *
 * @param slotMapping int64 {@code [tokens]} on the model's device
 * @param sequences   the sequences of the step, in packing order
 * @param blockSize   tokens per cache block
 * @param decode      for a step in which every sequence computes one token (a decode step), the block tables and
 *                    context lengths on the model's device, so that paged kernels read them without copies (and a
 *                    captured CUDA graph reads fixed buffers); {@code null} for other steps or when not built
 */
public record AttentionMetadata(Tensor slotMapping, List<Sequence> sequences, int blockSize, DecodeTables decode) {
    public AttentionMetadata {
        sequences = List.copyOf(sequences);
    }

    /** Metadata without device-side decode tables: backends that want them build their own. */
    public AttentionMetadata(Tensor slotMapping, List<Sequence> sequences, int blockSize) {
        this(slotMapping, sequences, blockSize, null);
    }

    /**
     * A decode step's tables on the device. Rows may outnumber {@link #sequences()} (a CUDA graph's batch padded to
     * its capture size): padding rows have context length 0 and are computed as zeros.
     *
     * @param blockTables    int32 {@code [rows, maxBlocks]}: row {@code i} holds sequence {@code i}'s block ids, the
     *                       rest of the row is unused
     * @param contextLengths int32 {@code [rows]}: tokens in each sequence's cache after this step
     */
    public record DecodeTables(Tensor blockTables, Tensor contextLengths) {
    }

    /** Whether some sequence has a {@link Span} its tokens attend within both ways. */
    public boolean hasBidirectionalSpans() {
        for (Sequence s : sequences) {
            if (!s.bidirectionalSpans().isEmpty()) {
                return true;
            }
        }
        return false;
    }

    /** The same step attended causally only: the spans left out (for layers that do not use them). */
    public AttentionMetadata causal() {
        if (!hasBidirectionalSpans()) {
            return this;
        }
        List<Sequence> plain = new java.util.ArrayList<>();
        for (Sequence s : sequences) {
            plain.add(new Sequence(s.queryStart(), s.queryLength(), s.contextLength(), s.blockTable, s.knownLength(),
                    List.of()));
        }
        return new AttentionMetadata(slotMapping, plain, blockSize, decode);
    }

    /**
     * Positions {@code [start, end)} of a sequence whose tokens attend to each other both ways, on top of causal
     * attention (the tokens of one image for a model that asks for it, see
     * {@link LoadedModel#bidirectionalWithin}). The engine computes a span's queries in one step.
     */
    public record Span(int start, int end) {
        public Span {
            if (start < 0 || end <= start) {
                throw new IllegalArgumentException("a span needs 0 <= start < end, got [" + start + ", " + end + ")");
            }
        }

        public boolean contains(int position) {
            return position >= start && position < end;
        }
    }

    /**
     * One sequence of a step.
     *
     * @param queryStart    index of its first token in the packed batch
     * @param queryLength   tokens it computes in this step (the prompt, a chunk of it, or 1 when decoding)
     * @param contextLength tokens in its cache after this step, the new ones included; its queries sit at
     *                      positions {@code contextLength - queryLength ... contextLength - 1}
     * @param blockTable    the cache blocks holding its tokens, in order
     * @param knownLength   tokens the sequence has so far, computed or not (more than {@code contextLength} while a
     *                      long prompt is prefilled in chunks): models whose computation depends on the length of
     *                      the whole sequence (Phi-3's LongRoPE) read it
     * @param bidirectionalSpans spans of the context whose tokens also attend to later tokens of the same span,
     *                      in order; empty for plain causal attention. Backends that cannot honour them say so
     *                      with {@link AttentionBackend#supportsBidirectionalSpans()}
     */
    public record Sequence(int queryStart, int queryLength, int contextLength, long[] blockTable, int knownLength,
                           List<Span> bidirectionalSpans) {
        public Sequence {
            if (queryLength <= 0 || contextLength < queryLength || knownLength < contextLength) {
                throw new IllegalArgumentException("a sequence needs 0 < queryLength <= contextLength <= knownLength,"
                        + " got queryLength=" + queryLength + " contextLength=" + contextLength + " knownLength="
                        + knownLength);
            }
            blockTable = blockTable.clone();
            bidirectionalSpans = List.copyOf(bidirectionalSpans);
            for (Span span : bidirectionalSpans) {
                if (span.end() > contextLength) {
                    throw new IllegalArgumentException("bidirectional span " + span + " ends past the context of "
                            + contextLength + " tokens");
                }
            }
        }

        /** A causal sequence (no bidirectional spans). */
        public Sequence(int queryStart, int queryLength, int contextLength, long[] blockTable, int knownLength) {
            this(queryStart, queryLength, contextLength, blockTable, knownLength, List.of());
        }

        /** A sequence whose known tokens are all in the cache after this step. */
        public Sequence(int queryStart, int queryLength, int contextLength, long[] blockTable) {
            this(queryStart, queryLength, contextLength, blockTable, contextLength);
        }

        @Override
        public long[] blockTable() {
            return blockTable.clone();
        }

        /** The cache slots of positions {@code 0 .. contextLength-1}. */
        public long[] contextSlots(int blockSize) {
            long[] slots = new long[contextLength];
            for (int p = 0; p < contextLength; p++) {
                slots[p] = blockTable[p / blockSize] * blockSize + p % blockSize;
            }
            return slots;
        }
    }
}
