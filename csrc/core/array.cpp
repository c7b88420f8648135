#include "core/array.h"

#include <atomic>
#include <limits>
#include <sstream>

#include "core/error.h"

namespace tapeflow {

std::string shape_str(const Shape& shape) {
  std::ostringstream os;
  os << "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) os << ", ";
    os << shape[i];
  }
  if (shape.size() == 1) os << ",";
  os << ")";
  return os.str();
}

int64_t shape_size(const Shape& shape) {
  int64_t n = 1;
  for (const int64_t d : shape) {
    TAPEFLOW_CHECK(d >= 0, "[shape] dimensions must be non-negative, got ", shape_str(shape));
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d) {
      raise(ErrorKind::kResourceExhausted, "[shape] too many elements in shape ",
            shape_str(shape));
    }
    n *= d;
  }
  return n;
}

Strides contiguous_strides(const Shape& shape) {
  Strides s(shape.size());
  int64_t acc = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    s[i] = acc;
    acc *= shape[i] > 0 ? shape[i] : 1;
  }
  return s;
}

namespace {
std::atomic<uint64_t> g_next_uid{1};
uint64_t next_uid() { return g_next_uid.fetch_add(1, std::memory_order_relaxed); }
}  // namespace

Array Array::renamed() const {
  Array a = *this;
  a.uid_ = next_uid();
  return a;
}

Array Array::empty(const Shape& shape, DType dtype, Device device) {
  Array a;
  a.uid_ = next_uid();
  a.size_ = shape_size(shape);
  const int64_t isz = tapeflow::itemsize(dtype);
  if (a.size_ > std::numeric_limits<int64_t>::max() / isz) {
    raise(ErrorKind::kResourceExhausted, "[allocate] OOM: shape ", shape_str(shape), " of ",
          dtype_name(dtype), " is too large");
  }
  a.storage_ = Storage::allocate(static_cast<size_t>(a.size_ * isz), device);
  a.dtype_ = dtype;
  a.shape_ = shape;
  a.strides_ = contiguous_strides(shape);
  a.offset_ = 0;
  return a;
}

Array Array::view(const Shape& shape, const Strides& strides, int64_t offset) const {
  TAPEFLOW_CHECK(shape.size() == strides.size(), "[view] shape ", shape_str(shape),
                 " and strides ", shape_str(strides), " differ in rank");
  Array a = *this;
  a.uid_ = next_uid();
  a.shape_ = shape;
  a.strides_ = strides;
  a.offset_ = offset;
  a.size_ = shape_size(shape);
  if (a.size_ > 0) {  // every reachable element must lie inside the storage
    int64_t lo = offset, hi = offset;
    for (size_t i = 0; i < shape.size(); ++i) {
      const int64_t span = (shape[i] - 1) * strides[i];
      (span < 0 ? lo : hi) += span;
    }
    const int64_t cap = static_cast<int64_t>(storage_->nbytes()) / itemsize();
    if (lo < 0 || hi >= cap) {
      raise(ErrorKind::kInternal, "[view] view ", shape_str(shape), " strides ",
            shape_str(strides), " offset ", offset, " escapes storage of ", cap, " elements");
    }
  }
  return a;
}

bool Array::is_contiguous() const {
  int64_t expected = 1;
  for (size_t i = shape_.size(); i-- > 0;) {
    if (shape_[i] == 1) continue;
    if (strides_[i] != expected) return size_ == 0;
    expected *= shape_[i];
  }
  return true;
}

std::string Array::describe() const {
  return std::string(dtype_name(dtype_)) + " " + shape_str(shape_);
}

}  // namespace tapeflow
