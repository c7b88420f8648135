// Convolutions and pooling on the CPU (channels-last; the geometry is ConvGeom, checked
// by ops.cpp). A convolution is a GEMM over patches: the rows of the patch matrix are the
// output positions, its columns the window's (k0, k1, k2, channel) values, which is the
// filter's own row order, so
//
//   forward          y[rows, :]     = patches(x)[rows, :] @ w            (K x cout)
//   backprop filter  dw             = sum over row tiles patches(x)^T @ dy[rows, :]
//   backprop input   dx            += col2im(dy[rows, :] @ w^T)
//
// The patch matrix is never built whole: tiles of rows (about kTileBytes of patches, so a
// tile stays in L2 between being written and being read by the GEMM) are gathered into a
// per-thread scratch buffer and handed to the per-ISA packed GEMM of the kernel table.
// Pointwise windows (1x1x1, unit stride, no padding) use x itself as the patch matrix.
//
// Threads: tiles are claimed from a shared counter (a late worker never slows a call).
// Sums never depend on the thread count: forward tiles write disjoint rows; the filter
// gradient sums fixed chunks of tiles, each in order, then the chunks in order; the input
// gradient gives each image to one thread (overlapping windows add in a fixed order).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "core/thread_pool.h"
#include "cpu/cpu_backend.h"

namespace tapeflow::cpu {

namespace {

constexpr int64_t kTileBytes = 320 * 1024;   // patches per tile (160 KiB measured ~4% slower)
constexpr double kSerialWork = 2.0e6;        // multiply-adds below which: one thread
constexpr int64_t kFilterChunks = 8;         // fixed partial sums of the filter gradient

// Runs unit(i) for i < units on up to num_threads() threads, claiming units one at a time.
template <class F>
void claim_units(int64_t units, bool parallel, F&& unit) {
  const int threads = parallel ? static_cast<int>(std::min<int64_t>(num_threads(), units)) : 1;
  if (threads <= 1) {
    for (int64_t i = 0; i < units; ++i) unit(i);
    return;
  }
  int64_t next = 0;  // claimed with atomic builtins
  parallel_for(threads, 1, [&](int64_t, int64_t) {
    for (int64_t i = __atomic_fetch_add(&next, 1, __ATOMIC_RELAXED); i < units;
         i = __atomic_fetch_add(&next, 1, __ATOMIC_RELAXED))
      unit(i);
  });
}

// A per-thread scratch buffer that only grows (no allocation in steady state).
template <class T>
T* scratch(int slot, int64_t count) {
  thread_local std::vector<char> bufs[3];  // slots: 0, 1 GEMM tiles; 2 window offsets
  std::vector<char>& b = bufs[slot];
  const size_t bytes = static_cast<size_t>(count) * sizeof(T) + 64;
  if (b.size() < bytes) b.resize(bytes);
  const uintptr_t p = reinterpret_cast<uintptr_t>(b.data());
  return reinterpret_cast<T*>((p + 63) & ~uintptr_t(63));
}

int64_t tile_rows(const ConvGeom& g, int64_t itemsize) {
  const int64_t mr = std::max(1, kernels().gemm_mr);
  int64_t t = kTileBytes / std::max<int64_t>(1, g.depth() * itemsize);
  t = std::clamp<int64_t>(t, 4 * mr, 2048);
  return (t + mr - 1) / mr * mr;
}

// The output position of patch row r: image n and spatial (o0, o1, o2).
struct RowPos {
  int64_t n, o0, o1, o2;
  RowPos(const ConvGeom& g, int64_t r) {
    o2 = r % g.out[2];
    r /= g.out[2];
    o1 = r % g.out[1];
    r /= g.out[1];
    o0 = r % g.out[0];
    n = r / g.out[0];
  }
  void next(const ConvGeom& g) {
    if (++o2 < g.out[2]) return;
    o2 = 0;
    if (++o1 < g.out[1]) return;
    o1 = 0;
    if (++o0 < g.out[0]) return;
    o0 = 0;
    ++n;
  }
};

// Calls f(window index j, input element offset or -1 for padding) for each window
// position of output position p, in the filter's row order.
template <class F>
inline void for_window(const ConvGeom& g, const RowPos& p, F&& f) {
  int64_t j = 0;
  for (int64_t a = 0; a < g.k[0]; ++a) {
    const int64_t i0 = p.o0 * g.stride[0] - g.pad[0] + a * g.dil[0];
    const bool in0 = i0 >= 0 && i0 < g.in[0];
    for (int64_t b = 0; b < g.k[1]; ++b) {
      const int64_t i1 = p.o1 * g.stride[1] - g.pad[1] + b * g.dil[1];
      const bool in1 = in0 && i1 >= 0 && i1 < g.in[1];
      for (int64_t c = 0; c < g.k[2]; ++c, ++j) {
        const int64_t i2 = p.o2 * g.stride[2] - g.pad[2] + c * g.dil[2];
        const bool ok = in1 && i2 >= 0 && i2 < g.in[2];
        f(j, ok ? (((p.n * g.in[0] + i0) * g.in[1] + i1) * g.in[2] + i2) * g.cin : -1);
      }
    }
  }
}

// Rows [r0, r1) of group grp's patch matrix into col (r1 - r0, depth), row-major. Rows
// whose window lies inside the input (most of them) copy from a table of window offsets
// without bounds checks; the others go position by position.
template <class T>
void im2col(const ConvGeom& g, const T* x, int64_t grp, int64_t r0, int64_t r1, T* col) {
  const int64_t cg = g.cin_g(), K = g.depth(), c0 = grp * cg, kv = g.k_volume();
  int64_t* delta = scratch<int64_t>(2, kv);
  {
    int64_t j = 0;
    for (int64_t a = 0; a < g.k[0]; ++a)
      for (int64_t b = 0; b < g.k[1]; ++b)
        for (int64_t c = 0; c < g.k[2]; ++c, ++j)
          delta[j] = ((a * g.dil[0] * g.in[1] + b * g.dil[1]) * g.in[2] + c * g.dil[2]) * g.cin + c0;
  }
  auto inside = [&](int64_t o, int d) {
    const int64_t i = o * g.stride[d] - g.pad[d];
    return i >= 0 && i + (g.k[d] - 1) * g.dil[d] < g.in[d];
  };
  RowPos p(g, r0);
  for (int64_t r = r0; r < r1; ++r, p.next(g)) {
    T* __restrict dst = col + (r - r0) * K;
    if (inside(p.o0, 0) && inside(p.o1, 1) && inside(p.o2, 2)) {
      const T* __restrict src =
          x + (((p.n * g.in[0] + p.o0 * g.stride[0] - g.pad[0]) * g.in[1] +
                p.o1 * g.stride[1] - g.pad[1]) * g.in[2] + p.o2 * g.stride[2] - g.pad[2]) * g.cin;
      if (cg == 1) {
        for (int64_t j = 0; j < kv; ++j) dst[j] = src[delta[j]];
      } else if (cg <= 64) {  // short runs: an inline loop beats a call to memcpy
        for (int64_t j = 0; j < kv; ++j)
          for (int64_t c = 0; c < cg; ++c) dst[j * cg + c] = src[delta[j] + c];
      } else {
        for (int64_t j = 0; j < kv; ++j)
          std::memcpy(dst + j * cg, src + delta[j], static_cast<size_t>(cg) * sizeof(T));
      }
      continue;
    }
    for_window(g, p, [&](int64_t j, int64_t off) {
      T* d = dst + j * cg;
      if (off < 0) {
        for (int64_t c = 0; c < cg; ++c) d[c] = T(0);
      } else if (cg <= 4) {
        for (int64_t c = 0; c < cg; ++c) d[c] = x[off + c0 + c];
      } else {
        std::memcpy(d, x + off + c0, static_cast<size_t>(cg) * sizeof(T));
      }
    });
  }
}

// dx += col2im(col) for rows [r0, r1) of group grp: each row's in-range window
// positions add their channels (the kernel table's per-ISA loop).
template <class T>
void col2im_add(const ConvGeom& g, const T* col, int64_t grp, int64_t r0, int64_t r1, T* dx) {
  const int64_t cg = g.cin_g(), K = g.depth(), c0 = grp * cg;
  const WindowAddFn add = kernels().window_add[static_cast<int>(dtype_of<T>::value)];
  int64_t* offs = scratch<int64_t>(2, 2 * g.k_volume());
  int64_t* rows = offs + g.k_volume();
  RowPos p(g, r0);
  for (int64_t r = r0; r < r1; ++r, p.next(g)) {
    const T* src = col + (r - r0) * K;
    int m = 0;
    bool contiguous_rows = true;  // every window position in range: one call, rows j * cg
    for_window(g, p, [&](int64_t j, int64_t off) {
      if (off < 0) {
        contiguous_rows = false;
        return;
      }
      offs[m] = off + c0;
      rows[m++] = j;
    });
    if (contiguous_rows) {
      add(dx, offs, m, cg, src, cg);
    } else {
      for (int i = 0; i < m; ++i) add(dx, offs + i, 1, cg, src + rows[i] * cg, 0);
    }
  }
}

// rows of y (each cout wide) = act(rows + bias): the op's epilogue, run on a tile while
// it is in cache; the same expressions as the add and relu kernels, so the same bits as
// the three ops one after another.
template <class T>
void bias_act_rows(T* y, int64_t rows, int64_t cout, const T* bias, bool relu) {
  if (bias == nullptr && !relu) return;
  for (int64_t r = 0; r < rows; ++r) {
    T* __restrict row = y + r * cout;
    if (bias != nullptr)
      for (int64_t c = 0; c < cout; ++c) row[c] = row[c] + bias[c];
    if (relu)
      for (int64_t c = 0; c < cout; ++c) row[c] = row[c] < T(0) ? T(0) : row[c];
  }
}

template <class T>
void conv_forward_t(const ConvGeom& g, const T* x, const T* w, T* y, const T* bias = nullptr,
                    bool relu = false) {
  const GemmFn gemm = kernels().gemm[static_cast<int>(dtype_of<T>::value)];
  const int64_t M = g.n * g.out_volume(), K = g.depth(), cog = g.cout_g();
  const bool parallel = static_cast<double>(M) * K * g.cout >= kSerialWork;
  if (g.pointwise() && g.groups == 1) {  // y = x @ w, in row bands
    const int64_t mr = std::max(1, kernels().gemm_mr);
    const int64_t band = std::max<int64_t>(tile_rows(g, sizeof(T)), 8 * mr);
    claim_units((M + band - 1) / band, parallel, [&](int64_t t) {
      const int64_t r0 = t * band, r1 = std::min(M, r0 + band);
      gemm(r1 - r0, g.cout, K, x + r0 * g.cin, g.cin, w, g.cout, y + r0 * g.cout, g.cout);
      bias_act_rows(y + r0 * g.cout, r1 - r0, g.cout, bias, relu);
    });
    return;
  }
  const int64_t T_ = tile_rows(g, sizeof(T)), tiles = (M + T_ - 1) / T_;
  claim_units(tiles * g.groups, parallel, [&](int64_t u) {
    const int64_t grp = u % g.groups, r0 = (u / g.groups) * T_, r1 = std::min(M, r0 + T_);
    T* col = scratch<T>(0, T_ * K);
    im2col(g, x, grp, r0, r1, col);
    gemm(r1 - r0, cog, K, col, K, w + grp * cog, g.cout, y + r0 * g.cout + grp * cog, g.cout);
    if (g.groups == 1) bias_act_rows(y + r0 * g.cout, r1 - r0, g.cout, bias, relu);
  });
  if (g.groups > 1 && (bias != nullptr || relu)) {  // groups fill a row's columns apart
    claim_units((M + T_ - 1) / T_, parallel, [&](int64_t t) {
      const int64_t r0 = t * T_, r1 = std::min(M, r0 + T_);
      bias_act_rows(y + r0 * g.cout, r1 - r0, g.cout, bias, relu);
    });
  }
}

template <class T>
void conv_backprop_filter_t(const ConvGeom& g, const T* x, const T* dy, T* dw) {
  const GemmFn gemm_at = kernels().gemm_at[static_cast<int>(dtype_of<T>::value)];
  const int64_t M = g.n * g.out_volume(), K = g.depth(), cog = g.cout_g();
  const bool parallel = static_cast<double>(M) * K * g.cout >= kSerialWork;
  const bool direct = g.pointwise() && g.groups == 1;
  const int64_t T_ = direct ? std::max<int64_t>(256, tile_rows(g, sizeof(T))) : tile_rows(g, sizeof(T));
  const int64_t tiles = (M + T_ - 1) / T_;
  const int64_t chunks = std::min(tiles, kFilterChunks);
  const int64_t wsize = K * g.cout;
  // Partial sums: chunk 0 writes dw itself, the others their own block.
  std::vector<T> partial(static_cast<size_t>((chunks - 1) * wsize));
  claim_units(chunks * g.groups, parallel, [&](int64_t u) {
    const int64_t grp = u % g.groups, c = u / g.groups;
    T* acc = (c == 0 ? dw : partial.data() + (c - 1) * wsize) + grp * cog;
    T* tmp = scratch<T>(1, K * cog);
    const int64_t t0 = c * tiles / chunks, t1 = (c + 1) * tiles / chunks;
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t r0 = t * T_, r1 = std::min(M, r0 + T_);
      const T* col;
      if (direct) {
        col = x + r0 * g.cin;
      } else {
        T* buf = scratch<T>(0, T_ * K);
        im2col(g, x, grp, r0, r1, buf);
        col = buf;
      }
      const T* dyt = dy + r0 * g.cout + grp * cog;
      if (t == t0) {
        gemm_at(K, cog, r1 - r0, col, K, dyt, g.cout, acc, g.cout);
      } else {
        gemm_at(K, cog, r1 - r0, col, K, dyt, g.cout, tmp, cog);
        for (int64_t i = 0; i < K; ++i)
          for (int64_t j = 0; j < cog; ++j) acc[i * g.cout + j] += tmp[i * cog + j];
      }
    }
  });
  for (int64_t c = 1; c < chunks; ++c) {
    const T* p = partial.data() + (c - 1) * wsize;
    for (int64_t i = 0; i < wsize; ++i) dw[i] += p[i];
  }
}

template <class T>
void conv_backprop_input_t(const ConvGeom& g, const T* dy, const T* w, T* dx) {
  const GemmFn gemm = kernels().gemm[static_cast<int>(dtype_of<T>::value)];
  const int64_t K = g.depth(), cog = g.cout_g(), rows_img = g.out_volume();
  const int64_t M = g.n * rows_img;
  const bool parallel = static_cast<double>(M) * K * g.cout >= kSerialWork;
  // w^T per group: wt[grp] is (cog, K), row-major.
  std::vector<T> wt(static_cast<size_t>(K * g.cout));
  for (int64_t grp = 0; grp < g.groups; ++grp)
    for (int64_t k = 0; k < K; ++k)
      for (int64_t co = 0; co < cog; ++co)
        wt[(grp * cog + co) * K + k] = w[k * g.cout + grp * cog + co];
  if (g.pointwise() && g.groups == 1) {  // dx = dy @ w^T, in row bands
    const int64_t mr = std::max(1, kernels().gemm_mr);
    const int64_t band = std::max<int64_t>(tile_rows(g, sizeof(T)), 8 * mr);
    claim_units((M + band - 1) / band, parallel, [&](int64_t t) {
      const int64_t r0 = t * band, r1 = std::min(M, r0 + band);
      gemm(r1 - r0, K, g.cout, dy + r0 * g.cout, g.cout, wt.data(), K, dx + r0 * g.cin, g.cin);
    });
    return;
  }
  // Unit strides: dx is the forward convolution of dy with the filter flipped in space and
  // transposed in channels, padded (k - 1) * dil - pad: no scatter, the forward's tiling.
  // Its GEMM has one row per input position where the scatter's has one per output, so
  // only while the two counts are close (SAME padding): small VALID images (MNIST's
  // 13x13 -> 11x11: 1.4x the rows; 5x5 -> 3x3: 2.8x) scatter instead.
  bool unit = 10 * g.in_volume() <= 12 * g.out_volume();
  for (int d = 0; d < 3; ++d)
    unit = unit && g.stride[d] == 1 && g.pad[d] <= (g.k[d] - 1) * g.dil[d];
  if (unit) {
    ConvGeom f = g;
    for (int d = 0; d < 3; ++d) {
      f.in[d] = g.out[d];
      f.out[d] = g.in[d];
      f.pad[d] = (g.k[d] - 1) * g.dil[d] - g.pad[d];
    }
    f.cin = g.cout;
    f.cout = g.cin;
    const int64_t cig = g.cin_g(), kv = g.k_volume();
    // wf[j'][co][grp * cig + ci] = w[j][ci][grp * cog + co], j' the spatially flipped j.
    for (int64_t j = 0; j < kv; ++j)
      for (int64_t grp = 0; grp < g.groups; ++grp)
        for (int64_t ci = 0; ci < cig; ++ci)
          for (int64_t co = 0; co < cog; ++co)
            wt[((kv - 1 - j) * cog + co) * g.cin + grp * cig + ci] =
                w[(j * cig + ci) * g.cout + grp * cog + co];
    conv_forward_t<T>(f, dy, wt.data(), dx);
    return;
  }
  std::memset(dx, 0, static_cast<size_t>(g.n * g.in_volume() * g.cin) * sizeof(T));
  const int64_t T_ = tile_rows(g, sizeof(T));
  // One image per unit: windows of one image overlap, so its tiles run in order.
  claim_units(g.n, parallel, [&](int64_t n) {
    T* col = scratch<T>(0, T_ * K);
    for (int64_t r0 = n * rows_img; r0 < (n + 1) * rows_img; r0 += T_) {
      const int64_t r1 = std::min((n + 1) * rows_img, r0 + T_);
      for (int64_t grp = 0; grp < g.groups; ++grp) {
        gemm(r1 - r0, K, cog, dy + r0 * g.cout + grp * cog, g.cout, wt.data() + grp * cog * K,
             K, col, K);
        col2im_add(g, col, grp, r0, r1, dx);
      }
    }
  });
}

// ---- pooling ------------------------------------------------------------------------
// Memory-bound: units are images (backward: windows of one image may overlap, and the
// image's dx stays in cache between its zeroing and its sums) or lines of outputs
// (forward). The channel loops are the kernel table's (per ISA), once per window.
constexpr int64_t kPoolSerialElems = 1 << 15;

// The input offsets of output position p's window that fall inside the input, in order.
inline int window_offsets(const ConvGeom& g, const RowPos& p, int64_t* offs) {
  int m = 0;
  for_window(g, p, [&](int64_t, int64_t off) {
    if (off >= 0) offs[m++] = off;
  });
  return m;
}

template <class T>
void pool_forward_t(const ConvGeom& g, PoolKind kind, const T* x, T* y) {
  const int64_t C = g.cin, lines = g.n * g.out[0] * g.out[1];
  const int dt = static_cast<int>(dtype_of<T>::value);
  const WindowPoolFn pool = kind == PoolKind::kMax ? kernels().window_max[dt] : kernels().window_avg[dt];
  const bool parallel = g.n * g.in_volume() * C >= kPoolSerialElems;
  claim_units(lines, parallel, [&](int64_t line) {
    int64_t* offs = scratch<int64_t>(2, g.k_volume());
    RowPos p(g, line * g.out[2]);
    for (int64_t o = 0; o < g.out[2]; ++o, p.next(g)) {
      T* dst = y + ((line * g.out[2]) + o) * C;
      const int m = window_offsets(g, p, offs);
      if (m > 0) {
        pool(x, offs, m, C, dst);
      } else {  // a window wholly in the padding (explicit paddings only)
        for (int64_t c = 0; c < C; ++c) dst[c] = kind == PoolKind::kMax ? -std::numeric_limits<T>::infinity() : T(0);
      }
    }
  });
}

// dx (zeroed here) gets dy at each window's first maximum, per channel.
template <class T>
void max_pool_backward_t(const ConvGeom& g, const T* x, const T* dy, T* dx, bool all_maxima) {
  const int64_t C = g.cin, per_img = g.out_volume(), img = g.in_volume() * C;
  const WindowMaxGradFn grad = kernels().window_max_grad[static_cast<int>(dtype_of<T>::value)];
  const bool parallel = g.n * img >= kPoolSerialElems;
  claim_units(g.n, parallel, [&](int64_t n) {
    std::memset(dx + n * img, 0, static_cast<size_t>(img) * sizeof(T));
    T* work = scratch<T>(0, 2 * C);
    int64_t* offs = scratch<int64_t>(2, g.k_volume());
    RowPos p(g, n * per_img);
    for (int64_t r = n * per_img; r < (n + 1) * per_img; ++r, p.next(g)) {
      const int m = window_offsets(g, p, offs);
      if (m > 0) grad(x, offs, m, C, dy + r * C, dx, work, all_maxima);
    }
  });
}

template <class T>
void avg_pool_backward_t(const ConvGeom& g, const T* dy, T* dx) {
  const int64_t C = g.cin, per_img = g.out_volume(), img = g.in_volume() * C;
  const WindowAddFn add = kernels().window_add[static_cast<int>(dtype_of<T>::value)];
  const bool parallel = g.n * img >= kPoolSerialElems;
  claim_units(g.n, parallel, [&](int64_t n) {
    std::memset(dx + n * img, 0, static_cast<size_t>(img) * sizeof(T));
    int64_t* offs = scratch<int64_t>(2, g.k_volume());
    T* share = scratch<T>(0, C);
    RowPos p(g, n * per_img);
    for (int64_t r = n * per_img; r < (n + 1) * per_img; ++r, p.next(g)) {
      const int m = window_offsets(g, p, offs);
      if (m == 0) continue;
      const T inv = T(1) / static_cast<T>(m);
      const T* d = dy + r * C;
      for (int64_t c = 0; c < C; ++c) share[c] = d[c] * inv;
      add(dx, offs, m, C, share, 0);
    }
  });
}

template <class T>
void max_pool_argmax_t(const ConvGeom& g, const T* x, T* y, int64_t* argmax, bool include_batch) {
  const int64_t C = g.cin, lines = g.n * g.out[0] * g.out[1], img = g.in_volume() * C;
  const bool parallel = g.n * img >= kPoolSerialElems;
  claim_units(lines, parallel, [&](int64_t line) {
    int64_t* offs = scratch<int64_t>(2, g.k_volume());
    RowPos p(g, line * g.out[2]);
    for (int64_t o = 0; o < g.out[2]; ++o, p.next(g)) {
      const int64_t r = line * g.out[2] + o;
      T* dst = y + r * C;
      int64_t* idx = argmax + r * C;
      const int m = window_offsets(g, p, offs);
      const int64_t base = include_batch ? 0 : p.n * img;
      for (int64_t c = 0; c < C; ++c) {
        T best = -std::numeric_limits<T>::infinity();
        int64_t where = -1;
        for (int i = 0; i < m; ++i) {  // strictly greater: the first maximum stays
          const T v = x[offs[i] + c];
          if (where < 0 || v > best) best = v, where = offs[i] + c - base;
        }
        dst[c] = best;
        idx[c] = where;
      }
    }
  });
}

template <class F>
void float_types(DType dt, F&& f) {
  if (dt == DType::kFloat32) f(float{});
  else if (dt == DType::kFloat64) f(double{});
}

}  // namespace

void conv_forward(const ConvGeom& g, DType dt, const void* x, const void* w, void* y,
                  const void* bias, bool relu) {
  float_types(dt, [&](auto t) {
    using T = decltype(t);
    conv_forward_t<T>(g, static_cast<const T*>(x), static_cast<const T*>(w), static_cast<T*>(y),
                      static_cast<const T*>(bias), relu);
  });
}

void conv_backprop_input(const ConvGeom& g, DType dt, const void* dy, const void* w, void* dx) {
  float_types(dt, [&](auto t) {
    using T = decltype(t);
    conv_backprop_input_t<T>(g, static_cast<const T*>(dy), static_cast<const T*>(w),
                             static_cast<T*>(dx));
  });
}

void conv_backprop_filter(const ConvGeom& g, DType dt, const void* x, const void* dy, void* dw) {
  float_types(dt, [&](auto t) {
    using T = decltype(t);
    conv_backprop_filter_t<T>(g, static_cast<const T*>(x), static_cast<const T*>(dy),
                              static_cast<T*>(dw));
  });
}

void pool_forward(const ConvGeom& g, DType dt, PoolKind kind, const void* x, void* y) {
  float_types(dt, [&](auto t) {
    using T = decltype(t);
    pool_forward_t<T>(g, kind, static_cast<const T*>(x), static_cast<T*>(y));
  });
}

void max_pool_argmax(const ConvGeom& g, DType dt, const void* x, void* y, int64_t* argmax,
                     bool include_batch) {
  float_types(dt, [&](auto t) {
    using T = decltype(t);
    max_pool_argmax_t<T>(g, static_cast<const T*>(x), static_cast<T*>(y), argmax, include_batch);
  });
}

void max_pool_backward(const ConvGeom& g, DType dt, const void* x, const void* dy, void* dx,
                       bool all_maxima) {
  float_types(dt, [&](auto t) {
    using T = decltype(t);
    max_pool_backward_t<T>(g, static_cast<const T*>(x), static_cast<const T*>(dy),
                           static_cast<T*>(dx), all_maxima);
  });
}

void avg_pool_backward(const ConvGeom& g, DType dt, const void* dy, void* dx) {
  float_types(dt, [&](auto t) {
    using T = decltype(t);
    avg_pool_backward_t<T>(g, static_cast<const T*>(dy), static_cast<T*>(dx));
  });
}

}  // namespace tapeflow::cpu
