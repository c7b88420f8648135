// CUDA runtime entry points: device count and names, raw device memory, host <-> device
// copies and synchronisation.
#include "cuda/common.cuh"

namespace tapeflow::cuda {

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

}  // namespace tapeflow::cuda
