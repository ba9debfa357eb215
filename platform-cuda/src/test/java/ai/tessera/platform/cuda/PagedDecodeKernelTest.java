package ai.tessera.platform.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The generated CUDA source and the launch geometry of the paged decode kernel (compiled on GPU machines only). */
class PagedDecodeKernelTest {
    @ParameterizedTest(name = "{0}, head {1}, group {2}")
    @CsvSource({"BFloat16, 128, 7", "BFloat16, 64, 2", "Half, 80, 1", "Float, 72, 3", "BFloat16, 256, 2",
            "BFloat16, 512, 8", "Float, 512, 16"})
    void takesTheFamiliesHeadSizesAndGroups(ScalarType dtype, int headDim, int group) {
        assertNull(PagedDecodeKernel.unsupportedReason(dtype, headDim, group));
        String source = PagedDecodeKernel.source(new PagedDecodeKernel.Key(dtype, headDim, group));
        assertTrue(source.contains("#define HEAD_DIM " + headDim + "\n"), source);
        assertTrue(source.contains("#define GROUP " + group + "\n"), source);
        assertTrue(source.contains("typedef " + (dtype == ScalarType.Float ? "float" : "unsigned short") + " elem_t;"));
        assertTrue(source.contains("extern \"C\" __global__ void __launch_bounds__(THREADS) " + PagedDecodeKernel.MAIN + "("));
        assertTrue(source.contains("extern \"C\" __global__ void __launch_bounds__(THREADS) " + PagedDecodeKernel.REDUCE
                + "("));
        // NVRTC has none of the toolkit's headers
        assertTrue(!source.contains("#include"), "the source must not include headers");
    }

    @Test
    void convertsEachElementTypeItsOwnWay() {
        String bf16 = PagedDecodeKernel.source(new PagedDecodeKernel.Key(ScalarType.BFloat16, 128, 1));
        String half = PagedDecodeKernel.source(new PagedDecodeKernel.Key(ScalarType.Half, 128, 1));
        String fp32 = PagedDecodeKernel.source(new PagedDecodeKernel.Key(ScalarType.Float, 128, 1));
        assertTrue(bf16.contains("<< 16") && bf16.contains("0x7fffu"), "bfloat16: upper half, round to nearest even");
        assertTrue(half.contains("cvt.f32.f16") && half.contains("cvt.rn.f16.f32"));
        assertTrue(fp32.contains("float4"));
    }

    @Test
    void declinesWhatItCannotRunWithTheReason() {
        assertTrue(PagedDecodeKernel.unsupportedReason(ScalarType.Long, 128, 1).contains("Long"));
        assertTrue(PagedDecodeKernel.unsupportedReason(ScalarType.BFloat16, 100, 1).contains("multiple of 8"));
        assertTrue(PagedDecodeKernel.unsupportedReason(ScalarType.BFloat16, 520, 1).contains("at most 512"));
        String shared = PagedDecodeKernel.unsupportedReason(ScalarType.BFloat16, 512, 32);
        assertTrue(shared.contains("shared memory") && shared.contains("32 query heads"), shared);
        assertThrows(IllegalArgumentException.class,
                () -> PagedDecodeKernel.source(new PagedDecodeKernel.Key(ScalarType.BFloat16, 100, 1)));
    }

    @Test
    void keysOfTensorsDtypesMatchTheConstants() {
        // a tensor's scalar_type() is a new enum object each call: the compiled-module cache must still hit
        org.bytedeco.pytorch.Tensor t = org.bytedeco.pytorch.global.torch.zeros(new long[] {1},
                new org.bytedeco.pytorch.TensorOptions(ScalarType.BFloat16));
        assertEquals(new PagedDecodeKernel.Key(ScalarType.BFloat16, 128, 7),
                new PagedDecodeKernel.Key(t.scalar_type(), 128, 7));
        assertNull(PagedDecodeKernel.unsupportedReason(t.scalar_type(), 128, 7));
    }

    @Test
    void sharedMemoryHoldsQueriesScoresAndSlots() {
        // 7 queries of 128 floats, 7 × 128 scores, 128 slots, 3 × 7 softmax floats
        assertEquals(4 * 7 * 128 + 4 * 7 * 128 + 4 * 128 + 12 * 7, PagedDecodeKernel.sharedBytes(128, 7));
        assertTrue(PagedDecodeKernel.sharedBytes(512, 16) <= PagedDecodeKernel.SHARED_LIMIT);
    }

    @Test
    void splitsFillTheDeviceTwiceOverWithinTheirLimit() {
        // H100: 132 multiprocessors. One sequence of a 4-kv-head layer: as many splits as allowed.
        assertEquals(PagedDecodeKernel.MAX_SPLITS, PagedDecodeKernel.splits(132, 4, 1));
        assertEquals(9, PagedDecodeKernel.splits(132, 4, 8));      // ceil(264 / 32)
        assertEquals(2, PagedDecodeKernel.splits(132, 4, 64));     // ceil(264 / 256)
        assertEquals(1, PagedDecodeKernel.splits(132, 8, 256));
        assertEquals(1, PagedDecodeKernel.splits(1, 1, 1000));
    }

    @Test
    void gridsCoverHeadsRowsAndSplits() {
        assertArrayEquals(new int[] {4, 8, 9}, PagedDecodeKernel.mainGrid(4, 8, 9));
        assertArrayEquals(new int[] {28, 8, 1}, PagedDecodeKernel.reduceGrid(28, 8));
    }
}
