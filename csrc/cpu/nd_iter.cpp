#include <algorithm>
#include <mutex>

#include "core/error.h"
#include "core/thread_pool.h"
#include "cpu/cpu_backend.h"

namespace tapeflow::cpu {

const KernelTable& kernels_for(Isa isa) {
  // Fill a table only when first asked for, and never above what the CPU runs: the
  // AVX-512 fill function is itself compiled with AVX-512 instructions.
  static KernelTable tables[3];
  static std::once_flag once[3];
  const int i = std::min(static_cast<int>(isa), static_cast<int>(detected_isa()));
  std::call_once(once[i], [i] {
    switch (static_cast<Isa>(i)) {
#ifdef TAPEFLOW_HAVE_X86_ISAS
      case Isa::kAvx512: fill_kernels_avx512(&tables[i]); break;
      case Isa::kAvx2: fill_kernels_avx2(&tables[i]); break;
#endif
      default: fill_kernels_generic(&tables[i]); break;
    }
  });
  return tables[i];
}

const KernelTable& kernels() {
  static const KernelTable& t = kernels_for(active_isa());
  return t;
}

namespace {

constexpr int kMaxOps = 4;

struct Plan {
  Shape shape;                        // coalesced, innermost last
  std::vector<Strides> strides;       // per operand, elements
  std::vector<char*> base;
  std::vector<int64_t> itemsize;
  InnerLoop fn;
  const void* ctx;
};

void run_range(const Plan& p, int64_t begin, int64_t end) {
  const int nops = static_cast<int>(p.base.size());
  const int nd = static_cast<int>(p.shape.size());
  const int64_t inner = p.shape[nd - 1];
  // Multi-index of `begin`.
  std::vector<int64_t> idx(nd);
  int64_t rem = begin;
  for (int d = nd - 1; d >= 0; --d) {
    idx[d] = rem % p.shape[d];
    rem /= p.shape[d];
  }
  char* ptr[kMaxOps];
  int64_t inner_strides[kMaxOps];
  for (int o = 0; o < nops; ++o) {
    int64_t off = 0;
    for (int d = 0; d < nd; ++d) off += idx[d] * p.strides[o][d];
    ptr[o] = p.base[o] + off * p.itemsize[o];
    inner_strides[o] = p.strides[o][nd - 1];
  }
  int64_t cur = begin;
  while (cur < end) {
    const int64_t n = std::min(inner - idx[nd - 1], end - cur);
    p.fn(ptr, inner_strides, n, p.ctx);
    cur += n;
    if (cur >= end) break;
    // Advance to the start of the next inner row.
    idx[nd - 1] = 0;
    int d = nd - 2;
    for (; d >= 0; --d) {
      if (++idx[d] < p.shape[d]) break;
      idx[d] = 0;
    }
    for (int o = 0; o < nops; ++o) {
      int64_t off = 0;
      for (int e = 0; e < nd; ++e) off += idx[e] * p.strides[o][e];
      ptr[o] = p.base[o] + off * p.itemsize[o];
    }
  }
}

}  // namespace

void run_nd(const Shape& shape, std::vector<Operand> ops, InnerLoop fn, const void* ctx,
            int64_t grain) {
  const int nops = static_cast<int>(ops.size());
  TAPEFLOW_CHECK_KIND(nops >= 1 && nops <= kMaxOps, kInternal, "[run_nd] bad operand count");
  const int64_t total = shape_size(shape);
  if (total == 0) return;
  Plan p;
  p.fn = fn;
  p.ctx = ctx;
  p.strides.resize(nops);
  for (int o = 0; o < nops; ++o) {
    p.base.push_back(ops[o].data);
    p.itemsize.push_back(ops[o].itemsize);
  }
  // Drop size-1 dims, then merge neighbours that are contiguous for every operand.
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    const bool merge = !p.shape.empty() && [&] {
      for (int o = 0; o < nops; ++o)
        if (p.strides[o].back() != ops[o].strides[d] * shape[d]) return false;
      return true;
    }();
    if (merge) {
      p.shape.back() *= shape[d];
      for (int o = 0; o < nops; ++o) p.strides[o].back() = ops[o].strides[d];
    } else {
      p.shape.push_back(shape[d]);
      for (int o = 0; o < nops; ++o) p.strides[o].push_back(ops[o].strides[d]);
    }
  }
  if (p.shape.empty()) {  // a single element
    p.shape.push_back(1);
    for (int o = 0; o < nops; ++o) p.strides[o].push_back(1);
  }
  parallel_for(total, grain, [&p](int64_t b, int64_t e) { run_range(p, b, e); });
}

}  // namespace tapeflow::cpu
