// Helpers shared by the C++ tests: float64 Arrays from and to std::vector.
#pragma once
#include <vector>

#include "ops.h"

namespace tapeflow::test_util {

inline Array values(const Shape& shape, const std::vector<double>& v) {
  Array a = Array::empty(shape, DType::kFloat64);
  for (size_t i = 0; i < v.size(); ++i) a.data<double>()[i] = v[i];
  return a;
}

inline std::vector<double> to_vec(const Array& a) {
  const Array c = ops::contiguous(a);
  return std::vector<double>(c.data<double>(), c.data<double>() + c.size());
}

}  // namespace tapeflow::test_util
