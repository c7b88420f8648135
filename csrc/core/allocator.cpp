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

namespace tapeflow {

namespace {

std::atomic<int64_t> g_host_bytes{0};
constexpr size_t kMinCached = size_t{64} << 10;  // smaller blocks: malloc is fast enough
constexpr size_t kMaxCachedBytes = size_t{1} << 30;

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

class BlockCache {
 public:
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
    if (bytes_ + cls > kMaxCachedBytes) return false;
    free_[cls].push_back(p);
    bytes_ += cls;
    return true;
  }
  void clear() {
    std::lock_guard<std::mutex> lk(m_);
    for (auto& [cls, blocks] : free_)
      for (void* p : blocks) std::free(p);
    free_.clear();
    bytes_ = 0;
  }
  int64_t bytes() {
    std::lock_guard<std::mutex> lk(m_);
    return static_cast<int64_t>(bytes_);
  }
  void after_fork() { new (&m_) std::mutex(); }  // a lock held at fork() is gone

 private:
  std::mutex m_;
  std::unordered_map<size_t, std::vector<void*>> free_;
  size_t bytes_ = 0;
};

// Deliberately never destroyed: Storages may be freed during static destruction.
BlockCache& cache() {
  static BlockCache* c = [] {
    auto* made = new BlockCache();
    pthread_atfork(nullptr, nullptr, [] { cache().after_fork(); });
    return made;
  }();
  return *c;
}

void* fresh_block(size_t cls) {
  void* p = std::aligned_alloc(kAlignment, cls);
  if (p == nullptr) {  // give cached blocks back and try once more
    cache().clear();
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

void Storage::Free::operator()(void* p) const noexcept { std::free(p); }

std::shared_ptr<Storage> Storage::allocate(size_t nbytes, Device device) {
  TAPEFLOW_CHECK_KIND(device.type == DeviceType::kCPU, kUnimplemented,
                      "[allocate] no allocator for device ", device.str(),
                      " in this build");
  // Always hand out a valid pointer, even for zero bytes.
  const size_t want = rounded(nbytes == 0 ? 1 : nbytes);
  const size_t cls = want < nbytes ? 0 : size_class(want);
  void* p = nullptr;
  if (cls != 0) {
    p = cls >= kMinCached ? cache().take(cls) : nullptr;
    if (p == nullptr) p = fresh_block(cls);
  }
  if (p == nullptr) {
    raise(ErrorKind::kResourceExhausted, "[allocate] OOM when allocating a buffer of ",
          nbytes, " bytes on ", device.str());
  }
  // One allocation for the Storage and its reference count (make_shared).
  return std::make_shared<Storage>(std::unique_ptr<void, Free>(p), nbytes, cls, device);
}

Storage::Storage(std::unique_ptr<void, Free> p, size_t nbytes, size_t capacity, Device device)
    : data_(std::move(p)), nbytes_(nbytes), capacity_(capacity), device_(device) {
  g_host_bytes += static_cast<int64_t>(nbytes_);
}

Storage::~Storage() {
  g_host_bytes -= static_cast<int64_t>(nbytes_);
  void* p = data_.release();
  if (capacity_ < kMinCached || !cache().put(p, capacity_)) std::free(p);
}

int64_t host_bytes_in_use() { return g_host_bytes.load(); }
int64_t host_bytes_cached() { return cache().bytes(); }
void empty_cache() { cache().clear(); }

}  // namespace tapeflow
