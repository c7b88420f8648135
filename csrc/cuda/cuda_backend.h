// The CUDA backend's entry points. With TAPEFLOW_CUDA off, no_cuda.cpp stands in,
// so the rest of the code has one path.
#pragma once

namespace tapeflow::cuda {

// Number of usable CUDA devices (0 without CUDA, or without a GPU at run time).
int device_count();

}  // namespace tapeflow::cuda
