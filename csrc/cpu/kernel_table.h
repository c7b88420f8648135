// The per-ISA kernel table: plain function pointers filled by each ISA translation
// unit (kernels_generic.cpp, kernels_avx2.cpp, kernels_avx512.cpp). No inline code
// here, so nothing compiled for one ISA can leak into another.
#pragma once
#include <cstdint>

#include "core/dtype.h"
#include "opdefs/op_list.h"

namespace tapeflow {

// Inner loop of an elementwise kernel over n elements. data[0] is the output, then the
// inputs; strides[i] is operand i's stride in elements (0 for a broadcast operand).
using InnerLoop = void (*)(char** data, const int64_t* strides, int64_t n, const void* ctx);
// out[r] = reduce(in[r * len .. r * len + len)), `in` contiguous rows.
using ReduceRowsFn = void (*)(const void* in, int64_t rows, int64_t len, void* out);
// out[j] = reduce over i < len of in[i * ld + j], for j < cols.
using ReduceColsFn = void (*)(const void* in, int64_t len, int64_t cols, int64_t ld, void* out);
// Scans `outer` contiguous blocks of (len, inner) elements along len, for the `cols`
// columns starting at in/out (cols <= inner; a caller splits the columns of a block by
// offsetting in/out). exclusive: out starts at the op's identity; reverse: from the end.
using ScanFn = void (*)(const void* in, void* out, int64_t outer, int64_t len, int64_t inner,
                        int64_t cols, bool exclusive, bool reverse);
// C[M,N] = A[M,K] @ B[K,N], row-major with leading dimensions lda, ldb, ldc.
using GemmFn = void (*)(int64_t M, int64_t N, int64_t K, const void* A, int64_t lda,
                        const void* B, int64_t ldb, void* C, int64_t ldc);

// One Adam step over n contiguous elements (see ops::apply_adam); outputs are new.
using AdamFn = void (*)(int64_t n, const void* var, const void* m, const void* v,
                        const void* g, void* var_out, void* m_out, void* v_out, double alpha,
                        double one_minus_beta1, double one_minus_beta2, double epsilon);

// Philox4x32-10 (the stream is documented in cpu/random.cpp). words[4 * b + j] = word j
// of philox4x32_10(ctr + b * stride, key) for b < count: ctr is the 128-bit counter,
// ctr[0] least significant, and the sums wrap as cpu::counter_add's do.
using PhiloxFn = void (*)(const uint32_t* ctr, const uint32_t* key, uint64_t stride,
                          int64_t count, uint32_t* words);
// n uniform [0, 1) numbers from Philox words, as the stream converts them: float32
// out[i] from words[i]; float64 out[i] from words[2i] (high bits) and words[2i + 1].
using UniformBitsFn = void (*)(const uint32_t* words, int64_t n, void* out);
// `pairs` Box-Muller pairs (opdefs/box_muller.inc): out[2i], out[2i + 1] from words[2i],
// words[2i + 1]; the same bits on every ISA (and on the GPU).
using NormalF32Fn = void (*)(const uint32_t* words, int64_t pairs, float* out);

// Channel loops of the pools and of col2im (cpu/conv.cpp calls them once per window):
// `offs` holds m element offsets into a channels-last array, each the start of C
// contiguous channels.
// dst[c] = max (window_max) or mean (window_avg) over i < m of base[offs[i] + c]; m >= 1.
using WindowPoolFn = void (*)(const void* base, const int64_t* offs, int m, int64_t C, void* dst);
// dst[offs[i] + c] += src[i * src_stride + c] (src_stride 0: one row added everywhere).
using WindowAddFn = void (*)(void* dst, const int64_t* offs, int m, int64_t C, const void* src,
                             int64_t src_stride);
// dx[offs[i] + c] += dy[c] where x[offs[i] + c] is channel c's first maximum over the
// window, or every maximum with all_maxima (TF's 3-D MaxPool3DGrad; scratch: 2 * C).
using WindowMaxGradFn = void (*)(const void* x, const int64_t* offs, int m, int64_t C,
                                 const void* dy, void* dx, void* scratch, bool all_maxima);

struct KernelTable {
  const char* isa = nullptr;
  InnerLoop unary[kNumUnaryOps][kNumDTypes] = {};
  InnerLoop binary[kNumBinaryOps][kNumDTypes] = {};
  ReduceRowsFn reduce_rows[kNumReduceOps][kNumDTypes] = {};
  ReduceColsFn reduce_cols[kNumReduceOps][kNumDTypes] = {};  // not for argmax/argmin/logsumexp
  ScanFn scan[kNumScanOps][kNumDTypes] = {};  // cumulative_logsumexp: float types only
  GemmFn gemm[kNumDTypes] = {};
  // The same with A transposed: C = A^T @ B, A stored K x M with leading dimension lda
  // (float types; for products whose B stays in L2, see ops::matmul).
  GemmFn gemm_at[kNumDTypes] = {};
  AdamFn adam[kNumDTypes] = {};  // float32, float64 only
  ReduceRowsFn softmax_rows[kNumDTypes] = {};  // float32, float64: out is rows x len too
  WindowPoolFn window_max[kNumDTypes] = {};  // float32, float64 only
  WindowPoolFn window_avg[kNumDTypes] = {};
  WindowAddFn window_add[kNumDTypes] = {};
  WindowMaxGradFn window_max_grad[kNumDTypes] = {};
  PhiloxFn philox = nullptr;      // generic: one counter at a time; AVX2 8, AVX-512 16
  UniformBitsFn uniform_bits[kNumDTypes] = {};  // float32, float64 only
  NormalF32Fn normal_f32 = nullptr;
  int gemm_mr = 1;  // rows of the GEMM micro-kernel: callers split C into multiples of it
};

// Filled by the ISA translation units.
void fill_kernels_generic(KernelTable* t);
void fill_kernels_avx2(KernelTable* t);
void fill_kernels_avx512(KernelTable* t);

}  // namespace tapeflow
