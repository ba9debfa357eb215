package ai.tessera.platform.cuda;

import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The CUDA C source and launch geometry of the paged decode attention kernel, compiled at run time by NVRTC.
 *
 * <p>One query token per sequence (a decode step). The work is split like flash-decoding: a thread block per
 * (key-value head, sequence, split of the context); it keeps the {@code group} query heads that share its key-value
 * head in shared memory, reads the keys and values of its part of the context straight from the paged cache through
 * the sequence's block table (no gathered copy), and keeps a running softmax maximum and sum (online softmax). A
 * second kernel merges the splits. Sequence lengths and block tables come from device tensors, and the grid depends
 * only on the batch's row count, so a launch can be captured in a CUDA graph and replayed with other contents.
 *
 * <p>Head size, group size and element type are compile-time constants of the generated source (one module per
 * combination); scale, sliding window and soft-cap are arguments.
 */
final class PagedDecodeKernel {
    /** Threads per block of both kernels, and context tokens scored per tile (one per thread). */
    static final int THREADS = 128;
    /** The most splits of one sequence's context. */
    static final int MAX_SPLITS = 32;
    /** A split takes at least this many tokens, so that short contexts run in few blocks. */
    static final int MIN_SPLIT_TOKENS = 64;
    /** Static shared memory a kernel may use without opting in to more. */
    static final int SHARED_LIMIT = 48 * 1024;
    static final String MAIN = "paged_decode";
    static final String REDUCE = "paged_decode_reduce";

    private PagedDecodeKernel() {
    }

    /** What one compiled module is specialised for. */
    record Key(ScalarType dtype, int headDim, int group) {
        Key {
            dtype = dtype.intern();   // a tensor's scalar_type() is a new object each time: equal keys need one
        }
    }

    /** Why the kernel cannot run these shapes, or {@code null} when it can. */
    static String unsupportedReason(ScalarType dtype, int headDim, int group) {
        dtype = dtype.intern();
        if (dtype != ScalarType.BFloat16 && dtype != ScalarType.Half && dtype != ScalarType.Float) {
            return "the paged decode kernel takes bfloat16, float16 or float32, not " + dtype;
        }
        if (headDim % 8 != 0 || headDim > 512) {
            return "the paged decode kernel needs a head size that is a multiple of 8 and at most 512, got " + headDim;
        }
        if (sharedBytes(headDim, group) > SHARED_LIMIT) {
            return "the paged decode kernel would need " + sharedBytes(headDim, group) + " bytes of shared memory for "
                    + group + " query heads per key-value head of size " + headDim + " (limit " + SHARED_LIMIT + ")";
        }
        return null;
    }

    /** Shared memory of the main kernel: the group's queries, a tile of scores, the tile's slots, softmax state. */
    static int sharedBytes(int headDim, int group) {
        return 4 * group * headDim + 4 * group * THREADS + 4 * THREADS + 3 * 4 * group;
    }

    /**
     * Splits of each sequence's context: enough blocks to fill the device about twice over for this many rows,
     * at most {@link #MAX_SPLITS}. Depends on the row count only, so a captured graph keeps its grid.
     */
    static int splits(int multiprocessors, int kvHeads, int rows) {
        int blocks = kvHeads * rows;
        int wanted = (2 * multiprocessors + blocks - 1) / blocks;
        return Math.max(1, Math.min(MAX_SPLITS, wanted));
    }

    /** The main kernel's grid: key-value heads × rows × splits. */
    static int[] mainGrid(int kvHeads, int rows, int splits) {
        return new int[] {kvHeads, rows, splits};
    }

    /** The merge kernel's grid: query heads × rows. */
    static int[] reduceGrid(int heads, int rows) {
        return new int[] {heads, rows, 1};
    }

    /** The CUDA C source specialised for {@code key}; it needs no headers (NVRTC has none of the toolkit's). */
    static String source(Key key) {
        String problem = unsupportedReason(key.dtype(), key.headDim(), key.group());
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        String elementType;
        String conversions;
        String load8;
        switch (key.dtype()) {
            case BFloat16 -> {
                elementType = "unsigned short";
                // bfloat16 is the upper half of a float32; rounding to nearest even, NaN kept a NaN
                conversions = """
                        __device__ __forceinline__ float to_float(elem_t x) { return __uint_as_float(((unsigned int) x) << 16); }
                        __device__ __forceinline__ elem_t from_float(float f) {
                            unsigned int u = __float_as_uint(f);
                            if ((u & 0x7fffffffu) > 0x7f800000u) return (elem_t) 0x7fc0u;
                            u += 0x7fffu + ((u >> 16) & 1u);
                            return (elem_t) (u >> 16);
                        }
                        """;
                load8 = LOAD8_16BIT;
            }
            case Half -> {
                elementType = "unsigned short";
                conversions = """
                        __device__ __forceinline__ float to_float(elem_t x) { float f; asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(x)); return f; }
                        __device__ __forceinline__ elem_t from_float(float f) { elem_t h; asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f)); return h; }
                        """;
                load8 = LOAD8_16BIT;
            }
            default -> {
                elementType = "float";
                conversions = """
                        __device__ __forceinline__ float to_float(elem_t x) { return x; }
                        __device__ __forceinline__ elem_t from_float(float f) { return f; }
                        """;
                load8 = """
                        __device__ __forceinline__ void load8(const elem_t* p, float* out) {
                            float4 a = *reinterpret_cast<const float4*>(p);
                            float4 b = *reinterpret_cast<const float4*>(p + 4);
                            out[0] = a.x; out[1] = a.y; out[2] = a.z; out[3] = a.w;
                            out[4] = b.x; out[5] = b.y; out[6] = b.z; out[7] = b.w;
                        }
                        """;
            }
        }
        return "// paged decode attention: " + key + "\n"
                + "#define HEAD_DIM " + key.headDim() + "\n"
                + "#define GROUP " + key.group() + "\n"
                + "#define THREADS " + THREADS + "\n"
                + "#define MIN_SPLIT_TOKENS " + MIN_SPLIT_TOKENS + "\n"
                + "typedef " + elementType + " elem_t;\n"
                + conversions + load8 + BODY;
    }

    private static final String LOAD8_16BIT = """
            __device__ __forceinline__ void load8(const elem_t* p, float* out) {
                uint4 r = *reinterpret_cast<const uint4*>(p);
                unsigned int w[4] = {r.x, r.y, r.z, r.w};
            #pragma unroll
                for (int i = 0; i < 4; i++) {
                    out[2 * i] = to_float((elem_t) (w[i] & 0xffffu));
                    out[2 * i + 1] = to_float((elem_t) (w[i] >> 16));
                }
            }
            """;

    private static final String BODY = """
            #define NEG_BIG (-3.0e38f)
            #define DIMS_PER_THREAD ((HEAD_DIM + THREADS - 1) / THREADS)
            #define TOKEN_GROUPS (HEAD_DIM >= THREADS ? 1 : THREADS / HEAD_DIM)

            // grid (kv heads, rows, splits); part_acc [rows, heads, splits, HEAD_DIM], part_ml [rows, heads, splits, 2]
            extern "C" __global__ void __launch_bounds__(THREADS) paged_decode(
                    const elem_t* __restrict__ query, const elem_t* __restrict__ key_cache,
                    const elem_t* __restrict__ value_cache, const int* __restrict__ block_tables,
                    const int* __restrict__ context_lens, float* __restrict__ part_acc, float* __restrict__ part_ml,
                    int num_kv_heads, int block_size, int table_stride, float scale, float soft_cap, int window) {
                const int kvh = blockIdx.x, row = blockIdx.y, split = blockIdx.z, splits = gridDim.z;
                const int tid = threadIdx.x;
                const int heads = num_kv_heads * GROUP;
                const int len = context_lens[row];
                const int start = (window > 0 && len > window) ? len - window : 0;
                int per_split = (len - start + splits - 1) / splits;
                if (per_split < MIN_SPLIT_TOKENS) per_split = MIN_SPLIT_TOKENS;
                const int lo = start + split * per_split;
                const int hi = min(len, lo + per_split);
                const size_t ml0 = ((size_t) row * heads + (size_t) kvh * GROUP) * splits + split;  // head g: + g * splits

                __shared__ float q_s[GROUP * HEAD_DIM];
                __shared__ float p_s[GROUP * THREADS];
                __shared__ int slot_s[THREADS];
                __shared__ float m_s[GROUP], l_s[GROUP], corr_s[GROUP];

                if (lo >= hi) {  // nothing of this sequence here: an empty part (weight 0 in the merge)
                    if (tid < GROUP) {
                        part_ml[(ml0 + (size_t) tid * splits) * 2] = NEG_BIG;
                        part_ml[(ml0 + (size_t) tid * splits) * 2 + 1] = 0.f;
                    }
                    return;
                }
                for (int i = tid; i < GROUP * HEAD_DIM; i += THREADS) {
                    q_s[i] = to_float(query[((size_t) row * heads + (size_t) kvh * GROUP) * HEAD_DIM + i]);
                }
                if (tid < GROUP) { m_s[tid] = NEG_BIG; l_s[tid] = 0.f; }

                const int grp = HEAD_DIM >= THREADS ? 0 : tid / HEAD_DIM;
                const int d0 = HEAD_DIM >= THREADS ? tid : tid % HEAD_DIM;
                const bool summing = grp < TOKEN_GROUPS;
                float acc[GROUP][DIMS_PER_THREAD];
            #pragma unroll
                for (int g = 0; g < GROUP; g++)
            #pragma unroll
                    for (int k = 0; k < DIMS_PER_THREAD; k++) acc[g][k] = 0.f;

                const int warp = tid / 32, lane = tid % 32;
                for (int t0 = lo; t0 < hi; t0 += THREADS) {
                    const int count = min(THREADS, hi - t0);
                    __syncthreads();
                    // scores of the tile: a token per thread, all GROUP query heads at once
                    if (tid < count) {
                        const int pos = t0 + tid;
                        const int slot = block_tables[(size_t) row * table_stride + pos / block_size] * block_size
                                + pos % block_size;
                        slot_s[tid] = slot;
                        const elem_t* k = key_cache + ((size_t) slot * num_kv_heads + kvh) * HEAD_DIM;
                        float s[GROUP];
            #pragma unroll
                        for (int g = 0; g < GROUP; g++) s[g] = 0.f;
            #pragma unroll 4
                        for (int d = 0; d < HEAD_DIM; d += 8) {
                            float kv[8];
                            load8(k + d, kv);
            #pragma unroll
                            for (int g = 0; g < GROUP; g++)
            #pragma unroll
                                for (int j = 0; j < 8; j++) s[g] += q_s[g * HEAD_DIM + d + j] * kv[j];
                        }
            #pragma unroll
                        for (int g = 0; g < GROUP; g++) {
                            float x = s[g] * scale;
                            if (soft_cap > 0.f) x = soft_cap * tanhf(x / soft_cap);
                            p_s[g * THREADS + tid] = x;
                        }
                    }
                    __syncthreads();
                    // online softmax: a warp per query head rescales the running sum and turns scores into weights
                    for (int g = warp; g < GROUP; g += THREADS / 32) {
                        float mx = NEG_BIG;
                        for (int t = lane; t < count; t += 32) mx = fmaxf(mx, p_s[g * THREADS + t]);
                        for (int o = 16; o > 0; o >>= 1) mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, o));
                        const float m_old = m_s[g];
                        const float m_new = fmaxf(m_old, mx);
                        float sum = 0.f;
                        for (int t = lane; t < count; t += 32) {
                            const float e = expf(p_s[g * THREADS + t] - m_new);
                            p_s[g * THREADS + t] = e;
                            sum += e;
                        }
                        for (int o = 16; o > 0; o >>= 1) sum += __shfl_xor_sync(0xffffffffu, sum, o);
                        if (lane == 0) {
                            const float c = expf(m_old - m_new);
                            corr_s[g] = c;
                            l_s[g] = l_s[g] * c + sum;
                            m_s[g] = m_new;
                        }
                    }
                    __syncthreads();
                    // weighted values: a thread per head dimension (several token groups when the head is small)
                    if (summing) {
            #pragma unroll
                        for (int g = 0; g < GROUP; g++)
            #pragma unroll
                            for (int k = 0; k < DIMS_PER_THREAD; k++) acc[g][k] *= corr_s[g];
            #pragma unroll 4
                        for (int t = grp; t < count; t += TOKEN_GROUPS) {
                            const elem_t* v = value_cache + ((size_t) slot_s[t] * num_kv_heads + kvh) * HEAD_DIM;
            #pragma unroll
                            for (int k = 0; k < DIMS_PER_THREAD; k++) {
                                const int d = d0 + k * THREADS;
                                if (d < HEAD_DIM) {
                                    const float x = to_float(v[d]);
            #pragma unroll
                                    for (int g = 0; g < GROUP; g++) acc[g][k] += p_s[g * THREADS + t] * x;
                                }
                            }
                        }
                    }
                }
                __syncthreads();
                if (TOKEN_GROUPS > 1) {
                    // sum the token groups through shared memory (p_s is free now and large enough)
                    if (summing) {
            #pragma unroll
                        for (int g = 0; g < GROUP; g++) p_s[(grp * GROUP + g) * HEAD_DIM + d0] = acc[g][0];
                    }
                    __syncthreads();
                    for (int i = tid; i < GROUP * HEAD_DIM; i += THREADS) {
                        float sum = 0.f;
                        for (int r = 0; r < TOKEN_GROUPS; r++) sum += p_s[r * GROUP * HEAD_DIM + i];
                        const int g = i / HEAD_DIM, d = i % HEAD_DIM;
                        part_acc[(ml0 + (size_t) g * splits) * HEAD_DIM + d] = sum;
                    }
                } else if (summing) {
            #pragma unroll
                    for (int g = 0; g < GROUP; g++)
            #pragma unroll
                        for (int k = 0; k < DIMS_PER_THREAD; k++) {
                            const int d = d0 + k * THREADS;
                            if (d < HEAD_DIM) part_acc[(ml0 + (size_t) g * splits) * HEAD_DIM + d] = acc[g][k];
                        }
                }
                if (tid < GROUP) {
                    part_ml[(ml0 + (size_t) tid * splits) * 2] = m_s[tid];
                    part_ml[(ml0 + (size_t) tid * splits) * 2 + 1] = l_s[tid];
                }
            }

            // grid (heads, rows): merges the splits of each query head into out [rows, heads, HEAD_DIM]
            extern "C" __global__ void __launch_bounds__(THREADS) paged_decode_reduce(
                    const float* __restrict__ part_acc, const float* __restrict__ part_ml, elem_t* __restrict__ out,
                    int splits) {
                const int h = blockIdx.x, row = blockIdx.y, heads = gridDim.x;
                const size_t base = ((size_t) row * heads + h) * splits;
                float m = NEG_BIG;
                for (int s = 0; s < splits; s++) {
                    if (part_ml[(base + s) * 2 + 1] > 0.f) m = fmaxf(m, part_ml[(base + s) * 2]);
                }
                float denominator = 0.f;
                for (int s = 0; s < splits; s++) {
                    const float l = part_ml[(base + s) * 2 + 1];
                    if (l > 0.f) denominator += l * expf(part_ml[(base + s) * 2] - m);
                }
                const float inv = denominator > 0.f ? 1.f / denominator : 0.f;
                for (int d = threadIdx.x; d < HEAD_DIM; d += THREADS) {
                    float sum = 0.f;
                    for (int s = 0; s < splits; s++) {
                        if (part_ml[(base + s) * 2 + 1] > 0.f) {
                            sum += part_acc[(base + s) * HEAD_DIM + d] * expf(part_ml[(base + s) * 2] - m);
                        }
                    }
                    out[((size_t) row * heads + h) * HEAD_DIM + d] = from_float(sum * inv);
                }
            }
            """;
}
