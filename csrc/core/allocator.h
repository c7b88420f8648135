// Reference-counted storage: 64-byte aligned host memory (device memory later).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/device.h"

namespace tapeflow {

constexpr size_t kAlignment = 64;

class Storage {
 public:
  // Allocates nbytes (uninitialised). Throws ResourceExhausted when memory runs out.
  static std::shared_ptr<Storage> allocate(size_t nbytes, Device device = cpu_device());

  void* data() const { return data_.get(); }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }

  struct Free {
    void operator()(void* p) const noexcept;
  };
  // Takes ownership of p (from the allocator); use allocate().
  Storage(std::unique_ptr<void, Free> p, size_t nbytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

 private:
  std::unique_ptr<void, Free> data_;
  size_t nbytes_;
  Device device_;
};

// Bytes currently allocated by Storage on the host (for tests and leak checks).
int64_t host_bytes_in_use();

}  // namespace tapeflow
