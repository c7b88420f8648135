// Array: a typed, strided view into shared Storage. Views (slice, transpose,
// broadcast, reshape of contiguous data) share storage; kernels always return new Arrays.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/allocator.h"
#include "core/dim_vector.h"
#include "core/dtype.h"

namespace tapeflow {

using Shape = DimVector;
using Strides = DimVector;  // in elements, may be negative or zero

std::string shape_str(const Shape& shape);          // "(2, 3)" as Python prints tuples
int64_t shape_size(const Shape& shape);             // throws on negative dims / overflow
Strides contiguous_strides(const Shape& shape);     // row-major

class Array {
 public:
  Array() = default;  // an empty float32 scalar-less placeholder; not valid for ops

  // A new contiguous array with uninitialised data.
  static Array empty(const Shape& shape, DType dtype, Device device = cpu_device());

  // A view of the same storage (no checks beyond bounds of the storage).
  Array view(const Shape& shape, const Strides& strides, int64_t offset) const;

  bool defined() const { return storage_ != nullptr; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  const Strides& strides() const { return strides_; }
  int64_t offset() const { return offset_; }
  int64_t ndim() const { return static_cast<int64_t>(shape_.size()); }
  int64_t size() const { return size_; }
  int64_t itemsize() const { return tapeflow::itemsize(dtype_); }
  int64_t nbytes() const { return size_ * itemsize(); }
  int64_t dim(int64_t i) const { return shape_.at(static_cast<size_t>(i)); }
  Device device() const { return storage_ ? storage_->device() : cpu_device(); }
  const std::shared_ptr<Storage>& storage() const { return storage_; }
  bool is_contiguous() const;

  // Pointer to the first element (storage base + offset).
  void* raw_data() const {
    return static_cast<char*>(storage_->data()) + offset_ * itemsize();
  }
  template <class T>
  T* data() const {
    return static_cast<T*>(raw_data());
  }

  std::string describe() const;  // "float32 (2, 3)" for error messages

  // Which value this is, for graph tracing (csrc/graph): every Array made by empty() or
  // view() gets a new uid; copies of an Array keep it (they are the same value).
  uint64_t uid() const { return uid_; }
  // The same data as a new value (a new uid): a traced function's inputs.
  Array renamed() const;

 private:
  std::shared_ptr<Storage> storage_;
  DType dtype_ = DType::kFloat32;
  Shape shape_;
  Strides strides_;
  int64_t offset_ = 0;
  int64_t size_ = 0;
  uint64_t uid_ = 0;
};

}  // namespace tapeflow
