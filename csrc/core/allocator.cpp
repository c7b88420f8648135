#include "core/allocator.h"

#include <atomic>
#include <cstdlib>

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
  std::unique_ptr<void, Free> owned(p);
  std::unique_ptr<Storage> st(new Storage(nullptr, nbytes, device));
  st->data_ = std::move(owned);
  g_host_bytes += static_cast<int64_t>(nbytes);
  // shared_ptr runs the deleter itself if making the control block throws.
  return std::shared_ptr<Storage>(st.release(), [](Storage* q) {
    g_host_bytes -= static_cast<int64_t>(q->nbytes());
    delete q;
  });
}

int64_t host_bytes_in_use() { return g_host_bytes.load(); }

}  // namespace tapeflow
