// Element types. The numeric values index kernel tables: keep them dense.
#pragma once
#include <cstdint>
#include <string>

namespace tapeflow {

enum class DType : int { kFloat32 = 0, kFloat64 = 1, kInt32 = 2, kInt64 = 3, kBool = 4 };
constexpr int kNumDTypes = 5;

int64_t itemsize(DType dt);
const char* dtype_name(DType dt);  // "float32", ... as TF names them
DType dtype_from_name(const std::string& name);  // throws InvalidArgument
inline bool is_floating(DType dt) { return dt == DType::kFloat32 || dt == DType::kFloat64; }
inline bool is_integer(DType dt) { return dt == DType::kInt32 || dt == DType::kInt64; }

// Maps a C++ type to its DType at compile time.
template <class T> struct dtype_of;
template <> struct dtype_of<float> { static constexpr DType value = DType::kFloat32; };
template <> struct dtype_of<double> { static constexpr DType value = DType::kFloat64; };
template <> struct dtype_of<int32_t> { static constexpr DType value = DType::kInt32; };
template <> struct dtype_of<int64_t> { static constexpr DType value = DType::kInt64; };
template <> struct dtype_of<bool> { static constexpr DType value = DType::kBool; };

// Calls fn(T{}) with T the C++ type of dt.
template <class Fn>
decltype(auto) visit_dtype(DType dt, Fn&& fn) {
  switch (dt) {
    case DType::kFloat32: return fn(float{});
    case DType::kFloat64: return fn(double{});
    case DType::kInt32: return fn(int32_t{});
    case DType::kInt64: return fn(int64_t{});
    case DType::kBool: return fn(bool{});
  }
  return fn(float{});
}

}  // namespace tapeflow
