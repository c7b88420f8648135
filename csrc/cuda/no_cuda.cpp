// Stands in for the CUDA backend in builds without CUDA: no devices, and every kernel
// entry raises (ops.cpp never reaches one, since no Array can live on a GPU here).
#include "core/error.h"
#include "cuda/cuda_backend.h"

namespace tapeflow::cuda {

namespace {
[[noreturn]] void no_cuda() {
  raise(ErrorKind::kUnimplemented, "[cuda] this build of tapeflow has no CUDA support "
        "(rebuild with -Ccmake.define.TAPEFLOW_CUDA=ON on a machine with nvcc)");
}
}  // namespace

int device_count() { return 0; }
std::string device_name(int) { no_cuda(); }
bool has_cublas() { return false; }
void* raw_malloc(size_t, int) { no_cuda(); }
void raw_free(void*, int) noexcept {}
void copy_to_device(void*, const void*, size_t, int) { no_cuda(); }
void copy_to_host(void*, const void*, size_t, int) { no_cuda(); }
void synchronize(int) {}
void unary(UnaryOp, const Array&, const Array&) { no_cuda(); }
void binary(BinaryOp, const Array&, const Array&, const Array&) { no_cuda(); }
void where(const Array&, const Array&, const Array&, const Array&) { no_cuda(); }
void copy_cast(const Array&, const Array&) { no_cuda(); }
void fill(const Array&, double) { no_cuda(); }
void fill_int(const Array&, int64_t) { no_cuda(); }
void reduce(ReduceOp, const Array&, int64_t, int64_t, bool, const Array&) { no_cuda(); }
void scan(ScanOp, const Array&, const Array&, int64_t, int64_t, int64_t, bool, bool) {
  no_cuda();
}
void matmul(const Array&, const Array&, const Array&, int64_t, int64_t, int64_t,
            const std::vector<int64_t>&, const std::vector<int64_t>&) { no_cuda(); }
void set_use_cublas(bool) {}
void gather_rows(const Array&, const Array&, const Array&, int64_t, int64_t, int64_t) { no_cuda(); }
void scatter_add_rows(const Array&, const Array&, const Array&, int64_t, int64_t, int64_t) {
  no_cuda();
}
void one_hot_set(const Array&, const Array&, int64_t, double) { no_cuda(); }
void sparse_softmax_xent(const Array&, const Array&, const Array&, const Array&, int64_t,
                         int64_t) { no_cuda(); }
void adam(const Array&, const Array&, const Array&, const Array&, const std::array<Array, 3>&,
          double, double, double, double) { no_cuda(); }
void random_fill(const Array&, int, std::array<uint32_t, 2>, std::array<uint32_t, 4>, int64_t,
                 int64_t) { no_cuda(); }

void conv_forward(const ConvGeom&, const Array&, const Array&, const Array&, const Array&, bool) {
  no_cuda();
}
void conv_backprop_input(const ConvGeom&, const Array&, const Array&, const Array&) { no_cuda(); }
void conv_backprop_filter(const ConvGeom&, const Array&, const Array&, const Array&) { no_cuda(); }
void pool_forward(const ConvGeom&, bool, const Array&, const Array&) { no_cuda(); }
void batch_norm_forward(const Array&, const Array&, const Array&, double, const Array&,
                        const Array&, const Array&, int64_t, int64_t) { no_cuda(); }
void batch_norm_backward(const Array&, const Array&, const Array&, const Array&, const Array&,
                         double, const Array&, const Array&, const Array&, int64_t, int64_t) {
  no_cuda();
}
void max_pool_argmax(const ConvGeom&, const Array&, const Array&, const Array&, bool) {
  no_cuda();
}
void pool_backward(const ConvGeom&, bool, const Array&, const Array&, const Array&, bool) {
  no_cuda();
}

}  // namespace tapeflow::cuda
