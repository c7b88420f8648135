// Data movement and fused training ops: gather/scatter_add over rows, one_hot, the fused
// sparse softmax cross-entropy (opdefs/xent_row.inc) and the Adam step (opdefs/adam.inc).
#include "cuda/common.cuh"

namespace tapeflow::cuda {

namespace {

#include "opdefs/xent_row.inc"
#include "opdefs/adam.inc"

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

}  // namespace

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

}  // namespace tapeflow::cuda
