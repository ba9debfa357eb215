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
 * @param mixedDecode for a step that also prefills, the tables of its {@link #leadingDecodes()} sequences, so that
 *                    a paged backend computes those in one kernel call and the rest with a prefill kernel (see
 *                    {@link #from}); {@code null} in a decode step, when no sequence leads with one token, or when
 *                    not built
 */
public record AttentionMetadata(Tensor slotMapping, List<Sequence> sequences, int blockSize, DecodeTables decode,
                                DecodeTables mixedDecode) {
    public AttentionMetadata {
        sequences = List.copyOf(sequences);
    }

    /** Metadata of a decode step with its tables, or of another step (tables {@code null}). */
    public AttentionMetadata(Tensor slotMapping, List<Sequence> sequences, int blockSize, DecodeTables decode) {
        this(slotMapping, sequences, blockSize, decode, null);
    }

    /** Metadata without device-side decode tables: backends that want them build their own. */
    public AttentionMetadata(Tensor slotMapping, List<Sequence> sequences, int blockSize) {
        this(slotMapping, sequences, blockSize, null, null);
    }

    /**
     * How many sequences at the head of the step compute one token each, packed one after another from row 0,
     * with no bidirectional span: all of them in a decode step, the running decodes ahead of the prefill chunks in
     * a mixed one. Backends compute these together (one batched call) and the rest sequence by sequence.
     */
    public int leadingDecodes() {
        return leadingDecodes(sequences);
    }

    /** {@link #leadingDecodes()} of these sequences, in packing order. */
    public static int leadingDecodes(List<Sequence> sequences) {
        int i = 0;
        for (Sequence s : sequences) {
            if (s.queryLength() != 1 || s.queryStart() != i || !s.bidirectionalSpans().isEmpty()) {
                break;
            }
            i++;
        }
        return i;
    }

    /**
     * The sequences from index {@code first} on, as a step of their own: their query rows renumbered from 0 (the
     * caller narrows the query, key and value to rows {@code sequences().get(first).queryStart()} on), their slots
     * narrowed alike, no decode tables.
     */
    public AttentionMetadata from(int first) {
        if (first <= 0 || first >= sequences.size()) {
            throw new IllegalArgumentException("from(first) needs 0 < first < " + sequences.size() + ", got " + first);
        }
        int row = sequences.get(first).queryStart();
        List<Sequence> rest = new java.util.ArrayList<>();
        for (Sequence s : sequences.subList(first, sequences.size())) {
            rest.add(new Sequence(s.queryStart() - row, s.queryLength(), s.contextLength(), s.blockTable, s.knownLength(),
                    s.bidirectionalSpans()));
        }
        return new AttentionMetadata(slotMapping.narrow(0, row, slotMapping.size(0) - row), rest, blockSize);
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
        /**
         * The tables of {@code sequences}, which compute one token each, as int32 tensors on {@code device}, copied
         * there in one transfer.
         *
         * @throws IllegalArgumentException when a sequence computes more than one token
         */
        public static DecodeTables of(List<Sequence> sequences, org.bytedeco.pytorch.Device device) {
            int maxBlocks = 0;
            for (Sequence seq : sequences) {
                if (seq.queryLength() != 1) {
                    throw new IllegalArgumentException("decode tables hold sequences of one query token, got "
                            + seq.queryLength());
                }
                maxBlocks = Math.max(maxBlocks, seq.blockTable.length);
            }
            int n = sequences.size();
            int[] packed = new int[n * maxBlocks + n];
            for (int i = 0; i < n; i++) {
                Sequence seq = sequences.get(i);
                for (int b = 0; b < seq.blockTable.length; b++) {
                    packed[i * maxBlocks + b] = Math.toIntExact(seq.blockTable[b]);
                }
                packed[n * maxBlocks + i] = seq.contextLength();
            }
            Tensor cpu = org.bytedeco.pytorch.global.torch.tensor(packed,
                    new org.bytedeco.pytorch.TensorOptions(org.bytedeco.pytorch.global.torch.ScalarType.Int));
            Tensor onDevice = device.is_cpu() ? cpu
                    : cpu.to(device, org.bytedeco.pytorch.global.torch.ScalarType.Int);
            return new DecodeTables(onDevice.narrow(0, 0, (long) n * maxBlocks).view(n, maxBlocks),
                    onDevice.narrow(0, (long) n * maxBlocks, n));
        }
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
        return new AttentionMetadata(slotMapping, plain, blockSize, decode, mixedDecode);
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
