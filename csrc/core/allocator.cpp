#include "core/allocator.h"

#include <atomic>
#include <cstdlib>

#include <sys/mman.h>

#include "core/error.h"

namespace tapeflow {

namespace {
std::atomic<int64_t> g_host_bytes{0};
size_t rounded(size_t n) { return (n + kAlignment - 1) / kAlignment * kAlignment; }
}  // namespace

void Storage::Free::operator()(void* p) const noexcept { std::free(p); }

std::shared_ptr<Storage> Storage::allocate(size_t nbytes, Device device) {
  TAPEFLOW_CHECK_KIND(device.type == DeviceType::kCPU, kUnimplemented,
                      "[allocate] no allocator for device ", device.str(),
                      " in this build");
  // Always hand out a valid pointer, even for zero bytes.
  const size_t want = rounded(nbytes == 0 ? 1 : nbytes);
  void* p = want < nbytes ? nullptr : std::aligned_alloc(kAlignment, want);
  if (p == nullptr) {
    raise(ErrorKind::kResourceExhausted, "[allocate] OOM when allocating a buffer of ",
          nbytes, " bytes on ", device.str());
  }
#ifdef MADV_HUGEPAGE
  // Large buffers: ask for transparent huge pages, so first touch faults in 2 MiB at a
  // time instead of 4 KiB (numpy does the same); a hint, failure is harmless.
  constexpr size_t kHugeThreshold = size_t{4} << 20, kPage = 4096;
  if (want >= kHugeThreshold) {
    const uintptr_t begin = (reinterpret_cast<uintptr_t>(p) + kPage - 1) & ~(kPage - 1);
    const uintptr_t end = (reinterpret_cast<uintptr_t>(p) + want) & ~(kPage - 1);
    if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
  }
#endif
  // One allocation for the Storage and its reference count (make_shared).
  return std::make_shared<Storage>(std::unique_ptr<void, Free>(p), nbytes, device);
}

Storage::Storage(std::unique_ptr<void, Free> p, size_t nbytes, Device device)
    : data_(std::move(p)), nbytes_(nbytes), device_(device) {
  g_host_bytes += static_cast<int64_t>(nbytes_);
}

Storage::~Storage() { g_host_bytes -= static_cast<int64_t>(nbytes_); }

int64_t host_bytes_in_use() { return g_host_bytes.load(); }

}  // namespace tapeflow
