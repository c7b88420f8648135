// The per-ISA kernel table: plain function pointers filled by each ISA translation
// unit (kernels_generic.cpp, kernels_avx2.cpp, kernels_avx512.cpp). No inline code
// here, so nothing compiled for one ISA can leak into another.
#pragma once
#include <cstdint>

#include "core/dtype.h"
#include "cpu/op_list.h"

namespace tapeflow {

// Inner loop of an elementwise kernel over n elements. data[0] is the output, then the
// inputs; strides[i] is operand i's stride in elements (0 for a broadcast operand).
using InnerLoop = void (*)(char** data, const int64_t* strides, int64_t n, const void* ctx);
// out[r] = reduce(in[r * len .. r * len + len)), `in` contiguous rows.
using ReduceRowsFn = void (*)(const void* in, int64_t rows, int64_t len, void* out);
// out[j] = reduce over i < len of in[i * ld + j], for j < cols.
using ReduceColsFn = void (*)(const void* in, int64_t len, int64_t cols, int64_t ld, void* out);
// C[M,N] = A[M,K] @ B[K,N], row-major with leading dimensions lda, ldb, ldc.
using GemmFn = void (*)(int64_t M, int64_t N, int64_t K, const void* A, int64_t lda,
                        const void* B, int64_t ldb, void* C, int64_t ldc);

// One Adam step over n contiguous elements (see ops::adam_update); outputs are new.
using AdamFn = void (*)(int64_t n, const void* var, const void* m, const void* v,
                        const void* g, void* var_out, void* m_out, void* v_out, double alpha,
                        double one_minus_beta1, double one_minus_beta2, double epsilon);

struct KernelTable {
  const char* isa = nullptr;
  InnerLoop unary[kNumUnaryOps][kNumDTypes] = {};
  InnerLoop binary[kNumBinaryOps][kNumDTypes] = {};
  ReduceRowsFn reduce_rows[kNumReduceOps][kNumDTypes] = {};
  ReduceColsFn reduce_cols[kNumReduceOps][kNumDTypes] = {};  // not for argmax/argmin/logsumexp
  GemmFn gemm[kNumDTypes] = {};
  AdamFn adam[kNumDTypes] = {};  // float32, float64 only
  int gemm_mr = 1;  // rows of the GEMM micro-kernel: callers split C into multiples of it
};

// Filled by the ISA translation units.
void fill_kernels_generic(KernelTable* t);
void fill_kernels_avx2(KernelTable* t);
void fill_kernels_avx512(KernelTable* t);

}  // namespace tapeflow
