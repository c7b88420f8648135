// CUDA backend (built when TAPEFLOW_CUDA is ON or AUTO finds nvcc). For now: device
// discovery and the elementwise kernels expanded from the same op list as the CPU, so
// the shared functors compile for the device; memory and dispatch come with issue #7.
#include <cuda_runtime.h>
#include <math.h>
#include <stdint.h>

#include <type_traits>

#include "cpu/op_list.h"
#include "cuda/cuda_backend.h"

namespace tapeflow::cuda {

namespace {

#define TAPEFLOW_HD __host__ __device__
#include "cpu/functors.inc"

#define TAPEFLOW_CUDA_UNARY_FUNCTOR(name, kind, expr) \
  struct U_##name {                                   \
    template <class T> __device__ static auto apply(T x) { return expr; } \
  };
TAPEFLOW_UNARY_OPS(TAPEFLOW_CUDA_UNARY_FUNCTOR)
#undef TAPEFLOW_CUDA_UNARY_FUNCTOR

template <class F, class T, class R>
__global__ void unary_kernel(const T* __restrict__ in, R* __restrict__ out, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(blockDim.x) * gridDim.x)
    out[i] = static_cast<R>(F::apply(in[i]));
}

constexpr bool kind_returns_bool(OpKind k) {
  return k == OpKind::FloatPredicate || k == OpKind::Compare;
}

}  // namespace

// Launches unary op `op` on n contiguous float32 values (device pointers). Expanding
// the op list here makes every functor compile for the device.
bool launch_unary_f32(int op, const float* in, void* out, int64_t n, cudaStream_t stream) {
  const int threads = 256;
  const int blocks = static_cast<int>((n + threads - 1) / threads < 65535 ? (n + threads - 1) / threads : 65535);
  if (n <= 0) return true;
  switch (static_cast<UnaryOp>(op)) {
#define TAPEFLOW_CUDA_CASE(name, kind, expr)                                             \
  case UnaryOp::name: {                                                                  \
    using R = std::conditional_t<kind_returns_bool(OpKind::kind), bool, float>;          \
    unary_kernel<U_##name, float, R><<<blocks, threads, 0, stream>>>(in, static_cast<R*>(out), n); \
    return cudaGetLastError() == cudaSuccess;                                            \
  }
    TAPEFLOW_UNARY_OPS(TAPEFLOW_CUDA_CASE)
#undef TAPEFLOW_CUDA_CASE
    default: return false;
  }
}

namespace {
}  // namespace

int device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no device" error
    return 0;
  }
  return n;
}

}  // namespace tapeflow::cuda
