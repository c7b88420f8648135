// Stands in for the CUDA backend in builds without CUDA.
#include "cuda/cuda_backend.h"

namespace tapeflow::cuda {

int device_count() { return 0; }

}  // namespace tapeflow::cuda
