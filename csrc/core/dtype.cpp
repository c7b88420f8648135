#include "core/dtype.h"

#include "core/error.h"

namespace tapeflow {

int64_t itemsize(DType dt) {
  switch (dt) {
    case DType::kFloat32: return 4;
    case DType::kFloat64: return 8;
    case DType::kInt32: return 4;
    case DType::kInt64: return 8;
    case DType::kBool: return 1;
  }
  return 0;
}

const char* dtype_name(DType dt) {
  switch (dt) {
    case DType::kFloat32: return "float32";
    case DType::kFloat64: return "float64";
    case DType::kInt32: return "int32";
    case DType::kInt64: return "int64";
    case DType::kBool: return "bool";
  }
  return "unknown";
}

DType dtype_from_name(const std::string& name) {
  for (int i = 0; i < kNumDTypes; ++i) {
    const auto dt = static_cast<DType>(i);
    if (name == dtype_name(dt)) return dt;
  }
  raise(ErrorKind::kInvalidArgument, "[dtype] unknown dtype '", name,
        "'; expected float32, float64, int32, int64 or bool");
}

}  // namespace tapeflow
