// Convolutions and pooling on the GPU (channels-last, ConvGeom as ops.cpp filled it).
// Direct kernels, one thread per output element (the forward pass, pools) or per input
// element (the input gradients: each thread gathers the outputs whose windows cover it,
// so no atomics and the sums are deterministic); the filter gradient is one block per
// filter element, its threads summing strided rows and reducing in shared memory.
// These are the correct, portable baseline; an implicit-GEMM kernel and cuDNN (opened at
// run time, as cuBLAS is for matmul) are the planned fast paths.
#include "cuda/common.cuh"
#include "opdefs/conv_geometry.h"

namespace tapeflow::cuda {

namespace {

// Input offset (element index of channel 0) of window position (a, b, c) for output
// position (n, o0, o1, o2), or -1 when it falls in the padding.
__device__ inline int64_t window_offset(const ConvGeom& g, int64_t n, int64_t o0, int64_t o1,
                                        int64_t o2, int64_t a, int64_t b, int64_t c) {
  const int64_t i0 = o0 * g.stride[0] - g.pad[0] + a * g.dil[0];
  const int64_t i1 = o1 * g.stride[1] - g.pad[1] + b * g.dil[1];
  const int64_t i2 = o2 * g.stride[2] - g.pad[2] + c * g.dil[2];
  if (i0 < 0 || i0 >= g.in[0] || i1 < 0 || i1 >= g.in[1] || i2 < 0 || i2 >= g.in[2]) return -1;
  return (((n * g.in[0] + i0) * g.in[1] + i1) * g.in[2] + i2) * g.cin;
}

// Output index along one dimension whose window position j covers input index i, or -1.
__device__ inline int64_t covering_output(int64_t i, int64_t j, int64_t stride, int64_t pad,
                                          int64_t dil, int64_t out) {
  const int64_t t = i + pad - j * dil;
  if (t < 0 || t % stride != 0) return -1;
  const int64_t o = t / stride;
  return o < out ? o : -1;
}

// A channels-last element index split into image n, position (p0, p1, p2) of the spatial
// dims `dims`, and channel c of `channels`.
struct Pos {
  int64_t n, p0, p1, p2, c;
};
__device__ inline Pos unflatten(int64_t i, int64_t channels, const int64_t (&dims)[3]) {
  Pos p;
  p.c = i % channels;
  i /= channels;
  p.p2 = i % dims[2];
  i /= dims[2];
  p.p1 = i % dims[1];
  i /= dims[1];
  p.p0 = i % dims[0];
  p.n = i / dims[0];
  return p;
}

template <class T>
__global__ void conv_forward_kernel(ConvGeom g, const T* __restrict__ x, const T* __restrict__ w,
                                    const T* __restrict__ bias, bool relu, T* __restrict__ y,
                                    int64_t total) {
  const int64_t cig = g.cin / g.groups, cog = g.cout / g.groups;
  GRID_STRIDE(idx, total) {
    const Pos q = unflatten(idx, g.cout, g.out);
    const int64_t co = q.c, o0 = q.p0, o1 = q.p1, o2 = q.p2, n = q.n;
    const int64_t c0 = (co / cog) * cig;
    T acc = T(0);
    int64_t j = 0;
    for (int64_t a = 0; a < g.k[0]; ++a)
      for (int64_t b = 0; b < g.k[1]; ++b)
        for (int64_t c = 0; c < g.k[2]; ++c, ++j) {
          const int64_t off = window_offset(g, n, o0, o1, o2, a, b, c);
          if (off < 0) continue;
          const T* xp = x + off + c0;
          const T* wp = w + j * cig * g.cout + co;
          for (int64_t ci = 0; ci < cig; ++ci) acc += xp[ci] * wp[ci * g.cout];
        }
    if (bias != nullptr) acc = acc + bias[co];
    if (relu) acc = acc < T(0) ? T(0) : acc;
    y[idx] = acc;
  }
}

template <class T>
__global__ void conv_backprop_input_kernel(ConvGeom g, const T* __restrict__ dy,
                                           const T* __restrict__ w, T* __restrict__ dx,
                                           int64_t total) {
  const int64_t cig = g.cin / g.groups, cog = g.cout / g.groups;
  GRID_STRIDE(idx, total) {
    const Pos q = unflatten(idx, g.cin, g.in);
    const int64_t ci = q.c, i0 = q.p0, i1 = q.p1, i2 = q.p2, n = q.n;
    const int64_t grp = ci / cig, cl = ci % cig;
    T acc = T(0);
    int64_t j = 0;
    for (int64_t a = 0; a < g.k[0]; ++a) {
      const int64_t o0 = covering_output(i0, a, g.stride[0], g.pad[0], g.dil[0], g.out[0]);
      for (int64_t b = 0; b < g.k[1]; ++b) {
        const int64_t o1 = covering_output(i1, b, g.stride[1], g.pad[1], g.dil[1], g.out[1]);
        for (int64_t c = 0; c < g.k[2]; ++c, ++j) {
          const int64_t o2 = covering_output(i2, c, g.stride[2], g.pad[2], g.dil[2], g.out[2]);
          if (o0 < 0 || o1 < 0 || o2 < 0) continue;
          const T* d = dy + (((n * g.out[0] + o0) * g.out[1] + o1) * g.out[2] + o2) * g.cout +
                       grp * cog;
          const T* wp = w + (j * cig + cl) * g.cout + grp * cog;
          for (int64_t co = 0; co < cog; ++co) acc += d[co] * wp[co];
        }
      }
    }
    dx[idx] = acc;
  }
}

// One block per filter element (j, ci, co): its threads take rows (n, o) in turn.
template <class T>
__global__ void conv_backprop_filter_kernel(ConvGeom g, const T* __restrict__ x,
                                            const T* __restrict__ dy, T* __restrict__ dw,
                                            int64_t rows) {
  __shared__ T part[kThreads];
  const int64_t cig = g.cin / g.groups, cog = g.cout / g.groups;
  const int64_t elems = g.k[0] * g.k[1] * g.k[2] * cig * g.cout;
  for (int64_t e = blockIdx.x; e < elems; e += gridDim.x) {
    const int64_t co = e % g.cout, ci = (e / g.cout) % cig, j = e / (g.cout * cig);
    const int64_t a = j / (g.k[1] * g.k[2]), b = (j / g.k[2]) % g.k[1], c = j % g.k[2];
    const int64_t cin_abs = (co / cog) * cig + ci;
    T acc = T(0);
    for (int64_t r = threadIdx.x; r < rows; r += blockDim.x) {
      int64_t q = r;
      const int64_t o2 = q % g.out[2];
      q /= g.out[2];
      const int64_t o1 = q % g.out[1];
      q /= g.out[1];
      const int64_t o0 = q % g.out[0];
      const int64_t n = q / g.out[0];
      const int64_t off = window_offset(g, n, o0, o1, o2, a, b, c);
      if (off >= 0) acc += x[off + cin_abs] * dy[r * g.cout + co];
    }
    part[threadIdx.x] = acc;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s /= 2) {
      if (threadIdx.x < s) part[threadIdx.x] += part[threadIdx.x + s];
      __syncthreads();
    }
    if (threadIdx.x == 0) dw[e] = part[0];
    __syncthreads();
  }
}

template <class T>
__global__ void pool_forward_kernel(ConvGeom g, bool is_max, const T* __restrict__ x,
                                    T* __restrict__ y, int64_t total) {
  GRID_STRIDE(idx, total) {
    const Pos q = unflatten(idx, g.cin, g.out);
    const int64_t ch = q.c, o0 = q.p0, o1 = q.p1, o2 = q.p2, n = q.n;
    T acc = is_max ? -INFINITY : T(0);
    int64_t count = 0;
    for (int64_t a = 0; a < g.k[0]; ++a)
      for (int64_t b = 0; b < g.k[1]; ++b)
        for (int64_t c = 0; c < g.k[2]; ++c) {
          const int64_t off = window_offset(g, n, o0, o1, o2, a, b, c);
          if (off < 0) continue;
          const T v = x[off + ch];
          ++count;
          if (is_max) acc = v > acc ? v : acc;
          else acc += v;
        }
    y[idx] = is_max ? acc : acc / T(count > 0 ? count : 1);
  }
}

// The input offset of the first maximum of output (n, o0, o1, o2)'s window, channel ch.
template <class T>
__device__ int64_t window_argmax(const ConvGeom& g, const T* x, int64_t n, int64_t o0,
                                 int64_t o1, int64_t o2, int64_t ch) {
  int64_t where = -1;
  T best = T(0);
  for (int64_t a = 0; a < g.k[0]; ++a)
    for (int64_t b = 0; b < g.k[1]; ++b)
      for (int64_t c = 0; c < g.k[2]; ++c) {
        const int64_t off = window_offset(g, n, o0, o1, o2, a, b, c);
        if (off < 0) continue;
        const T v = x[off + ch];
        if (where < 0 || v > best) best = v, where = off;
      }
  return where;
}

template <class T>
__global__ void max_pool_argmax_kernel(ConvGeom g, const T* __restrict__ x, T* __restrict__ y,
                                       int64_t* __restrict__ argmax, bool include_batch,
                                       int64_t total) {
  GRID_STRIDE(idx, total) {
    const Pos q = unflatten(idx, g.cin, g.out);
    const int64_t ch = q.c, o0 = q.p0, o1 = q.p1, o2 = q.p2, n = q.n;
    const int64_t where = window_argmax(g, x, n, o0, o1, o2, ch);
    y[idx] = where >= 0 ? x[where + ch] : T(-INFINITY);
    argmax[idx] = where < 0 ? -1 : where + ch - (include_batch ? 0 : n * g.in[0] * g.in[1] * g.in[2] * g.cin);
  }
}

// Per input element: the sum over the windows covering it of dy (avg: / the window's
// count; max: only where this element is the window's first maximum).
template <class T>
__global__ void pool_backward_kernel(ConvGeom g, bool is_max, bool all_maxima,
                                     const T* __restrict__ x, const T* __restrict__ dy,
                                     T* __restrict__ dx, int64_t total) {
  GRID_STRIDE(idx, total) {
    const Pos q = unflatten(idx, g.cin, g.in);
    const int64_t ch = q.c, i0 = q.p0, i1 = q.p1, i2 = q.p2, n = q.n;
    const int64_t self = (((n * g.in[0] + i0) * g.in[1] + i1) * g.in[2] + i2) * g.cin;
    T acc = T(0);
    for (int64_t a = 0; a < g.k[0]; ++a) {
      const int64_t o0 = covering_output(i0, a, g.stride[0], g.pad[0], g.dil[0], g.out[0]);
      for (int64_t b = 0; b < g.k[1]; ++b) {
        const int64_t o1 = covering_output(i1, b, g.stride[1], g.pad[1], g.dil[1], g.out[1]);
        for (int64_t c = 0; c < g.k[2]; ++c) {
          const int64_t o2 = covering_output(i2, c, g.stride[2], g.pad[2], g.dil[2], g.out[2]);
          if (o0 < 0 || o1 < 0 || o2 < 0) continue;
          const T d = dy[(((n * g.out[0] + o0) * g.out[1] + o1) * g.out[2] + o2) * g.cin + ch];
          if (is_max) {
            const int64_t first = window_argmax(g, x, n, o0, o1, o2, ch);
            if (all_maxima ? x[first + ch] == x[self + ch] : first == self) acc += d;
          } else {
            int64_t count = 0;
            for (int64_t a2 = 0; a2 < g.k[0]; ++a2)
              for (int64_t b2 = 0; b2 < g.k[1]; ++b2)
                for (int64_t c2 = 0; c2 < g.k[2]; ++c2)
                  count += window_offset(g, n, o0, o1, o2, a2, b2, c2) >= 0;
            acc += d / T(count);
          }
        }
      }
    }
    dx[idx] = acc;
  }
}

template <class F>
void float_types(DType dt, F&& f) {
  if (dt == DType::kFloat32) f(float{});
  else if (dt == DType::kFloat64) f(double{});
}

}  // namespace

void conv_forward(const ConvGeom& g, const Array& x, const Array& w, const Array& y,
                  const Array& bias, bool relu) {
  const int64_t total = y.size();
  if (total == 0) return;
  float_types(x.dtype(), [&](auto t) {
    using T = decltype(t);
    conv_forward_kernel<T><<<blocks_for(total), kThreads>>>(
        g, x.data<T>(), w.data<T>(), bias.defined() ? bias.data<T>() : nullptr, relu,
        y.data<T>(), total);
  });
  check_launch("conv forward kernel");
}

void conv_backprop_input(const ConvGeom& g, const Array& dy, const Array& w, const Array& dx) {
  const int64_t total = dx.size();
  if (total == 0) return;
  float_types(dy.dtype(), [&](auto t) {
    using T = decltype(t);
    conv_backprop_input_kernel<T><<<blocks_for(total), kThreads>>>(g, dy.data<T>(), w.data<T>(),
                                                                   dx.data<T>(), total);
  });
  check_launch("conv backprop input kernel");
}

void conv_backprop_filter(const ConvGeom& g, const Array& x, const Array& dy, const Array& dw) {
  const int64_t elems = dw.size();
  if (elems == 0) return;
  const int blocks = static_cast<int>(std::min<int64_t>(elems, int64_t{1} << 16));
  float_types(x.dtype(), [&](auto t) {
    using T = decltype(t);
    conv_backprop_filter_kernel<T><<<blocks, kThreads>>>(g, x.data<T>(), dy.data<T>(),
                                                         dw.data<T>(), g.n * g.out_volume());
  });
  check_launch("conv backprop filter kernel");
}

void pool_forward(const ConvGeom& g, bool is_max, const Array& x, const Array& y) {
  const int64_t total = y.size();
  if (total == 0) return;
  float_types(x.dtype(), [&](auto t) {
    using T = decltype(t);
    pool_forward_kernel<T><<<blocks_for(total), kThreads>>>(g, is_max, x.data<T>(), y.data<T>(),
                                                            total);
  });
  check_launch("pool forward kernel");
}

void max_pool_argmax(const ConvGeom& g, const Array& x, const Array& y, const Array& argmax,
                     bool include_batch) {
  const int64_t total = y.size();
  if (total == 0) return;
  float_types(x.dtype(), [&](auto t) {
    using T = decltype(t);
    max_pool_argmax_kernel<T><<<blocks_for(total), kThreads>>>(
        g, x.data<T>(), y.data<T>(), argmax.data<int64_t>(), include_batch, total);
  });
  check_launch("max pool argmax kernel");
}

void pool_backward(const ConvGeom& g, bool is_max, const Array& x, const Array& dy,
                   const Array& dx, bool all_maxima) {
  const int64_t total = dx.size();
  if (total == 0) return;
  float_types(dy.dtype(), [&](auto t) {
    using T = decltype(t);
    pool_backward_kernel<T><<<blocks_for(total), kThreads>>>(
        g, is_max, all_maxima, is_max ? x.data<T>() : nullptr, dy.data<T>(), dx.data<T>(), total);
  });
  check_launch("pool backward kernel");
}

}  // namespace tapeflow::cuda
