// Elementwise kernels: the unary and binary op tables (opdefs/op_list.h expanded into
// grid-stride kernels per dtype), where, copy_cast (casting strided copy) and fill.
#include "cuda/common.cuh"

namespace tapeflow::cuda {

namespace {

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

}  // namespace

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

}  // namespace tapeflow::cuda
