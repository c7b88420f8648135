// The CUDA backend's entry points. With TAPEFLOW_CUDA off, no_cuda.cpp stands in (every
// kernel entry raises Unimplemented, device_count() is 0), so the rest of the code has one
// path. Kernels take Arrays that live on one CUDA device; ops.cpp has already checked
// shapes, dtypes, indices and placement, so nothing here validates arguments.
// All work goes to the device's default stream, in order; copies to the host wait for it.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/array.h"
#include "opdefs/conv_geometry.h"
#include "opdefs/op_list.h"

namespace tapeflow::cuda {

// Number of usable CUDA devices (0 without CUDA, or without a GPU at run time).
int device_count();
std::string device_name(int index);  // "NVIDIA H100 80GB HBM3"
bool has_cublas();  // cuBLAS was found at run time (matmul uses it; see set_use_cublas)

// Raw device memory (the caching lives in core/allocator.cpp). raw_malloc returns
// nullptr when the device is out of memory.
void* raw_malloc(size_t nbytes, int device);
void raw_free(void* p, int device) noexcept;

// Copies between host and device memory (contiguous bytes); both wait for the stream.
void copy_to_device(void* dst, const void* src, size_t nbytes, int device);
void copy_to_host(void* dst, const void* src, size_t nbytes, int device);
void synchronize(int device);

// ---- kernels (outputs are new contiguous Arrays unless said otherwise) -------------
// out = op(x), same shape; x any strides.
void unary(UnaryOp op, const Array& x, const Array& out);
// out = op(a, b); a and b are (broadcast) views with out's shape.
void binary(BinaryOp op, const Array& a, const Array& b, const Array& out);
// out = cond ? a : b; all views with out's shape.
void where(const Array& cond, const Array& a, const Array& b, const Array& out);
// dst = cast(src): dst any strides, src a view with dst's shape (0 strides broadcast).
void copy_cast(const Array& dst, const Array& src);
void fill(const Array& out, double value);     // out contiguous
void fill_int(const Array& out, int64_t value);
// Reduces contiguous x seen as (O, R) over R into out (O); with `cols`, x is (R, O)
// instead (the reduced axes lead). argmax/argmin write int64 indices.
void reduce(ReduceOp op, const Array& x, int64_t O, int64_t R, bool cols, const Array& out);
// Scans contiguous x, seen as (outer, len, inner), along len into out (same shape): one
// thread per (outer, inner) line, in order, as the CPU kernel (see ops::scan).
void scan(ScanOp op, const Array& x, const Array& out, int64_t outer, int64_t len,
          int64_t inner, bool exclusive, bool reverse);
// C[b] = A[aoff[b]] (M, K) @ B[boff[b]] (K, N) for contiguous A, B, C (offsets in
// elements); cuBLAS for float/double when linked and allowed, else a tiled kernel.
void matmul(const Array& A, const Array& B, const Array& C, int64_t M, int64_t N, int64_t K,
            const std::vector<int64_t>& aoff, const std::vector<int64_t>& boff);
// Disables cuBLAS (benchmarks compare the tiled kernel against it).
void set_use_cublas(bool on);
// out[o, j, :] = in[o, idx[j], :]; in (outer, n, inner) and out contiguous, idx int64.
void gather_rows(const Array& in, const Array& idx, const Array& out, int64_t outer, int64_t n,
                 int64_t inner);
// out[o, idx[j], :] += upd[o, j, :] (atomics; repeated indices accumulate).
void scatter_add_rows(const Array& upd, const Array& idx, const Array& out, int64_t outer,
                      int64_t n, int64_t inner);
// out (rows, depth), already filled with off values: out[i, idx[i]] = on where in range.
void one_hot_set(const Array& idx, const Array& out, int64_t depth, double on_value);
void sparse_softmax_xent(const Array& logits, const Array& labels, const Array& loss,
                         const Array& backprop, int64_t rows, int64_t classes);
void adam(const Array& var, const Array& m, const Array& v, const Array& g,
          const std::array<Array, 3>& out, double alpha, double one_minus_beta1,
          double one_minus_beta2, double epsilon);
// The CPU's Philox stream (cpu/random.cpp), output for output. kind: cpu::RandomKind.
void random_fill(const Array& out, int kind, std::array<uint32_t, 2> key,
                 std::array<uint32_t, 4> counter, int64_t lo, int64_t hi);

// Convolutions and pools of contiguous channels-last Arrays (cuda/conv.cu; float types).
// dx and dw are written whole. Pools: g.cin channels; is_max picks max over average.
// bias: cout elements or an undefined Array; relu: y = max(y + bias, 0) (the CPU's rule).
void conv_forward(const ConvGeom& g, const Array& x, const Array& w, const Array& y,
                  const Array& bias, bool relu);
void conv_backprop_input(const ConvGeom& g, const Array& dy, const Array& w, const Array& dx);
void conv_backprop_filter(const ConvGeom& g, const Array& x, const Array& dy, const Array& dw);
void pool_forward(const ConvGeom& g, bool is_max, const Array& x, const Array& y);
// Batch normalisation over the rows of contiguous (rows, C) arrays (cuda/batch_norm.cu),
// as cpu::batch_norm_forward / backward.
void batch_norm_forward(const Array& x, const Array& gamma, const Array& beta, double eps,
                        const Array& y, const Array& mean, const Array& var, int64_t rows,
                        int64_t C);
void batch_norm_backward(const Array& dy, const Array& x, const Array& gamma,
                         const Array& mean, const Array& var, double eps, const Array& dx,
                         const Array& dgamma, const Array& dbeta, int64_t rows, int64_t C);
// Max pool and each window's first-maximum element index (int64; see ops.h).
void max_pool_argmax(const ConvGeom& g, const Array& x, const Array& y, const Array& argmax,
                     bool include_batch);
// x is read only for max pools (undefined Array otherwise); all_maxima: dy goes to every
// maximum of a window instead of its first (TF's 3-D gradient).
void pool_backward(const ConvGeom& g, bool is_max, const Array& x, const Array& dy,
                   const Array& dx, bool all_maxima);

}  // namespace tapeflow::cuda
