// CUDA backend (built when TAPEFLOW_CUDA is ON or AUTO finds nvcc). For now: device
// discovery and the elementwise kernels expanded from the same op list as the CPU, so
// the shared functors compile for the device; memory and dispatch come with issue #7.
#include <cuda_runtime.h>
#include <math.h>
#include <stdint.h>

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

// Instantiate every unary op for float32 so the op list is compiled for the device.
#define TAPEFLOW_CUDA_INSTANTIATE(name, kind, expr)                                     \
  template __global__ void unary_kernel<U_##name, float, decltype(U_##name::apply(0.0f))>( \
      const float*, decltype(U_##name::apply(0.0f))*, int64_t);
TAPEFLOW_UNARY_OPS(TAPEFLOW_CUDA_INSTANTIATE)
#undef TAPEFLOW_CUDA_INSTANTIATE

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
