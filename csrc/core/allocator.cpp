#include "core/allocator.h"

#include <pthread.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#include <sys/mman.h>

#include "core/error.h"
#include "cuda/cuda_backend.h"

namespace tapeflow {

namespace {

std::atomic<int64_t> g_host_bytes{0};
std::atomic<int64_t> g_device_bytes{0};
std::atomic<int64_t> g_host_fresh{0};  // host blocks not served by the cache
constexpr size_t kMinCached = size_t{64} << 10;  // below: exact (64-byte rounded) classes
constexpr size_t kMaxCachedBytes = size_t{1} << 30;
// Small blocks get their own, smaller cache: glibc serves requests of 1 KiB and more
// from its sorted bins and consolidates its fast bins first, which made malloc/free of
// the 8 KB buffers of a small training step a third of its native time.
constexpr size_t kMaxCachedSmallBytes = size_t{16} << 20;

size_t rounded(size_t n) { return (n + kAlignment - 1) / kAlignment * kAlignment; }

// Size class of a request: below kMinCached the rounded size itself; above, the next
// power of two or 1.5 times a power of two (at most 33% slack).
size_t size_class(size_t n) {
  if (n < kMinCached) return rounded(n);
  size_t p = kMinCached;
  while (p < n) {
    if (p + p / 2 >= n) return p + p / 2;
    p *= 2;
  }
  return p;
}

// Freed blocks by size class, handed out again before fresh memory is asked for. One
// cache for host memory and one for GPU memory; `release` gives a block back for good.
class BlockCache {
 public:
  BlockCache(void (*release)(void*), size_t max_bytes) : release_(release), max_bytes_(max_bytes) {}
  void* take(size_t cls) {
    std::lock_guard<std::mutex> lk(m_);
    auto it = free_.find(cls);
    if (it == free_.end() || it->second.empty()) return nullptr;
    void* p = it->second.back();
    it->second.pop_back();
    bytes_ -= cls;
    return p;
  }
  bool put(void* p, size_t cls) {
    std::lock_guard<std::mutex> lk(m_);
    if (bytes_ + cls > max_bytes_) return false;
    free_[cls].push_back(p);
    bytes_ += cls;
    return true;
  }
  void clear() {
    std::lock_guard<std::mutex> lk(m_);
    for (auto& [cls, blocks] : free_)
      for (void* p : blocks) release_(p);
    free_.clear();
    bytes_ = 0;
  }
  int64_t bytes() {
    std::lock_guard<std::mutex> lk(m_);
    return static_cast<int64_t>(bytes_);
  }
  void after_fork() { new (&m_) std::mutex(); }  // a lock held at fork() is gone

 private:
  void (*release_)(void*);
  size_t max_bytes_;
  std::mutex m_;
  std::unordered_map<size_t, std::vector<void*>> free_;
  size_t bytes_ = 0;
};

// Host blocks: large ones, and those below kMinCached with their own, smaller bound.
struct HostCaches {
  BlockCache large{[](void* p) { std::free(p); }, kMaxCachedBytes};
  BlockCache small{[](void* p) { std::free(p); }, kMaxCachedSmallBytes};
};

// Deliberately never destroyed: Storages may be freed during static destruction.
HostCaches& host_caches() {
  static HostCaches* c = [] {
    auto* made = new HostCaches();
    pthread_atfork(nullptr, nullptr, [] {
      host_caches().large.after_fork();
      host_caches().small.after_fork();
    });
    return made;
  }();
  return *c;
}
BlockCache& cache() { return host_caches().large; }
BlockCache& small_cache() { return host_caches().small; }

BlockCache& host_cache(size_t cls) { return cls >= kMinCached ? cache() : small_cache(); }

// GPU memory: cudaMalloc/cudaFree synchronise the device and take tens of microseconds,
// so every size is cached (one GPU, index 0, is what the cache serves; others bypass it).
constexpr size_t kMaxCachedDeviceBytes = size_t{8} << 30;
BlockCache& device_cache() {
  static BlockCache* c =
      new BlockCache([](void* p) { cuda::raw_free(p, 0); }, kMaxCachedDeviceBytes);
  return *c;
}

void* device_block(size_t cls, int index) {
  void* p = index == 0 ? device_cache().take(cls) : nullptr;
  if (p == nullptr) p = cuda::raw_malloc(cls, index);
  if (p == nullptr && index == 0) {  // give cached blocks back and try once more
    device_cache().clear();
    p = cuda::raw_malloc(cls, index);
  }
  return p;
}

void* fresh_block(size_t cls) {
  g_host_fresh.fetch_add(1, std::memory_order_relaxed);
  void* p = std::aligned_alloc(kAlignment, cls);
  if (p == nullptr) {  // give cached blocks back and try once more
    cache().clear();
    small_cache().clear();
    p = std::aligned_alloc(kAlignment, cls);
  }
#ifdef MADV_HUGEPAGE
  // Large buffers: ask for transparent huge pages, so first touch faults in 2 MiB at a
  // time instead of 4 KiB (numpy does the same); a hint, failure is harmless.
  constexpr size_t kHugeThreshold = size_t{4} << 20, kPage = 4096;
  if (p != nullptr && cls >= kHugeThreshold) {
    const uintptr_t begin = (reinterpret_cast<uintptr_t>(p) + kPage - 1) & ~(kPage - 1);
    const uintptr_t end = (reinterpret_cast<uintptr_t>(p) + cls) & ~(kPage - 1);
    if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
  }
#endif
  return p;
}

}  // namespace

void Storage::Free::operator()(void* p) const noexcept {
  if (device.type == DeviceType::kCUDA) cuda::raw_free(p, device.index);
  else std::free(p);
}

std::shared_ptr<Storage> Storage::allocate(size_t nbytes, Device device) {
  const bool gpu = device.type == DeviceType::kCUDA;
  TAPEFLOW_CHECK_KIND(!gpu || device.index < cuda::device_count(), kInvalidArgument,
                      "[allocate] ", device.str(), " is not available (", cuda::device_count(),
                      " GPUs)");
  // Always hand out a valid pointer, even for zero bytes.
  const size_t want = rounded(nbytes == 0 ? 1 : nbytes);
  const size_t cls = want < nbytes ? 0 : size_class(want);
  void* p = nullptr;
  if (cls != 0 && gpu) {
    p = device_block(cls, device.index);
  } else if (cls != 0) {
    p = host_cache(cls).take(cls);
    if (p == nullptr) p = fresh_block(cls);
  }
  if (p == nullptr) {
    raise(ErrorKind::kResourceExhausted, "[allocate] OOM when allocating a buffer of ",
          nbytes, " bytes on ", device.str());
  }
  // One allocation for the Storage and its reference count (make_shared).
  return std::make_shared<Storage>(std::unique_ptr<void, Free>(p, Free{device}), nbytes, cls, device);
}

Storage::Storage(std::unique_ptr<void, Free> p, size_t nbytes, size_t capacity, Device device)
    : data_(std::move(p)), nbytes_(nbytes), capacity_(capacity), device_(device) {
  (device_.type == DeviceType::kCPU ? g_host_bytes : g_device_bytes) +=
      static_cast<int64_t>(nbytes_);
}

Storage::~Storage() {
  void* p = data_.release();
  if (device_.type == DeviceType::kCUDA) {
    g_device_bytes -= static_cast<int64_t>(nbytes_);
    if (device_.index != 0 || !device_cache().put(p, capacity_)) cuda::raw_free(p, device_.index);
    return;
  }
  g_host_bytes -= static_cast<int64_t>(nbytes_);
  if (!host_cache(capacity_).put(p, capacity_)) std::free(p);
}

int64_t host_bytes_in_use() { return g_host_bytes.load(); }
int64_t host_fresh_allocations() { return g_host_fresh.load(); }
int64_t host_bytes_cached() { return cache().bytes() + small_cache().bytes(); }
void empty_cache() {
  cache().clear();
  small_cache().clear();
  if (cuda::device_count() > 0) device_cache().clear();
}
int64_t device_bytes_in_use() { return g_device_bytes.load(); }
int64_t device_bytes_cached() { return cuda::device_count() > 0 ? device_cache().bytes() : 0; }

}  // namespace tapeflow
