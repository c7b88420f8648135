// A small fork-safe thread pool (no OpenMP: libgomp hangs after fork).
// Do not include from the per-ISA kernel files: they receive work through plain
// function pointers only (see cpu/kernel_table.h).
#pragma once
#include <cstdint>
#include <type_traits>
#include <utility>

namespace tapeflow {

using RangeFn = void (*)(void* ctx, int64_t begin, int64_t end);

// Threads a parallel_for may use, the caller included. Defaults to the CPUs this
// process may run on, capped by the TAPEFLOW_NUM_THREADS environment variable.
int num_threads();
// Changes the cap (1 = everything on the calling thread). n <= 0 restores the default.
void set_num_threads(int n);

// Runs fn(ctx, begin, end) over [0, n) split into chunks of at least `grain` items.
// Runs inline when n <= grain, when there is one thread, when called from a worker,
// or when another thread is already using the pool. Rethrows the first exception.
// Chunks follow the thread count: never combine floating-point partials per chunk;
// reduce fixed blocks instead (as ops::reduce does), so results do not depend on it.
void parallel_for(int64_t n, int64_t grain, RangeFn fn, void* ctx);

template <class F>
void parallel_for(int64_t n, int64_t grain, F&& f) {
  using Fn = std::remove_reference_t<F>;
  auto thunk = [](void* c, int64_t b, int64_t e) { (*static_cast<Fn*>(c))(b, e); };
  parallel_for(n, grain, +thunk, const_cast<void*>(static_cast<const void*>(&f)));
}

}  // namespace tapeflow
