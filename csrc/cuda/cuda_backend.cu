// CUDA backend (built when TAPEFLOW_CUDA is ON, or AUTO finds nvcc): the same op list
// and scalar functors as the CPU (opdefs/op_list.h, opdefs/functors.inc), expanded into
// grid-stride kernels; warp-shuffle tree reductions; a tiled, register-blocked GEMM
// (cuBLAS instead when linked); and the CPU's Philox stream. Everything runs on the
// legacy default stream, so kernels, copies and freed-then-reused cached blocks are
// ordered without events.
#include <cuda_runtime.h>
#include <math.h>
#include <stdint.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <mutex>
#include <type_traits>

#include <dlfcn.h>

#include "core/error.h"
#include "cpu/cpu_backend.h"
#include "opdefs/op_list.h"
#include "opdefs/op_traits.h"
#include "cuda/cuda_backend.h"

#ifndef TAPEFLOW_CUBLAS_DIR
#define TAPEFLOW_CUBLAS_DIR ""
#endif

namespace tapeflow::cuda {

namespace {

#define TAPEFLOW_HD __host__ __device__
#include "opdefs/functors.inc"
#include "opdefs/xent_row.inc"
#include "opdefs/box_muller.inc"
#include "opdefs/philox.inc"
#include "opdefs/adam.inc"

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) {
    cudaGetLastError();
    raise(ErrorKind::kInternal, "[cuda] ", what, " failed: ", cudaGetErrorString(e));
  }
}
void check_launch(const char* what) { check(cudaGetLastError(), what); }

constexpr int kThreads = 256;
int blocks_for(int64_t n, int threads = kThreads) {
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

// ---- elementwise ---------------------------------------------------------------------
#define TAPEFLOW_CUDA_UNARY_FUNCTOR(name, kind, expr)                     \
  struct U_##name {                                                       \
    template <class T> __device__ static auto apply(T x) { return expr; } \
  };
TAPEFLOW_UNARY_OPS(TAPEFLOW_CUDA_UNARY_FUNCTOR)
#undef TAPEFLOW_CUDA_UNARY_FUNCTOR
#define TAPEFLOW_CUDA_BINARY_FUNCTOR(name, kind, expr)                         \
  struct B_##name {                                                            \
    template <class T> __device__ static auto apply(T a, T b) { return expr; } \
  };
TAPEFLOW_BINARY_OPS(TAPEFLOW_CUDA_BINARY_FUNCTOR)
#undef TAPEFLOW_CUDA_BINARY_FUNCTOR

template <class F, class T, class R>
__global__ void unary_flat(const T* __restrict__ in, R* __restrict__ out, int64_t n) {
  GRID_STRIDE(i, n) out[i] = static_cast<R>(F::apply(in[i]));
}
template <class F, class T, class R>
__global__ void unary_nd(const T* __restrict__ in, R* __restrict__ out, Indexer<1> ix, int64_t n) {
  GRID_STRIDE(i, n) {
    int64_t off[1];
    ix.offsets(i, off);
    out[i] = static_cast<R>(F::apply(in[off[0]]));
  }
}
template <class F, class T, class R>
__global__ void binary_flat(const T* __restrict__ a, const T* __restrict__ b, R* __restrict__ out,
                            int64_t n) {
  GRID_STRIDE(i, n) out[i] = static_cast<R>(F::apply(a[i], b[i]));
}
template <class F, class T, class R>
__global__ void binary_nd(const T* __restrict__ a, const T* __restrict__ b, R* __restrict__ out,
                          Indexer<2> ix, int64_t n) {
  GRID_STRIDE(i, n) {
    int64_t off[2];
    ix.offsets(i, off);
    out[i] = static_cast<R>(F::apply(a[off[0]], b[off[1]]));
  }
}

template <class F, class T, class R>
void launch_unary(const Array& x, const Array& out) {
  const int64_t n = out.size();
  if (x.is_contiguous()) {
    unary_flat<F, T, R><<<blocks_for(n), kThreads>>>(x.data<T>(), out.data<R>(), n);
  } else {
    const auto ix = make_indexer<1>(x.shape(), {&x.strides()});
    unary_nd<F, T, R><<<blocks_for(n), kThreads>>>(x.data<T>(), out.data<R>(), ix, n);
  }
  check_launch("unary kernel");
}
template <class F, class T, class R>
void launch_binary(const Array& a, const Array& b, const Array& out) {
  const int64_t n = out.size();
  if (a.is_contiguous() && b.is_contiguous()) {
    binary_flat<F, T, R><<<blocks_for(n), kThreads>>>(a.data<T>(), b.data<T>(), out.data<R>(), n);
  } else {
    const auto ix = make_indexer<2>(out.shape(), {&a.strides(), &b.strides()});
    binary_nd<F, T, R><<<blocks_for(n), kThreads>>>(a.data<T>(), b.data<T>(), out.data<R>(), ix, n);
  }
  check_launch("binary kernel");
}

using UnaryLaunch = void (*)(const Array&, const Array&);
using BinaryLaunch = void (*)(const Array&, const Array&, const Array&);
struct ElementwiseTable {
  UnaryLaunch unary[kNumUnaryOps][kNumDTypes] = {};
  BinaryLaunch binary[kNumBinaryOps][kNumDTypes] = {};
};

template <OpKind K, class F, class T>
void set_unary(UnaryLaunch* row) {
  if constexpr (Accepts<K, T>::value)
    row[static_cast<int>(dtype_of<T>::value)] = &launch_unary<F, T, typename Result<K, T>::type>;
}
template <OpKind K, class F, class T>
void set_binary(BinaryLaunch* row) {
  if constexpr (Accepts<K, T>::value)
    row[static_cast<int>(dtype_of<T>::value)] = &launch_binary<F, T, typename Result<K, T>::type>;
}
template <class T>
void fill_table(ElementwiseTable* t) {
#define TAPEFLOW_SET_UNARY(name, kind, expr) \
  set_unary<OpKind::kind, U_##name, T>(t->unary[static_cast<int>(UnaryOp::name)]);
  TAPEFLOW_UNARY_OPS(TAPEFLOW_SET_UNARY)
#undef TAPEFLOW_SET_UNARY
#define TAPEFLOW_SET_BINARY(name, kind, expr) \
  set_binary<OpKind::kind, B_##name, T>(t->binary[static_cast<int>(BinaryOp::name)]);
  TAPEFLOW_BINARY_OPS(TAPEFLOW_SET_BINARY)
#undef TAPEFLOW_SET_BINARY
}
const ElementwiseTable& table() {
  static const ElementwiseTable t = [] {
    ElementwiseTable made;
    fill_table<float>(&made);
    fill_table<double>(&made);
    fill_table<int32_t>(&made);
    fill_table<int64_t>(&made);
    fill_table<bool>(&made);
    return made;
  }();
  return t;
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

template <class W>
__global__ void where_kernel(const bool* c, const W* a, const W* b, W* out, Indexer<3> ix,
                             int64_t n) {
  GRID_STRIDE(i, n) {
    int64_t off[3];
    ix.offsets(i, off);
    out[i] = c[off[0]] ? a[off[1]] : b[off[2]];
  }
}

template <class From, class To>
__device__ To convert(From x) {
  if constexpr (std::is_same_v<To, bool>) return x != From(0);
  else return static_cast<To>(x);
}
template <class From, class To>
__global__ void copy_cast_kernel(To* dst, const From* src, Indexer<2> ix, int64_t n) {
  GRID_STRIDE(i, n) {
    int64_t off[2];
    ix.offsets(i, off);
    dst[off[0]] = convert<From, To>(src[off[1]]);
  }
}
template <class From, class To>
__global__ void copy_cast_flat(To* __restrict__ dst, const From* __restrict__ src, int64_t n) {
  GRID_STRIDE(i, n) dst[i] = convert<From, To>(src[i]);
}

template <class T>
__global__ void fill_kernel(T* out, T value, int64_t n) {
  GRID_STRIDE(i, n) out[i] = value;
}

// ---- reductions ----------------------------------------------------------------------
template <class T> __device__ T lowest_of() {
  if constexpr (std::is_same_v<T, float>) return -INFINITY;
  else if constexpr (std::is_same_v<T, double>) return -HUGE_VAL;
  else if constexpr (std::is_same_v<T, int32_t>) return INT32_MIN;
  else if constexpr (std::is_same_v<T, int64_t>) return INT64_MIN;
  else return T(0);
}
template <class T> __device__ T highest_of() {
  if constexpr (std::is_same_v<T, float>) return INFINITY;
  else if constexpr (std::is_same_v<T, double>) return HUGE_VAL;
  else if constexpr (std::is_same_v<T, int32_t>) return INT32_MAX;
  else if constexpr (std::is_same_v<T, int64_t>) return INT64_MAX;
  else return T(1);
}

struct RSum {
  template <class T> __device__ static T init() { return T(0); }
  template <class T> __device__ static T op(T a, T b) { return a + b; }
};
struct RProd {
  template <class T> __device__ static T init() { return T(1); }
  template <class T> __device__ static T op(T a, T b) { return a * b; }
};
struct RMax {
  template <class T> __device__ static T init() { return lowest_of<T>(); }
  template <class T> __device__ static T op(T a, T b) { return tf_max(a, b); }
};
struct RMin {
  template <class T> __device__ static T init() { return highest_of<T>(); }
  template <class T> __device__ static T op(T a, T b) { return tf_min(a, b); }
};
struct RAny {
  template <class T> __device__ static T init() { return false; }
  template <class T> __device__ static T op(T a, T b) { return a || b; }
};
struct RAll {
  template <class T> __device__ static T init() { return true; }
  template <class T> __device__ static T op(T a, T b) { return a && b; }
};

template <class T>
__device__ T shfl_down(T v, int offset) {
  if constexpr (std::is_same_v<T, bool>) {
    return __shfl_down_sync(0xffffffffu, static_cast<int>(v), offset) != 0;
  } else if constexpr (std::is_same_v<T, int64_t>) {
    return static_cast<int64_t>(__shfl_down_sync(0xffffffffu, static_cast<long long>(v), offset));
  } else {
    return __shfl_down_sync(0xffffffffu, v, offset);
  }
}

// Tree reduction of one value per thread; the result is valid in thread 0. blockDim.x
// is a multiple of 32 (at most 1024); `smem` holds 32 values.
template <class R, class T>
__device__ T block_reduce(T v, T* smem) {
  for (int o = 16; o > 0; o >>= 1) v = R::op(v, shfl_down(v, o));
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) smem[warp] = v;
  __syncthreads();
  const int warps = blockDim.x >> 5;
  v = threadIdx.x < warps ? smem[lane] : R::template init<T>();
  if (warp == 0)
    for (int o = 16; o > 0; o >>= 1) v = R::op(v, shfl_down(v, o));
  __syncthreads();  // smem may be reused by the caller
  return v;
}

// out[b] = reduce(x[row(b)][range(b)]): block b reduces part c = b % parts of row
// b / parts (parts = 1: whole rows).
template <class R, class T>
__global__ void reduce_rows_kernel(const T* __restrict__ x, int64_t rows, int64_t len,
                                   int64_t parts, T* __restrict__ out) {
  __shared__ T smem[32];
  for (int64_t b = blockIdx.x; b < rows * parts; b += gridDim.x) {
    const int64_t r = b / parts, c = b % parts;
    const int64_t begin = len * c / parts, end = len * (c + 1) / parts;
    const T* row = x + r * len;
    // Four independent accumulators keep four loads in flight per thread.
    T a0 = R::template init<T>(), a1 = a0, a2 = a0, a3 = a0;
    const int64_t step = blockDim.x;
    int64_t i = begin + threadIdx.x;
    for (; i + 3 * step < end; i += 4 * step) {
      a0 = R::op(a0, row[i]);
      a1 = R::op(a1, row[i + step]);
      a2 = R::op(a2, row[i + 2 * step]);
      a3 = R::op(a3, row[i + 3 * step]);
    }
    for (; i < end; i += step) a0 = R::op(a0, row[i]);
    T acc = block_reduce<R>(R::op(R::op(a0, a1), R::op(a2, a3)), smem);
    if (threadIdx.x == 0) out[b] = acc;
  }
}

// x (len, cols) row-major, reduced over len: one thread per column, coalesced.
template <class R, class T>
__global__ void reduce_cols_kernel(const T* __restrict__ x, int64_t len, int64_t cols,
                                   T* __restrict__ out) {
  GRID_STRIDE(j, cols) {
    T acc = R::template init<T>();
    for (int64_t i = 0; i < len; ++i) acc = R::op(acc, x[i * cols + j]);
    out[j] = acc;
  }
}

template <class T>
__global__ void logsumexp_kernel(const T* __restrict__ x, int64_t rows, int64_t len,
                                 T* __restrict__ out) {
  __shared__ T smem[32];
  __shared__ T row_max;
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* row = x + r * len;
    T m = lowest_of<T>();
    for (int64_t i = threadIdx.x; i < len; i += blockDim.x) m = tf_max(m, row[i]);
    m = block_reduce<RMax>(m, smem);
    if (threadIdx.x == 0) row_max = m;
    __syncthreads();
    m = row_max;
    T s = T(0);
    if (tf_isfinite(m))
      for (int64_t i = threadIdx.x; i < len; i += blockDim.x) s += tf_exp(row[i] - m);
    s = block_reduce<RSum>(s, smem);
    // all -inf -> -inf; any +inf -> +inf; NaN -> NaN (as the CPU kernel)
    if (threadIdx.x == 0) out[r] = tf_isfinite(m) ? m + tf_log(s) : m;
  }
}

// First index of the max (min); a NaN counts as the extreme, as numpy and the CPU.
template <bool kMax, class T>
__device__ void arg_pick(T& bv, int64_t& bi, T v, int64_t i) {
  if (i < 0) return;
  if (bi < 0) { bv = v; bi = i; return; }
  const bool bnan = bv != bv, vnan = v != v;
  bool take;
  if (bnan || vnan) take = vnan && (!bnan || i < bi);
  else if (v == bv) take = i < bi;
  else take = kMax ? v > bv : v < bv;
  if (take) { bv = v; bi = i; }
}
template <bool kMax, class T>
__global__ void arg_kernel(const T* __restrict__ x, int64_t rows, int64_t len,
                           int64_t* __restrict__ out) {
  __shared__ T sv[32];
  __shared__ int64_t si[32];
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* row = x + r * len;
    T bv = T(0);
    int64_t bi = -1;
    for (int64_t i = threadIdx.x; i < len; i += blockDim.x) arg_pick<kMax>(bv, bi, row[i], i);
    for (int o = 16; o > 0; o >>= 1) {
      const T ov = shfl_down(bv, o);
      const int64_t oi = shfl_down(bi, o);
      arg_pick<kMax>(bv, bi, ov, oi);
    }
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) { sv[warp] = bv; si[warp] = bi; }
    __syncthreads();
    if (warp == 0) {
      const int warps = blockDim.x >> 5;
      bv = lane < warps ? sv[lane] : T(0);
      bi = lane < warps ? si[lane] : -1;
      for (int o = 16; o > 0; o >>= 1) {
        const T ov = shfl_down(bv, o);
        const int64_t oi = shfl_down(bi, o);
        arg_pick<kMax>(bv, bi, ov, oi);
      }
      if (lane == 0) out[r] = bi;
    }
    __syncthreads();
  }
}

int threads_for_len(int64_t len) {
  int t = 32;
  while (t < 256 && t < len) t *= 2;
  return t;
}

template <class R, class T>
void launch_reduce(const Array& x, int64_t O, int64_t len, bool cols, const Array& out) {
  const T* px = x.data<T>();
  T* po = out.data<T>();
  if (cols) {
    if (O >= 1024 || len <= 64) {
      reduce_cols_kernel<R, T><<<blocks_for(O), kThreads>>>(px, len, O, po);
      check_launch("reduce kernel");
      return;
    }
    // Few, long columns: transpose to rows first.
    Array xt = Array::empty({O, len}, x.dtype(), x.device());
    copy_cast(xt, x.view({O, len}, {1, O}, x.offset()));
    launch_reduce<R, T>(xt, O, len, false, out);
    return;
  }
  const int threads = threads_for_len(len);
  // Few long rows: split each row over many blocks, then reduce the partial results.
  if (O < 256 && len >= 16384) {
    const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(len / 4096, 2048 / O));
    Array partial = Array::empty({O, parts}, x.dtype(), x.device());
    reduce_rows_kernel<R, T><<<blocks_for(O * parts, 1), 256>>>(px, O, len, parts,
                                                               partial.data<T>());
    check_launch("reduce kernel");
    reduce_rows_kernel<R, T><<<blocks_for(O, 1), threads_for_len(parts)>>>(
        partial.data<T>(), O, parts, 1, po);
    check_launch("reduce kernel");
    return;
  }
  reduce_rows_kernel<R, T><<<blocks_for(O, 1), threads>>>(px, O, len, 1, po);
  check_launch("reduce kernel");
}

// ---- scans ---------------------------------------------------------------------------
// The CPU's scan steps (cpu/kernels_impl.inc), in the same order: the same numbers.
struct SCumsum {
  template <class T> __device__ static T init() { return T(0); }
  template <class T> __device__ static T step(T acc, T x) { return acc + x; }
};
struct SCumprod {
  template <class T> __device__ static T init() { return T(1); }
  template <class T> __device__ static T step(T acc, T x) { return acc * x; }
};
struct SCumulativeLogsumexp {
  template <class T> __device__ static T init() { return lowest_of<T>(); }
  template <class T> __device__ static T step(T acc, T x) {
    const T mi = x < acc ? x : acc, ma = acc < x ? x : acc;
    return ma == lowest_of<T>() ? ma : ma + tf_log1p(tf_exp(mi - ma));
  }
};

// One thread per (outer, inner) line; neighbouring threads take neighbouring columns,
// so every step's loads and stores coalesce when inner > 1.
template <class S, class T>
__global__ void scan_kernel(const T* __restrict__ x, T* __restrict__ y, int64_t outer,
                            int64_t len, int64_t inner, bool exclusive, bool reverse) {
  GRID_STRIDE(line, outer * inner) {
    const int64_t o = line / inner, j = line - o * inner;
    const int64_t step = reverse ? -inner : inner;
    const int64_t first = o * len * inner + j + (reverse ? (len - 1) * inner : 0);
    T acc = S::template init<T>();
    for (int64_t k = 0; k < len; ++k) {
      const int64_t at = first + k * step;
      const T v = x[at];
      if (exclusive) {
        y[at] = acc;
        acc = S::template step<T>(acc, v);
      } else {
        acc = S::template step<T>(acc, v);
        y[at] = acc;
      }
    }
  }
}

template <class S, class T>
void launch_scan(const Array& x, const Array& out, int64_t outer, int64_t len, int64_t inner,
                 bool exclusive, bool reverse) {
  scan_kernel<S, T><<<blocks_for(outer * inner), kThreads>>>(x.data<T>(), out.data<T>(), outer,
                                                            len, inner, exclusive, reverse);
  check_launch("scan kernel");
}

// ---- matmul --------------------------------------------------------------------------
// C (M, N) = A (M, K) @ B (K, N), all row-major contiguous. 128x128 tiles of C per block
// of 256 threads, each thread an 8x8 register block; 8-deep slices of A (stored
// transposed) and B in shared memory. Batches in blockIdx.z with per-batch offsets.
constexpr int kBM = 128, kBN = 128, kBK = 8, kTM = 8, kTN = 8;

template <class T>
__global__ void __launch_bounds__(256) gemm_tiled(const T* __restrict__ A, const T* __restrict__ B,
                                                  T* __restrict__ C, int64_t M, int64_t N,
                                                  int64_t K, const int64_t* __restrict__ aoff,
                                                  const int64_t* __restrict__ boff, int64_t batches) {
  // A is stored transposed and padded (+4): the 8 threads that load one row of A write
  // 8 different banks. Each thread owns rows ty*8+i and columns tx+16*j of the tile, so
  // a warp reads 16 consecutive words of B (no bank conflicts) and 2 of A (broadcast).
  __shared__ T As[kBK][kBM + 4];
  __shared__ T Bs[kBK][kBN];
  const int tid = threadIdx.x;
  const int ty = tid / 16, tx = tid % 16;
  for (int64_t bz = blockIdx.z; bz < batches; bz += gridDim.z) {
    const T* a = A + (aoff ? aoff[bz] : 0);
    const T* b = B + (boff ? boff[bz] : 0);
    T* c = C + bz * M * N;
    const int64_t m0 = int64_t(blockIdx.y) * kBM, n0 = int64_t(blockIdx.x) * kBN;
    T acc[kTM][kTN];
    for (int i = 0; i < kTM; ++i)
      for (int j = 0; j < kTN; ++j) acc[i][j] = T(0);
    for (int64_t k0 = 0; k0 < K; k0 += kBK) {
#pragma unroll
      for (int l = 0; l < (kBM * kBK) / 256; ++l) {
        const int idx = tid + l * 256;
        const int r = idx / kBK, cc = idx % kBK;
        const int64_t gm = m0 + r, gk = k0 + cc;
        As[cc][r] = (gm < M && gk < K) ? a[gm * K + gk] : T(0);
      }
#pragma unroll
      for (int l = 0; l < (kBK * kBN) / 256; ++l) {
        const int idx = tid + l * 256;
        const int r = idx / kBN, cc = idx % kBN;
        const int64_t gk = k0 + r, gn = n0 + cc;
        Bs[r][cc] = (gk < K && gn < N) ? b[gk * N + gn] : T(0);
      }
      __syncthreads();
#pragma unroll
      for (int kk = 0; kk < kBK; ++kk) {
        T ra[kTM], rb[kTN];
#pragma unroll
        for (int i = 0; i < kTM; ++i) ra[i] = As[kk][ty * kTM + i];
#pragma unroll
        for (int j = 0; j < kTN; ++j) rb[j] = Bs[kk][tx + 16 * j];
#pragma unroll
        for (int i = 0; i < kTM; ++i)
#pragma unroll
          for (int j = 0; j < kTN; ++j) acc[i][j] += ra[i] * rb[j];
      }
      __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < kTM; ++i) {
      const int64_t gm = m0 + ty * kTM + i;
      if (gm >= M) continue;
#pragma unroll
      for (int j = 0; j < kTN; ++j) {
        const int64_t gn = n0 + tx + 16 * j;
        if (gn < N) c[gm * N + gn] = acc[i][j];
      }
    }
  }
}

// float32 when K and N are multiples of 4 and A, B are 16-byte aligned: the same tiling
// with 128-bit loads (global and shared), and double-buffered shared memory filled from
// registers prefetched one slice ahead, so each slice costs one barrier. Each thread owns
// rows {ty*4, 64+ty*4} + 0..3 and columns {tx*4, 64+tx*4} + 0..3 of the tile.
__global__ void __launch_bounds__(256) gemm_f32_vec(const float* __restrict__ A,
                                                    const float* __restrict__ B,
                                                    float* __restrict__ C, int64_t M, int64_t N,
                                                    int64_t K, const int64_t* __restrict__ aoff,
                                                    const int64_t* __restrict__ boff,
                                                    int64_t batches) {
  __shared__ __align__(16) float As[2][kBK][kBM + 4];
  __shared__ __align__(16) float Bs[2][kBK][kBN];
  const int tid = threadIdx.x;
  const int ty = tid / 16, tx = tid % 16;
  const int ar = tid / 2, ak = (tid % 2) * 4;    // this thread's float4 of the A slice
  const int br = tid / 32, bc = (tid % 32) * 4;  // and of the B slice
  const float4 zero = make_float4(0.f, 0.f, 0.f, 0.f);
  for (int64_t bz = blockIdx.z; bz < batches; bz += gridDim.z) {
    const float* a = A + (aoff ? aoff[bz] : 0);
    const float* b = B + (boff ? boff[bz] : 0);
    float* c = C + bz * M * N;
    const int64_t m0 = int64_t(blockIdx.y) * kBM, n0 = int64_t(blockIdx.x) * kBN;
    float4 ga = zero, gb = zero;
    auto load = [&](int64_t k0) {
      const int64_t gm = m0 + ar, gk = k0 + ak;
      ga = (gm < M && gk < K) ? *reinterpret_cast<const float4*>(a + gm * K + gk) : zero;
      const int64_t gk2 = k0 + br, gn = n0 + bc;
      gb = (gk2 < K && gn < N) ? *reinterpret_cast<const float4*>(b + gk2 * N + gn) : zero;
    };
    auto store = [&](int buf) {
      As[buf][ak + 0][ar] = ga.x;
      As[buf][ak + 1][ar] = ga.y;
      As[buf][ak + 2][ar] = ga.z;
      As[buf][ak + 3][ar] = ga.w;
      *reinterpret_cast<float4*>(&Bs[buf][br][bc]) = gb;
    };
    float acc[8][8];
#pragma unroll
    for (int i = 0; i < 8; ++i)
#pragma unroll
      for (int j = 0; j < 8; ++j) acc[i][j] = 0.f;
    load(0);
    store(0);
    __syncthreads();
    int buf = 0;
    for (int64_t k0 = 0; k0 < K; k0 += kBK) {
      const bool more = k0 + kBK < K;
      if (more) load(k0 + kBK);
#pragma unroll
      for (int kk = 0; kk < kBK; ++kk) {
        const float4 a0 = *reinterpret_cast<const float4*>(&As[buf][kk][ty * 4]);
        const float4 a1 = *reinterpret_cast<const float4*>(&As[buf][kk][64 + ty * 4]);
        const float4 b0 = *reinterpret_cast<const float4*>(&Bs[buf][kk][tx * 4]);
        const float4 b1 = *reinterpret_cast<const float4*>(&Bs[buf][kk][64 + tx * 4]);
        const float ra[8] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
        const float rb[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
        for (int i = 0; i < 8; ++i)
#pragma unroll
          for (int j = 0; j < 8; ++j) acc[i][j] += ra[i] * rb[j];
      }
      if (more) store(buf ^ 1);
      __syncthreads();
      buf ^= 1;
    }
#pragma unroll
    for (int i = 0; i < 8; ++i) {
      const int64_t gm = m0 + (i < 4 ? ty * 4 + i : 64 + ty * 4 + i - 4);
      if (gm >= M) continue;
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const int64_t gn = n0 + h * 64 + tx * 4;
        if (gn < N)
          *reinterpret_cast<float4*>(c + gm * N + gn) =
              make_float4(acc[i][h * 4], acc[i][h * 4 + 1], acc[i][h * 4 + 2], acc[i][h * 4 + 3]);
      }
    }
  }
}

bool g_use_cublas = true;

// cuBLAS, opened at run time with RTLD_LOCAL rather than linked: the library is optional
// (tapeflow builds and runs without it), and nothing it exports can interpose on the
// symbols this module binds (libstdc++'s among them). Signatures as in cublas_api.h.
struct Cublas {
  using Handle = void*;
  using Sgemm = int (*)(Handle, int, int, int, int, int, const float*, const float*, int,
                        long long, const float*, int, long long, const float*, float*, int,
                        long long, int);
  using Dgemm = int (*)(Handle, int, int, int, int, int, const double*, const double*, int,
                        long long, const double*, int, long long, const double*, double*, int,
                        long long, int);
  Handle handle = nullptr;
  Sgemm sgemm = nullptr;
  Dgemm dgemm = nullptr;
  bool ok = false;
};

const Cublas& cublas() {
  static const Cublas c = [] {
    Cublas made;
#ifdef TAPEFLOW_NO_CUBLAS
    return made;
#endif
    void* lib = nullptr;
    const std::string dir = TAPEFLOW_CUBLAS_DIR;
    for (const std::string& name : {dir.empty() ? std::string() : dir + "/libcublas.so",
                                     std::string("libcublas.so.13"), std::string("libcublas.so.12"),
                                     std::string("libcublas.so")}) {
      if (!name.empty() && (lib = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL)) != nullptr) break;
    }
    if (lib == nullptr) return made;
    using Create = int (*)(Cublas::Handle*);
    const auto create = reinterpret_cast<Create>(dlsym(lib, "cublasCreate_v2"));
    made.sgemm = reinterpret_cast<Cublas::Sgemm>(dlsym(lib, "cublasSgemmStridedBatched"));
    made.dgemm = reinterpret_cast<Cublas::Dgemm>(dlsym(lib, "cublasDgemmStridedBatched"));
    made.ok = create && made.sgemm && made.dgemm && create(&made.handle) == 0;
    return made;
  }();
  return c;
}

// Row-major C = A @ B is column-major C^T = B^T @ A^T: swap the operands. Returns false
// (the tiled kernel runs instead) for batches whose offsets are not evenly strided.
template <class T>
bool cublas_gemm(const T* A, const T* B, T* C, int64_t M, int64_t N, int64_t K,
                 const std::vector<int64_t>& aoff, const std::vector<int64_t>& boff) {
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    if (!g_use_cublas || M > INT32_MAX || N > INT32_MAX || K > INT32_MAX) return false;
    const Cublas& cb = cublas();
    if (!cb.ok) return false;
    const T one = 1, zero = 0;
    const int64_t nb = static_cast<int64_t>(aoff.size());
    auto strided = [&](const std::vector<int64_t>& off, int64_t* stride) {
      *stride = nb > 1 ? off[1] - off[0] : 0;
      for (int64_t i = 1; i < nb; ++i)
        if (off[i] - off[i - 1] != *stride) return false;
      return true;
    };
    int64_t sa = 0, sb = 0;
    if (nb > INT32_MAX || !strided(aoff, &sa) || !strided(boff, &sb)) return false;
    constexpr int kOpN = 0;  // CUBLAS_OP_N
    int st;
    if constexpr (std::is_same_v<T, float>) {
      st = cb.sgemm(cb.handle, kOpN, kOpN, int(N), int(M), int(K), &one, B + boff[0], int(N), sb,
                    A + aoff[0], int(K), sa, &zero, C, int(N), M * N, int(nb));
    } else {
      st = cb.dgemm(cb.handle, kOpN, kOpN, int(N), int(M), int(K), &one, B + boff[0], int(N), sb,
                    A + aoff[0], int(K), sa, &zero, C, int(N), M * N, int(nb));
    }
    if (st != 0) raise(ErrorKind::kInternal, "[cuda] cuBLAS gemm failed with status ", st);
    return true;
  }
  return false;
}

// ---- gather / scatter / one_hot ------------------------------------------------------
template <class W>
__global__ void gather_kernel(const W* __restrict__ in, W* __restrict__ out,
                              const int64_t* __restrict__ idx, int64_t nidx, int64_t n,
                              int64_t inner, int64_t total) {
  GRID_STRIDE(i, total) {
    const int64_t k = i % inner, t = i / inner;
    const int64_t j = t % nidx, o = t / nidx;
    out[i] = in[(o * n + idx[j]) * inner + k];
  }
}

__device__ void atomic_add(float* p, float v) { atomicAdd(p, v); }
__device__ void atomic_add(double* p, double v) { atomicAdd(p, v); }
__device__ void atomic_add(int32_t* p, int32_t v) { atomicAdd(p, v); }
__device__ void atomic_add(int64_t* p, int64_t v) {
  atomicAdd(reinterpret_cast<unsigned long long*>(p), static_cast<unsigned long long>(v));
}
template <class T>
__global__ void scatter_add_kernel(const T* __restrict__ upd, T* out, const int64_t* __restrict__ idx,
                                   int64_t nidx, int64_t n, int64_t inner, int64_t total) {
  GRID_STRIDE(i, total) {
    const int64_t k = i % inner, t = i / inner;
    const int64_t j = t % nidx, o = t / nidx;
    atomic_add(out + (o * n + idx[j]) * inner + k, upd[i]);
  }
}

template <class T>
__global__ void one_hot_kernel(const int64_t* __restrict__ idx, T* out, int64_t rows,
                               int64_t depth, T on) {
  GRID_STRIDE(i, rows) {
    const int64_t v = idx[i];
    if (v >= 0 && v < depth) out[i * depth + v] = on;
  }
}

// ---- fused losses and optimizer -------------------------------------------------------
template <class T>
__global__ void xent_kernel(const T* __restrict__ x, const int64_t* __restrict__ labels,
                            T* __restrict__ loss, T* __restrict__ bp, int64_t rows,
                            int64_t classes) {
  GRID_STRIDE(r, rows) sparse_xent_row(x + r * classes, classes, labels[r], loss + r, bp + r * classes);
}

template <class T>
__global__ void adam_kernel(int64_t n, const T* __restrict__ pv, const T* __restrict__ pm,
                            const T* __restrict__ pvv, const T* __restrict__ pg, T* __restrict__ ov,
                            T* __restrict__ om, T* __restrict__ ovv, T a, T b1, T b2, T eps) {
  GRID_STRIDE(i, n) adam_element(pv[i], pm[i], pvv[i], pg[i], a, b1, b2, eps, ov + i, om + i, ovv + i);
}

// ---- Philox (opdefs/philox.inc, shared with the CPU) -----------------------------------
struct Ctr { uint32_t w[4]; };

__device__ Ctr philox(Ctr ctr, uint32_t k0, uint32_t k1) {
  Ctr out;
  philox_block(ctr.w, k0, k1, out.w);
  return out;
}
__device__ Ctr ctr_add(Ctr c, uint64_t n) {
  philox_counter_add(c.w, n);
  return c;
}
__device__ float u32_to_float(uint32_t x) {
  return __uint_as_float((127u << 23) | (x & 0x7fffffu)) - 1.0f;
}
__device__ double u64_to_double(uint32_t x0, uint32_t x1) {
  const uint64_t man = (static_cast<uint64_t>(x0 & 0xfffffu) << 32) | x1;
  return __longlong_as_double(static_cast<long long>((uint64_t{1023} << 52) | man)) - 1.0;
}
// float32: the CPU's transform itself (opdefs/box_muller.inc, explicit fmaf only), so
// the stream matches bit for bit. float64: CUDA's double log/sin/cos, which may differ
// from glibc's in the last bit.
__device__ void box_muller(uint32_t x0, uint32_t x1, float* f0, float* f1) {
  box_muller_pair(x0, x1, f0, f1);
}
__device__ void box_muller(uint32_t x0, uint32_t x1, uint32_t x2, uint32_t x3, double* d0,
                           double* d1) {
  double u1 = u64_to_double(x0, x1);
  if (u1 < 1.0e-7) u1 = 1.0e-7;
  const double v1 = __dmul_rn(2.0 * M_PI, u64_to_double(x2, x3));
  const double u2 = __dsqrt_rn(__dmul_rn(-2.0, log(u1)));
  *d0 = __dmul_rn(sin(v1), u2);
  *d1 = __dmul_rn(cos(v1), u2);
}

template <class T>
__global__ void random_kernel(T* out, int64_t n, int kind, uint32_t k0, uint32_t k1, Ctr start,
                              int64_t lo, uint64_t range, int per, uint64_t group_blocks) {
  const int64_t groups = (n + per - 1) / per;
  GRID_STRIDE(g, groups) {
    T* o = out + g * per;
    const int count = static_cast<int>(n - g * per < per ? n - g * per : per);
    if (kind == static_cast<int>(cpu::RandomKind::kTruncatedNormal)) {
      if constexpr (std::is_floating_point_v<T>) {
        Ctr c = ctr_add(start, static_cast<uint64_t>(g) * group_blocks);
        Ctr w{};
        int pos = 4, kept = 0;
        auto next = [&]() {
          if (pos == 4) {
            w = philox(c, k0, k1);
            c = ctr_add(c, 1);
            pos = 0;
          }
          return w.w[pos++];
        };
        for (uint64_t pairs = 0; kept < count && pairs < group_blocks * 2; ++pairs) {
          T f[2];
          if constexpr (std::is_same_v<T, float>) {
            const uint32_t x0 = next(), x1 = next();
            box_muller(x0, x1, &f[0], &f[1]);
          } else {
            const uint32_t x0 = next(), x1 = next(), x2 = next(), x3 = next();
            box_muller(x0, x1, x2, x3, &f[0], &f[1]);
          }
          for (int j = 0; j < 2 && kept < count; ++j)
            if (fabs(f[j]) < T(2)) o[kept++] = f[j];
        }
        for (; kept < count; ++kept) o[kept] = T(0);
      }
      continue;
    }
    const Ctr w = philox(ctr_add(start, static_cast<uint64_t>(g)), k0, k1);
    if constexpr (std::is_same_v<T, float>) {
      if (kind == static_cast<int>(cpu::RandomKind::kUniform)) {
        for (int j = 0; j < count; ++j) o[j] = u32_to_float(w.w[j]);
      } else {
        float f[4];
        box_muller(w.w[0], w.w[1], &f[0], &f[1]);
        box_muller(w.w[2], w.w[3], &f[2], &f[3]);
        for (int j = 0; j < count; ++j) o[j] = f[j];
      }
    } else if constexpr (std::is_same_v<T, double>) {
      if (kind == static_cast<int>(cpu::RandomKind::kUniform)) {
        for (int j = 0; j < count; ++j) o[j] = u64_to_double(w.w[2 * j], w.w[2 * j + 1]);
      } else {
        double d[2];
        box_muller(w.w[0], w.w[1], w.w[2], w.w[3], &d[0], &d[1]);
        for (int j = 0; j < count; ++j) o[j] = d[j];
      }
    } else if constexpr (std::is_same_v<T, int32_t>) {
      for (int j = 0; j < count; ++j)
        o[j] = static_cast<int32_t>(static_cast<uint32_t>(lo) + w.w[j] % static_cast<uint32_t>(range));
    } else if constexpr (std::is_same_v<T, int64_t>) {
      for (int j = 0; j < count; ++j) {
        const uint64_t bits = w.w[2 * j] | (static_cast<uint64_t>(w.w[2 * j + 1]) << 32);
        o[j] = static_cast<int64_t>(static_cast<uint64_t>(lo) + bits % range);
      }
    }
  }
}

// Device-side copy of a small host vector (batch offsets, ...), freed on scope exit.
Array device_vector(const std::vector<int64_t>& v, Device dev) {
  Array a = Array::empty({static_cast<int64_t>(v.size())}, DType::kInt64, dev);
  if (!v.empty()) copy_to_device(a.raw_data(), v.data(), v.size() * sizeof(int64_t), dev.index);
  return a;
}

}  // namespace

// ---- runtime ----------------------------------------------------------------------------

int device_count() {
  static const int n = [] {
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess) {
      cudaGetLastError();  // clear the sticky "no device" error
      return 0;
    }
    return count;
  }();
  return n;
}

std::string device_name(int index) {
  cudaDeviceProp prop{};
  check(cudaGetDeviceProperties(&prop, index), "cudaGetDeviceProperties");
  return prop.name;
}

bool has_cublas() { return device_count() > 0 && cublas().ok; }

void set_use_cublas(bool on) { g_use_cublas = on; }

void* raw_malloc(size_t nbytes, int device) {
  check(cudaSetDevice(device), "cudaSetDevice");
  void* p = nullptr;
  if (cudaMalloc(&p, nbytes) != cudaSuccess) {
    cudaGetLastError();
    return nullptr;
  }
  return p;
}

void raw_free(void* p, int device) noexcept {
  if (cudaSetDevice(device) == cudaSuccess) cudaFree(p);
  cudaGetLastError();
}

void copy_to_device(void* dst, const void* src, size_t nbytes, int device) {
  check(cudaSetDevice(device), "cudaSetDevice");
  check(cudaMemcpy(dst, src, nbytes, cudaMemcpyHostToDevice), "copy to the GPU");
}
void copy_to_host(void* dst, const void* src, size_t nbytes, int device) {
  check(cudaSetDevice(device), "cudaSetDevice");
  check(cudaMemcpy(dst, src, nbytes, cudaMemcpyDeviceToHost), "copy from the GPU");
}
void synchronize(int device) {
  check(cudaSetDevice(device), "cudaSetDevice");
  check(cudaDeviceSynchronize(), "synchronize");
}

// ---- kernels ------------------------------------------------------------------------------

void unary(UnaryOp op, const Array& x, const Array& out) {
  if (out.size() == 0) return;
  const UnaryLaunch fn = table().unary[static_cast<int>(op)][static_cast<int>(x.dtype())];
  TAPEFLOW_CHECK_KIND(fn != nullptr, kInternal, "[cuda] no unary kernel for this dtype");
  fn(x, out);
}

void binary(BinaryOp op, const Array& a, const Array& b, const Array& out) {
  if (out.size() == 0) return;
  const BinaryLaunch fn = table().binary[static_cast<int>(op)][static_cast<int>(a.dtype())];
  TAPEFLOW_CHECK_KIND(fn != nullptr, kInternal, "[cuda] no binary kernel for this dtype");
  fn(a, b, out);
}

void where(const Array& cond, const Array& a, const Array& b, const Array& out) {
  const int64_t n = out.size();
  if (n == 0) return;
  const auto ix = make_indexer<3>(out.shape(), {&cond.strides(), &a.strides(), &b.strides()});
  visit_itemsize(out.itemsize(), [&](auto w) {
    using W = decltype(w);
    where_kernel<W><<<blocks_for(n), kThreads>>>(cond.data<bool>(), a.data<W>(), b.data<W>(),
                                                out.data<W>(), ix, n);
  });
  check_launch("where kernel");
}

void copy_cast(const Array& dst, const Array& src) {
  const int64_t n = dst.size();
  if (n == 0) return;
  visit_dtype(src.dtype(), [&](auto f) {
    visit_dtype(dst.dtype(), [&](auto t) {
      using From = decltype(f);
      using To = decltype(t);
      if (dst.is_contiguous() && src.is_contiguous()) {
        copy_cast_flat<From, To><<<blocks_for(n), kThreads>>>(dst.data<To>(), src.data<From>(), n);
      } else {
        const auto ix = make_indexer<2>(dst.shape(), {&dst.strides(), &src.strides()});
        copy_cast_kernel<From, To><<<blocks_for(n), kThreads>>>(dst.data<To>(), src.data<From>(), ix, n);
      }
    });
  });
  check_launch("copy kernel");
}

namespace {
template <class V>  // double or int64_t: converted to the dtype on the host
void fill_with(const Array& out, V value) {
  if (out.size() == 0) return;
  visit_dtype(out.dtype(), [&](auto t) {
    using T = decltype(t);
    fill_kernel<T><<<blocks_for(out.size()), kThreads>>>(out.data<T>(), static_cast<T>(value), out.size());
  });
  check_launch("fill kernel");
}
}  // namespace

void fill(const Array& out, double value) { fill_with(out, value); }
void fill_int(const Array& out, int64_t value) { fill_with(out, value); }

void reduce(ReduceOp op, const Array& x, int64_t O, int64_t R, bool cols, const Array& out) {
  if (O == 0) return;
  if (R == 0) {  // identities (argmax/argmin on empty axes were rejected by ops.cpp)
    switch (op) {
      case ReduceOp::sum: case ReduceOp::any: fill(out, 0.0); return;
      case ReduceOp::prod: case ReduceOp::all: fill(out, 1.0); return;
      case ReduceOp::max: case ReduceOp::logsumexp:
        visit_dtype(out.dtype(), [&](auto t) {
          using T = decltype(t);
          if constexpr (std::is_floating_point_v<T>) fill(out, -HUGE_VAL);
          else if constexpr (!std::is_same_v<T, bool>) fill_int(out, std::numeric_limits<T>::lowest());
        });
        return;
      case ReduceOp::min:
        visit_dtype(out.dtype(), [&](auto t) {
          using T = decltype(t);
          if constexpr (std::is_floating_point_v<T>) fill(out, HUGE_VAL);
          else if constexpr (!std::is_same_v<T, bool>) fill_int(out, std::numeric_limits<T>::max());
        });
        return;
      default: return;
    }
  }
  const bool arg = op == ReduceOp::argmax || op == ReduceOp::argmin;
  const bool lse = op == ReduceOp::logsumexp;
  if (cols && (arg || lse)) {  // these kernels read rows: transpose first
    Array xt = Array::empty({O, R}, x.dtype(), x.device());
    copy_cast(xt, x.view({O, R}, {1, O}, x.offset()));
    reduce(op, xt, O, R, false, out);
    return;
  }
  visit_dtype(x.dtype(), [&](auto t) {
    using T = decltype(t);
    const int threads = threads_for_len(R);
    switch (op) {
      case ReduceOp::sum:
        if constexpr (Accepts<OpKind::Numeric, T>::value) launch_reduce<RSum, T>(x, O, R, cols, out);
        break;
      case ReduceOp::prod:
        if constexpr (Accepts<OpKind::Numeric, T>::value) launch_reduce<RProd, T>(x, O, R, cols, out);
        break;
      case ReduceOp::max:
        if constexpr (Accepts<OpKind::Numeric, T>::value) launch_reduce<RMax, T>(x, O, R, cols, out);
        break;
      case ReduceOp::min:
        if constexpr (Accepts<OpKind::Numeric, T>::value) launch_reduce<RMin, T>(x, O, R, cols, out);
        break;
      case ReduceOp::any:
        if constexpr (std::is_same_v<T, bool>) launch_reduce<RAny, T>(x, O, R, cols, out);
        break;
      case ReduceOp::all:
        if constexpr (std::is_same_v<T, bool>) launch_reduce<RAll, T>(x, O, R, cols, out);
        break;
      case ReduceOp::logsumexp:
        if constexpr (std::is_floating_point_v<T>) {
          logsumexp_kernel<T><<<blocks_for(O, 1), threads>>>(x.data<T>(), O, R, out.data<T>());
          check_launch("logsumexp kernel");
        }
        break;
      case ReduceOp::argmax:
      case ReduceOp::argmin:
        if constexpr (Accepts<OpKind::Numeric, T>::value) {
          if (op == ReduceOp::argmax)
            arg_kernel<true, T><<<blocks_for(O, 1), threads>>>(x.data<T>(), O, R, out.data<int64_t>());
          else
            arg_kernel<false, T><<<blocks_for(O, 1), threads>>>(x.data<T>(), O, R, out.data<int64_t>());
          check_launch("arg reduce kernel");
        }
        break;
      default: break;
    }
  });
}

void scan(ScanOp op, const Array& x, const Array& out, int64_t outer, int64_t len,
          int64_t inner, bool exclusive, bool reverse) {
  if (out.size() == 0) return;
  visit_dtype(x.dtype(), [&](auto t) {
    using T = decltype(t);
    switch (op) {
      case ScanOp::cumsum:
        if constexpr (Accepts<OpKind::Numeric, T>::value)
          launch_scan<SCumsum, T>(x, out, outer, len, inner, exclusive, reverse);
        break;
      case ScanOp::cumprod:
        if constexpr (Accepts<OpKind::Numeric, T>::value)
          launch_scan<SCumprod, T>(x, out, outer, len, inner, exclusive, reverse);
        break;
      case ScanOp::cumulative_logsumexp:
        if constexpr (Accepts<OpKind::Float, T>::value)
          launch_scan<SCumulativeLogsumexp, T>(x, out, outer, len, inner, exclusive, reverse);
        break;
      default: break;
    }
  });
}

void matmul(const Array& A, const Array& B, const Array& C, int64_t M, int64_t N, int64_t K,
            const std::vector<int64_t>& aoff, const std::vector<int64_t>& boff) {
  const int64_t nb = static_cast<int64_t>(aoff.size());
  if (C.size() == 0) return;
  if (K == 0) {
    fill(C, 0.0);
    return;
  }
  visit_dtype(A.dtype(), [&](auto t) {
    using T = decltype(t);
    if constexpr (!std::is_same_v<T, bool>) {
      if (cublas_gemm<T>(A.data<T>(), B.data<T>(), C.data<T>(), M, N, K, aoff, boff)) return;
      bool zero_offsets = true;
      for (int64_t i = 0; i < nb; ++i) zero_offsets = zero_offsets && aoff[i] == 0 && boff[i] == 0;
      Array da, db;
      if (!(nb == 1 && zero_offsets)) {
        da = device_vector(aoff, A.device());
        db = device_vector(boff, A.device());
      }
      const dim3 grid(static_cast<unsigned>((N + kBN - 1) / kBN),
                      static_cast<unsigned>((M + kBM - 1) / kBM),
                      static_cast<unsigned>(std::min<int64_t>(nb, 65535)));
      TAPEFLOW_CHECK_KIND(grid.y <= 65535, kUnimplemented, "[cuda] matmul with M = ", M,
                          " rows is too large for the GPU kernel");
      const int64_t* pa = da.defined() ? da.data<int64_t>() : nullptr;
      const int64_t* pb = db.defined() ? db.data<int64_t>() : nullptr;
      auto aligned = [](const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; };
      if constexpr (std::is_same_v<T, float>) {
        if (K % 4 == 0 && N % 4 == 0 && aligned(A.data<T>()) && aligned(B.data<T>()) &&
            aligned(C.data<T>())) {
          gemm_f32_vec<<<grid, 256>>>(A.data<T>(), B.data<T>(), C.data<T>(), M, N, K, pa, pb, nb);
          check_launch("matmul kernel");
          return;
        }
      }
      gemm_tiled<T><<<grid, 256>>>(A.data<T>(), B.data<T>(), C.data<T>(), M, N, K, pa, pb, nb);
      check_launch("matmul kernel");
    }
  });
}

void gather_rows(const Array& in, const Array& idx, const Array& out, int64_t outer, int64_t n,
                 int64_t inner) {
  const int64_t total = out.size();
  if (total == 0) return;
  visit_itemsize(in.itemsize(), [&](auto w) {
    using W = decltype(w);
    gather_kernel<W><<<blocks_for(total), kThreads>>>(in.data<W>(), out.data<W>(),
                                                     idx.data<int64_t>(), idx.size(), n, inner,
                                                     total);
  });
  (void)outer;
  check_launch("gather kernel");
}

void scatter_add_rows(const Array& upd, const Array& idx, const Array& out, int64_t outer,
                      int64_t n, int64_t inner) {
  const int64_t total = upd.size();
  if (total == 0) return;
  visit_dtype(upd.dtype(), [&](auto t) {
    using T = decltype(t);
    if constexpr (!std::is_same_v<T, bool>)
      scatter_add_kernel<T><<<blocks_for(total), kThreads>>>(upd.data<T>(), out.data<T>(),
                                                            idx.data<int64_t>(), idx.size(), n,
                                                            inner, total);
  });
  (void)outer;
  check_launch("scatter_add kernel");
}

void one_hot_set(const Array& idx, const Array& out, int64_t depth, double on_value) {
  const int64_t rows = idx.size();
  if (rows == 0 || depth == 0) return;
  visit_dtype(out.dtype(), [&](auto t) {
    using T = decltype(t);
    one_hot_kernel<T><<<blocks_for(rows), kThreads>>>(idx.data<int64_t>(), out.data<T>(), rows,
                                                     depth, static_cast<T>(on_value));
  });
  check_launch("one_hot kernel");
}

void sparse_softmax_xent(const Array& logits, const Array& labels, const Array& loss,
                         const Array& backprop, int64_t rows, int64_t classes) {
  if (rows == 0) return;
  visit_dtype(logits.dtype(), [&](auto t) {
    using T = decltype(t);
    if constexpr (std::is_floating_point_v<T>)
      xent_kernel<T><<<blocks_for(rows), kThreads>>>(logits.data<T>(), labels.data<int64_t>(),
                                                    loss.data<T>(), backprop.data<T>(), rows,
                                                    classes);
  });
  check_launch("sparse_softmax_xent kernel");
}

void adam(const Array& var, const Array& m, const Array& v, const Array& g,
          const std::array<Array, 3>& out, double alpha, double one_minus_beta1,
          double one_minus_beta2, double epsilon) {
  const int64_t n = var.size();
  if (n == 0) return;
  visit_dtype(var.dtype(), [&](auto t) {
    using T = decltype(t);
    if constexpr (std::is_floating_point_v<T>)
      adam_kernel<T><<<blocks_for(n), kThreads>>>(n, var.data<T>(), m.data<T>(), v.data<T>(),
                                                 g.data<T>(), out[0].data<T>(), out[1].data<T>(),
                                                 out[2].data<T>(), T(alpha), T(one_minus_beta1),
                                                 T(one_minus_beta2), T(epsilon));
  });
  check_launch("adam kernel");
}

void random_fill(const Array& out, int kind, std::array<uint32_t, 2> key,
                 std::array<uint32_t, 4> counter, int64_t lo, int64_t hi) {
  const int64_t n = out.size();
  if (n == 0) return;
  const auto rk = static_cast<cpu::RandomKind>(kind);
  const bool wide = out.itemsize() == 8;
  const int per = wide ? 2 : 4;
  const uint64_t group_blocks =
      rk == cpu::RandomKind::kTruncatedNormal ? cpu::random_blocks(rk, out.dtype(), per) : 1;
  const Ctr start{{counter[0], counter[1], counter[2], counter[3]}};
  const uint64_t range = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
  visit_dtype(out.dtype(), [&](auto t) {
    using T = decltype(t);
    if constexpr (!std::is_same_v<T, bool>)
      random_kernel<T><<<blocks_for((n + per - 1) / per), kThreads>>>(
          out.data<T>(), n, kind, key[0], key[1], start, lo, range, per, group_blocks);
  });
  check_launch("random kernel");
}

}  // namespace tapeflow::cuda
