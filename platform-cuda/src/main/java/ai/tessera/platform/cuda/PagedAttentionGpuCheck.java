package ai.tessera.platform.cuda;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.Random;

import ai.tessera.api.AttentionBackend;
import ai.tessera.api.AttentionLayerSpec;
import ai.tessera.api.AttentionMetadata;
import ai.tessera.api.KvCache;
import ai.tessera.core.attention.SdpaAttentionBackend;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import static org.bytedeco.cuda.global.cudart.cudaDeviceSynchronize;

/**
 * The paged decode kernel against plain float64 attention and against the SDPA backend, on a CUDA device, for the
 * head sizes, groupings, windows and soft-caps of the families, in bfloat16 and float32; then the time of one
 * decode attention call of both backends; then mixed steps (decodes ahead of a prefill chunk, and one behind it)
 * through the paged backend against SDPA alone, and the time of such a step of 63 decodes and a 512-token prompt.
 * Run on a GPU machine with libtorch and runtime-core on the class path:
 * {@code java -cp ... ai.tessera.platform.cuda.PagedAttentionGpuCheck}. Exits by exception when a case is off.
 */
public final class PagedAttentionGpuCheck {
    private static final int BLOCK = 16;
    private static final Device CUDA = new Device("cuda:0");

    private PagedAttentionGpuCheck() {
    }

    private record Case(String name, int headDim, int heads, int kvHeads, int window, double softCap, int[] lengths) {
    }

    public static void main(String[] args) {
        List<Case> cases = List.of(
                new Case("qwen2.5-vl-7b", 128, 28, 4, 0, 0, new int[] {1, 17, 300, 1500}),
                new Case("tiny gqa", 64, 4, 2, 0, 0, new int[] {5, 64, 65, 129}),
                new Case("head 72", 72, 6, 2, 0, 0, new int[] {3, 200}),
                new Case("head 80 mha", 80, 8, 8, 0, 0, new int[] {1, 33, 700}),
                new Case("gemma sliding 256", 256, 8, 4, 512, 0, new int[] {10, 511, 512, 513, 2000}),
                new Case("gemma global 512", 512, 16, 2, 0, 0, new int[] {7, 900}),
                new Case("soft-cap", 128, 8, 2, 0, 50.0, new int[] {40, 300}),
                new Case("phi4 15b", 128, 40, 10, 0, 0, new int[] {1, 1000, 3000, 129, 16, 2, 4000, 64}));
        AttentionBackend sdpa = new SdpaAttentionBackend();
        PagedDecodeAttention paged = new PagedDecodeAttention();
        boolean ok = true;
        for (ScalarType dtype : new ScalarType[] {ScalarType.BFloat16, ScalarType.Float}) {
            for (Case c : cases) {
                try (PointerScope scope = new PointerScope()) {
                    ok &= check(c, dtype, paged, sdpa);
                }
            }
        }
        for (int rows : new int[] {1, 8, 64}) {
            try (PointerScope scope = new PointerScope()) {
                time(rows, paged, sdpa);
            }
        }
        PagedAttentionBackend backend = new PagedAttentionBackend(sdpa);
        for (ScalarType dtype : new ScalarType[] {ScalarType.BFloat16, ScalarType.Float}) {
            try (PointerScope scope = new PointerScope()) {
                ok &= checkMixed(dtype, backend, sdpa);
            }
        }
        try (PointerScope scope = new PointerScope()) {
            timeMixed(backend, sdpa);
        }
        if (!ok) {
            throw new IllegalStateException("paged decode attention differs from the reference beyond tolerance");
        }
        System.out.println("paged attention GPU check: all cases within tolerance");
    }

    private record Setup(AttentionLayerSpec spec, KvCache.Layer cache, AttentionMetadata metadata, Tensor query,
                         Tensor key, Tensor value, List<long[]> slots, double scale) {
    }

    private static Setup setup(Case c, ScalarType dtype, long seed) {
        Random random = new Random(seed);
        int rows = c.lengths().length;
        int totalBlocks = 0;
        for (int len : c.lengths()) {
            totalBlocks += (len + BLOCK - 1) / BLOCK;
        }
        totalBlocks += 3;
        List<Integer> free = new ArrayList<>();
        for (int b = 0; b < totalBlocks; b++) {
            free.add(b);
        }
        java.util.Collections.shuffle(free, random);
        TensorOptions options = new TensorOptions(dtype).device(new DeviceOptional(CUDA));
        torch.manual_seed(seed);
        Tensor keyCache = torch.randn(new long[] {totalBlocks, BLOCK, c.kvHeads(), c.headDim()}, options);
        Tensor valueCache = torch.randn(new long[] {totalBlocks, BLOCK, c.kvHeads(), c.headDim()}, options);
        Tensor query = torch.randn(new long[] {rows, c.heads(), c.headDim()}, options);
        Tensor key = torch.randn(new long[] {rows, c.kvHeads(), c.headDim()}, options);
        Tensor value = torch.randn(new long[] {rows, c.kvHeads(), c.headDim()}, options);
        List<AttentionMetadata.Sequence> sequences = new ArrayList<>();
        List<long[]> contexts = new ArrayList<>();
        long[] slotMapping = new long[rows];
        int maxBlocks = 0;
        int next = 0;
        List<long[]> tables = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
            int len = c.lengths()[i];
            long[] table = new long[(len + BLOCK - 1) / BLOCK];
            for (int b = 0; b < table.length; b++) {
                table[b] = free.get(next++);
            }
            tables.add(table);
            maxBlocks = Math.max(maxBlocks, table.length);
            AttentionMetadata.Sequence seq = new AttentionMetadata.Sequence(i, 1, len, table);
            sequences.add(seq);
            long[] slots = seq.contextSlots(BLOCK);
            contexts.add(slots);
            slotMapping[i] = slots[len - 1];
        }
        int[] packed = new int[rows * maxBlocks + rows];
        for (int i = 0; i < rows; i++) {
            for (int b = 0; b < tables.get(i).length; b++) {
                packed[i * maxBlocks + b] = (int) tables.get(i)[b];
            }
            packed[rows * maxBlocks + i] = c.lengths()[i];
        }
        Tensor ints = torch.tensor(packed, new TensorOptions(ScalarType.Int)).to(CUDA, ScalarType.Int);
        AttentionMetadata.DecodeTables decode = new AttentionMetadata.DecodeTables(
                ints.narrow(0, 0, (long) rows * maxBlocks).view(rows, maxBlocks), ints.narrow(0, (long) rows * maxBlocks, rows));
        Tensor slots = torch.tensor(slotMapping).to(CUDA, ScalarType.Long);
        AttentionLayerSpec spec = new AttentionLayerSpec(c.headDim(), c.heads(), c.kvHeads(),
                c.window() > 0 ? OptionalInt.of(c.window()) : OptionalInt.empty(),
                c.softCap() > 0 ? OptionalDouble.of(c.softCap()) : OptionalDouble.empty(), dtype);
        return new Setup(spec, new KvCache.Layer(keyCache, valueCache),
                new AttentionMetadata(slots, sequences, BLOCK, decode), query, key, value, contexts,
                1.0 / Math.sqrt(c.headDim()));
    }

    private static boolean check(Case c, ScalarType dtype, PagedDecodeAttention paged, AttentionBackend sdpa) {
        Setup s = setup(c, dtype, 1234 + c.headDim());
        // both backends write the step's keys and values the same way; write them once, then attend
        Tensor keySlots = s.cache().key().view(-1, c.kvHeads(), c.headDim());
        Tensor valueSlots = s.cache().value().view(-1, c.kvHeads(), c.headDim());
        keySlots.index_copy_(0, s.metadata().slotMapping(), s.key());
        valueSlots.index_copy_(0, s.metadata().slotMapping(), s.value());
        Tensor out = paged.forward(s.query(), s.cache(), s.metadata().decode(), s.spec(), s.scale());
        Tensor reference = reference(s, c);
        double pagedError = out.to(ScalarType.Double).sub(reference).abs().max().item_double();
        String sdpaText = "n/a (soft-cap)";
        double tolerance = dtype == ScalarType.Float ? 1e-4 : 2e-2;
        if (c.softCap() == 0) {
            Tensor plain = sdpa.forward(s.query(), s.key(), s.value(), s.cache(),
                    new AttentionMetadata(s.metadata().slotMapping(), s.metadata().sequences(), BLOCK), s.spec(),
                    s.scale());
            double sdpaError = plain.to(ScalarType.Double).sub(reference).abs().max().item_double();
            double between = plain.to(ScalarType.Double).sub(out.to(ScalarType.Double)).abs().max().item_double();
            sdpaText = String.format("%.3g (paged vs sdpa %.3g)", sdpaError, between);
            tolerance = Math.max(tolerance, 2 * sdpaError);
        }
        boolean pass = pagedError <= tolerance;
        System.out.printf("%-5s %-18s %s lengths %s: max|paged - float64| %.3g, max|sdpa - float64| %s%n",
                pass ? "ok" : "FAIL", c.name(), dtype, java.util.Arrays.toString(c.lengths()), pagedError, sdpaText);
        return pass;
    }

    /** Attention of each row's query to its context, in float64, with the window and soft-cap. */
    private static Tensor reference(Setup s, Case c) {
        int group = c.heads() / c.kvHeads();
        Tensor keys = s.cache().key().view(-1, c.kvHeads(), c.headDim()).to(ScalarType.Double);
        Tensor values = s.cache().value().view(-1, c.kvHeads(), c.headDim()).to(ScalarType.Double);
        List<Tensor> rows = new ArrayList<>();
        for (int i = 0; i < c.lengths().length; i++) {
            long[] context = s.slots().get(i);
            int len = context.length;
            int start = c.window() > 0 ? Math.max(0, len - c.window()) : 0;
            Tensor index = torch.tensor(java.util.Arrays.copyOfRange(context, start, len)).to(CUDA, ScalarType.Long);
            Tensor k = keys.index_select(0, index).repeat_interleave(group, new org.bytedeco.pytorch.LongOptional(1), new org.bytedeco.pytorch.LongOptional()).transpose(0, 1);   // [heads, L, D]
            Tensor v = values.index_select(0, index).repeat_interleave(group, new org.bytedeco.pytorch.LongOptional(1), new org.bytedeco.pytorch.LongOptional()).transpose(0, 1);
            Tensor q = s.query().select(0, i).to(ScalarType.Double).unsqueeze(1);                // [heads, 1, D]
            Tensor scores = q.matmul(k.transpose(1, 2)).mul(new Scalar(s.scale()));
            if (c.softCap() > 0) {
                scores = scores.div(new Scalar(c.softCap())).tanh().mul(new Scalar(c.softCap()));
            }
            rows.add(scores.softmax(-1).matmul(v).squeeze(1));                                   // [heads, D]
        }
        return torch.stack(new org.bytedeco.pytorch.TensorVector(rows.toArray(new Tensor[0])));
    }

    /** Microseconds per decode attention call of a Qwen2.5-VL-7B layer (bf16) at a context of 1500 per row. */
    private static void time(int rows, PagedDecodeAttention paged, AttentionBackend sdpa) {
        int[] lengths = new int[rows];
        java.util.Arrays.fill(lengths, 1500);
        Case c = new Case("timing", 128, 28, 4, 0, 0, lengths);
        Setup s = setup(c, ScalarType.BFloat16, 7);
        AttentionMetadata plain = new AttentionMetadata(s.metadata().slotMapping(), s.metadata().sequences(), BLOCK);
        double pagedMicros = micros(() -> paged.forward(s.query(), s.cache(), s.metadata().decode(), s.spec(),
                s.scale()));
        double sdpaMicros = micros(() -> sdpa.forward(s.query(), s.key(), s.value(), s.cache(), plain, s.spec(),
                s.scale()));
        System.out.printf("timing rows %d, context 1500, 28/4 heads of 128, bf16: paged %.1f us, sdpa (gather + "
                + "SDPA) %.1f us per layer call%n", rows, pagedMicros, sdpaMicros);
    }

    /** A step of sequences given as (tokens computed now, context after the step), over a shuffled random cache. */
    private record MixedStep(AttentionLayerSpec spec, KvCache.Layer cache, AttentionMetadata withTables,
                             AttentionMetadata plain, Tensor query, Tensor key, Tensor value) {
        static MixedStep of(int[][] shape, ScalarType dtype, long seed) {
            Random random = new Random(seed);
            int totalBlocks = 1;
            int rows = 0;
            for (int[] s : shape) {
                totalBlocks += (s[1] + BLOCK - 1) / BLOCK;
                rows += s[0];
            }
            List<Integer> free = new ArrayList<>();
            for (int b = 0; b < totalBlocks; b++) {
                free.add(b);
            }
            java.util.Collections.shuffle(free, random);
            AttentionLayerSpec spec = AttentionLayerSpec.causal(128, 28, 4, dtype);
            TensorOptions options = new TensorOptions(dtype).device(new DeviceOptional(CUDA));
            torch.manual_seed(seed);
            KvCache.Layer cache = new KvCache.Layer(torch.randn(new long[] {totalBlocks, BLOCK, 4, 128}, options),
                    torch.randn(new long[] {totalBlocks, BLOCK, 4, 128}, options));
            List<AttentionMetadata.Sequence> sequences = new ArrayList<>();
            long[] slotMapping = new long[rows];
            int row = 0;
            int next = 0;
            for (int[] s : shape) {
                long[] table = new long[(s[1] + BLOCK - 1) / BLOCK];
                for (int b = 0; b < table.length; b++) {
                    table[b] = free.get(next++);
                }
                AttentionMetadata.Sequence seq = new AttentionMetadata.Sequence(row, s[0], s[1], table);
                sequences.add(seq);
                long[] context = seq.contextSlots(BLOCK);
                System.arraycopy(context, s[1] - s[0], slotMapping, row, s[0]);
                row += s[0];
            }
            Tensor slots = torch.tensor(slotMapping).to(CUDA, ScalarType.Long);
            AttentionMetadata plain = new AttentionMetadata(slots, sequences, BLOCK);
            int decodes = plain.leadingDecodes();
            AttentionMetadata withTables = new AttentionMetadata(slots, sequences, BLOCK, null,
                    AttentionMetadata.DecodeTables.of(sequences.subList(0, decodes), CUDA));
            return new MixedStep(spec, cache, withTables, plain, torch.randn(new long[] {rows, 28, 128}, options),
                    torch.randn(new long[] {rows, 4, 128}, options), torch.randn(new long[] {rows, 4, 128}, options));
        }

        KvCache.Layer freshCache() {
            return new KvCache.Layer(cache.key().clone(), cache.value().clone());
        }
    }

    /** Decodes ahead of a prefill chunk (and one behind it): the paged backend's split against SDPA alone. */
    private static boolean checkMixed(ScalarType dtype, PagedAttentionBackend backend, AttentionBackend sdpa) {
        MixedStep s = MixedStep.of(new int[][] {{1, 17}, {1, 300}, {1, 1500}, {40, 100}, {1, 64}, {33, 33}}, dtype, 99);
        double scale = 1.0 / Math.sqrt(128);
        Tensor split = backend.forward(s.query(), s.key(), s.value(), s.freshCache(), s.withTables(), s.spec(), scale);
        Tensor plain = sdpa.forward(s.query(), s.key(), s.value(), s.freshCache(), s.plain(), s.spec(), scale);
        double between = split.to(ScalarType.Double).sub(plain.to(ScalarType.Double)).abs().max().item_double();
        double tolerance = dtype == ScalarType.Float ? 1e-4 : 3e-2;
        boolean pass = between <= tolerance;
        System.out.printf("%-5s mixed step (3 decodes, chunk of 40, decode, prompt of 33) %s: max|paged split - sdpa|"
                + " %.3g%n", pass ? "ok" : "FAIL", dtype, between);
        return pass;
    }

    /** 63 decodes at a context of 1500 beside a new prompt of 512: what a step looks like while requests arrive. */
    private static void timeMixed(PagedAttentionBackend backend, AttentionBackend sdpa) {
        int[][] shape = new int[64][];
        for (int i = 0; i < 63; i++) {
            shape[i] = new int[] {1, 1500};
        }
        shape[63] = new int[] {512, 512};
        MixedStep s = MixedStep.of(shape, ScalarType.BFloat16, 5);
        double scale = 1.0 / Math.sqrt(128);
        KvCache.Layer cache = s.freshCache();
        double split = micros(() -> backend.forward(s.query(), s.key(), s.value(), cache, s.withTables(), s.spec(),
                scale));
        double plain = micros(() -> sdpa.forward(s.query(), s.key(), s.value(), cache, s.plain(), s.spec(), scale));
        System.out.printf("timing mixed step, 63 decodes at 1500 + a prompt of 512, bf16: paged split %.1f us, sdpa"
                + " %.1f us per layer call%n", split, plain);
    }

    private static double micros(Runnable call) {
        for (int i = 0; i < 5; i++) {
            try (PointerScope scope = new PointerScope()) {
                call.run();
            }
        }
        cudaDeviceSynchronize();
        int n = 50;
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            try (PointerScope scope = new PointerScope()) {
                call.run();
            }
        }
        cudaDeviceSynchronize();
        return (System.nanoTime() - start) / 1e3 / n;
    }
}
