// Shared by the CUDA backend's translation units (runtime, elementwise, reduce, matmul,
// data and random .cu): includes, the opdefs scalar functors, error checks, launch
// sizes, n-d indexing and item-size dispatch.
//
// CUDA backend (built when TAPEFLOW_CUDA is ON, or AUTO finds nvcc): the same op list
// and scalar functors as the CPU (opdefs/op_list.h, opdefs/functors.inc), expanded into
// grid-stride kernels; warp-shuffle tree reductions; a tiled, register-blocked GEMM
// (cuBLAS instead when linked); and the CPU's Philox stream. Everything runs on the
// legacy default stream, so kernels, copies and freed-then-reused cached blocks are
// ordered without events.
//
// Everything here sits in an anonymous namespace, so each .cu compiles its own copy: no
// device function is called across translation units (no relocatable device code).
#pragma once

#include <cuda_runtime.h>
#include <math.h>
#include <stdint.h>

#include <algorithm>
#include <limits>
#include <type_traits>
#include <vector>

#include "core/error.h"
#include "opdefs/op_list.h"
#include "opdefs/op_traits.h"
#include "cuda/cuda_backend.h"

namespace tapeflow::cuda {

namespace {

#define TAPEFLOW_HD __host__ __device__
#include "opdefs/functors.inc"
#include "opdefs/reductions.inc"

inline void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) {
    cudaGetLastError();
    raise(ErrorKind::kInternal, "[cuda] ", what, " failed: ", cudaGetErrorString(e));
  }
}
inline void check_launch(const char* what) { check(cudaGetLastError(), what); }

constexpr int kThreads = 256;
inline int blocks_for(int64_t n, int threads = kThreads) {
  const int64_t b = (n + threads - 1) / threads;
  return static_cast<int>(std::min<int64_t>(std::max<int64_t>(b, 1), int64_t{1} << 16));
}

#define GRID_STRIDE(i, n)                                                     \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); \
       i += int64_t(blockDim.x) * gridDim.x)

// ---- n-d indexing ---------------------------------------------------------------------
// Maps a linear (row-major) index over `shape` to element offsets of N operands.
constexpr int kMaxDims = 12;
template <int N>
struct Indexer {
  int ndim;
  int64_t shape[kMaxDims];
  int64_t strides[N][kMaxDims];
  __device__ void offsets(int64_t i, int64_t (&off)[N]) const {
    for (int k = 0; k < N; ++k) off[k] = 0;
    for (int d = ndim - 1; d >= 0; --d) {
      const int64_t q = d > 0 ? i / shape[d] : 0;
      const int64_t r = i - q * shape[d];
      i = q;
      for (int k = 0; k < N; ++k) off[k] += r * strides[k][d];
    }
  }
};

// Drops size-1 dimensions and merges neighbours that are contiguous for every operand,
// so a broadcast row or a transposed matrix needs one or two divisions per element.
template <int N>
Indexer<N> make_indexer(const Shape& shape, const std::array<const Strides*, N>& st) {
  Shape sh;
  std::vector<std::array<int64_t, N>> sd;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    std::array<int64_t, N> s;
    for (int k = 0; k < N; ++k) s[k] = (*st[k])[d];
    if (!sh.empty()) {
      bool merge = true;
      for (int k = 0; k < N; ++k) merge = merge && sd.back()[k] == s[k] * shape[d];
      if (merge) {
        sh.back() *= shape[d];
        sd.back() = s;
        continue;
      }
    }
    sh.push_back(shape[d]);
    sd.push_back(s);
  }
  TAPEFLOW_CHECK_KIND(sh.size() <= static_cast<size_t>(kMaxDims), kUnimplemented,
                      "[cuda] arrays of more than ", kMaxDims,
                      " non-mergeable dimensions are not supported on the GPU");
  Indexer<N> ix{};
  ix.ndim = static_cast<int>(sh.size());
  for (size_t d = 0; d < sh.size(); ++d) {
    ix.shape[d] = sh[d];
    for (int k = 0; k < N; ++k) ix.strides[k][d] = sd[d][k];
  }
  return ix;
}

// Element copies that depend on the item size only (where, gather).
template <int S> struct Word;
template <> struct Word<1> { using type = uint8_t; };
template <> struct Word<4> { using type = uint32_t; };
template <> struct Word<8> { using type = uint64_t; };
template <class Fn>
void visit_itemsize(int64_t size, Fn&& fn) {
  switch (size) {
    case 1: fn(uint8_t{}); return;
    case 4: fn(uint32_t{}); return;
    default: fn(uint64_t{}); return;
  }
}

// Device-side copy of a small host vector (batch offsets, ...), freed on scope exit.
inline Array device_vector(const std::vector<int64_t>& v, Device dev) {
  Array a = Array::empty({static_cast<int64_t>(v.size())}, DType::kInt64, dev);
  if (!v.empty()) copy_to_device(a.raw_data(), v.data(), v.size() * sizeof(int64_t), dev.index);
  return a;
}

}  // namespace

}  // namespace tapeflow::cuda
