// Reference-counted storage: 64-byte aligned host memory, or CUDA device memory.
// Buffers come from a caching allocator: freed blocks are kept in size classes (from
// 64 KiB, powers of two and 1.5x between them; below, 64-byte steps, in a smaller cache)
// and reused, so a training loop stops faulting in fresh pages every step. The cache is bounded, emptied when an
// allocation fails, and on request (empty_cache).
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

  struct Free {  // gives a block back without caching it (the destructor caches)
    Device device;
    void operator()(void* p) const noexcept;
  };
  // Takes ownership of p (from the allocator); use allocate().
  Storage(std::unique_ptr<void, Free> p, size_t nbytes, size_t capacity, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

 private:
  std::unique_ptr<void, Free> data_;
  size_t nbytes_;
  size_t capacity_;  // the block's size class
  Device device_;
};

// Bytes currently allocated by Storage on the host (for tests and leak checks).
int64_t host_bytes_in_use();
// How many host blocks came from the system rather than the cache so far (a compiled
// training step in its steady state takes none).
int64_t host_fresh_allocations();
// Bytes held by the cache of freed blocks, and a way to give them back to the OS.
int64_t host_bytes_cached();
void empty_cache();  // host and GPU caches
// The same for GPU memory (0 without a GPU).
int64_t device_bytes_in_use();
int64_t device_bytes_cached();

}  // namespace tapeflow
