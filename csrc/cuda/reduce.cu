// Reductions (warp-shuffle tree reductions over rows, coalesced column reductions,
// logsumexp, argmax/argmin) and scans (cumsum, cumprod, cumulative_logsumexp).
#include "cuda/common.cuh"

namespace tapeflow::cuda {

namespace {

// ---- reductions ----------------------------------------------------------------------
// Identities and steps: opdefs/reductions.inc (R_sum ... R_all), shared with the CPU.

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
  for (int o = 16; o > 0; o >>= 1) v = R::step(v, shfl_down(v, o));
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) smem[warp] = v;
  __syncthreads();
  const int warps = blockDim.x >> 5;
  v = threadIdx.x < warps ? smem[lane] : R::template init<T>();
  if (warp == 0)
    for (int o = 16; o > 0; o >>= 1) v = R::step(v, shfl_down(v, o));
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
      a0 = R::step(a0, row[i]);
      a1 = R::step(a1, row[i + step]);
      a2 = R::step(a2, row[i + 2 * step]);
      a3 = R::step(a3, row[i + 3 * step]);
    }
    for (; i < end; i += step) a0 = R::step(a0, row[i]);
    T acc = block_reduce<R>(R::step(R::step(a0, a1), R::step(a2, a3)), smem);
    if (threadIdx.x == 0) out[b] = acc;
  }
}

// x (len, cols) row-major, reduced over len: one thread per column, coalesced.
template <class R, class T>
__global__ void reduce_cols_kernel(const T* __restrict__ x, int64_t len, int64_t cols,
                                   T* __restrict__ out) {
  GRID_STRIDE(j, cols) {
    T acc = R::template init<T>();
    for (int64_t i = 0; i < len; ++i) acc = R::step(acc, x[i * cols + j]);
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
    m = block_reduce<R_max>(m, smem);
    if (threadIdx.x == 0) row_max = m;
    __syncthreads();
    m = row_max;
    T s = T(0);
    if (tf_isfinite(m))
      for (int64_t i = threadIdx.x; i < len; i += blockDim.x) s += tf_exp(row[i] - m);
    s = block_reduce<R_sum>(s, smem);
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
// The CPU's scan steps (opdefs/reductions.inc), in the same order: the same numbers.

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

}  // namespace

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
        if constexpr (Accepts<OpKind::Numeric, T>::value) launch_reduce<R_sum, T>(x, O, R, cols, out);
        break;
      case ReduceOp::prod:
        if constexpr (Accepts<OpKind::Numeric, T>::value) launch_reduce<R_prod, T>(x, O, R, cols, out);
        break;
      case ReduceOp::max:
        if constexpr (Accepts<OpKind::Numeric, T>::value) launch_reduce<R_max, T>(x, O, R, cols, out);
        break;
      case ReduceOp::min:
        if constexpr (Accepts<OpKind::Numeric, T>::value) launch_reduce<R_min, T>(x, O, R, cols, out);
        break;
      case ReduceOp::any:
        if constexpr (std::is_same_v<T, bool>) launch_reduce<R_any, T>(x, O, R, cols, out);
        break;
      case ReduceOp::all:
        if constexpr (std::is_same_v<T, bool>) launch_reduce<R_all, T>(x, O, R, cols, out);
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
          launch_scan<S_cumsum, T>(x, out, outer, len, inner, exclusive, reverse);
        break;
      case ScanOp::cumprod:
        if constexpr (Accepts<OpKind::Numeric, T>::value)
          launch_scan<S_cumprod, T>(x, out, outer, len, inner, exclusive, reverse);
        break;
      case ScanOp::cumulative_logsumexp:
        if constexpr (Accepts<OpKind::Float, T>::value)
          launch_scan<S_cumulative_logsumexp, T>(x, out, outer, len, inner, exclusive, reverse);
        break;
      default: break;
    }
  });
}

}  // namespace tapeflow::cuda
