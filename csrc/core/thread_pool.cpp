#include "core/thread_pool.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "core/denormal.h"

namespace tapeflow {

namespace {

int default_threads() {
  int n = 0;
#ifdef __linux__
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) n = CPU_COUNT(&set);
#endif
  if (n <= 0) n = static_cast<int>(std::thread::hardware_concurrency());
  if (n <= 0) n = 1;
  if (const char* env = std::getenv("TAPEFLOW_NUM_THREADS")) {
    const int cap = std::atoi(env);
    if (cap > 0) n = std::min(n, cap);
  }
  return n;
}

thread_local bool t_in_worker = false;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

class Pool {
 public:
  explicit Pool(int workers) {
    for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { loop(); });
  }
  int workers() const { return static_cast<int>(threads_.size()); }

  // Runs `chunks` chunks, the caller taking part. Exactly one caller at a time.
  void run(int64_t chunks, int64_t n, RangeFn fn, void* ctx) {
    {
      std::lock_guard<std::mutex> lk(m_);
      fn_ = fn;
      ctx_ = ctx;
      n_ = n;
      chunks_ = chunks;
      float_mode_ = FlushDenormals::float_mode();  // the caller's (core/denormal.h)
      next_.store(0);
      done_ = 0;
      error_ = nullptr;
      generation_.fetch_add(1, std::memory_order_release);
    }
    cv_work_.notify_all();
    work();
    std::unique_lock<std::mutex> lk(m_);
    cv_done_.wait(lk, [&] { return done_ == chunks_; });
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void loop() {
    t_in_worker = true;
    uint64_t seen = 0;
    for (;;) {
      // Spin briefly before sleeping: ops come back to back in a training loop, and
      // waking a sleeping thread costs tens to hundreds of microseconds on a VM.
      const auto spin_until = std::chrono::steady_clock::now() + std::chrono::microseconds(50);
      while (generation_.load(std::memory_order_acquire) == seen &&
             std::chrono::steady_clock::now() < spin_until) {
        cpu_relax();
      }
      {
        std::unique_lock<std::mutex> lk(m_);
        cv_work_.wait(lk, [&] { return generation_.load(std::memory_order_acquire) != seen; });
        seen = generation_.load(std::memory_order_acquire);
        FlushDenormals::set_float_mode(float_mode_);  // chunks compute as the caller would
      }
      work();
    }
  }

  void work() {
    int64_t finished = 0;
    std::exception_ptr err;
    for (;;) {
      const int64_t c = next_.fetch_add(1);
      if (c >= chunks_) break;
      const int64_t begin = n_ * c / chunks_, end = n_ * (c + 1) / chunks_;
      try {
        fn_(ctx_, begin, end);
      } catch (...) {
        if (!err) err = std::current_exception();
      }
      ++finished;
    }
    if (finished == 0) return;
    std::lock_guard<std::mutex> lk(m_);
    if (err && !error_) error_ = err;
    done_ += finished;
    if (done_ == chunks_) cv_done_.notify_all();
  }

  std::vector<std::thread> threads_;
  std::mutex m_;
  std::condition_variable cv_work_, cv_done_;
  std::atomic<uint64_t> generation_{0};
  RangeFn fn_ = nullptr;
  void* ctx_ = nullptr;
  int64_t n_ = 0, chunks_ = 0, done_ = 0;
  unsigned float_mode_ = 0;
  std::atomic<int64_t> next_{0};
  std::exception_ptr error_;
};

// The pool is created on first use and deliberately never destroyed: its threads may
// be blocked at interpreter exit, and after fork() the child starts a fresh one.
std::mutex g_dispatch;  // one parallel region at a time
Pool* g_pool = nullptr;
std::atomic<int> g_threads{0};
std::once_flag g_atfork_once;

void after_fork_in_child() {
  // The parent's workers do not exist here; forget them (leak) and start over.
  g_pool = nullptr;
  new (&g_dispatch) std::mutex();
}

}  // namespace

int num_threads() {
  int n = g_threads.load();
  if (n == 0) {
    n = default_threads();
    g_threads.store(n);
  }
  return n;
}

void set_num_threads(int n) { g_threads.store(n > 0 ? n : default_threads()); }

void parallel_for(int64_t n, int64_t grain, RangeFn fn, void* ctx) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  const int threads = num_threads();
  if (n <= grain || threads <= 1 || t_in_worker) {
    fn(ctx, 0, n);
    return;
  }
  std::unique_lock<std::mutex> lk(g_dispatch, std::try_to_lock);
  if (!lk.owns_lock()) {  // another Python thread is using the pool
    fn(ctx, 0, n);
    return;
  }
  std::call_once(g_atfork_once, [] { pthread_atfork(nullptr, nullptr, after_fork_in_child); });
  if (g_pool == nullptr || g_pool->workers() < threads - 1) {
    // Grows only (old pools stay parked); sizes change rarely (tests, user cap).
    g_pool = new Pool(threads - 1);
  }
  const int64_t chunks = std::min<int64_t>(threads, (n + grain - 1) / grain);
  if (chunks <= 1) {
    fn(ctx, 0, n);
    return;
  }
  g_pool->run(chunks, n, fn, ctx);
}

}  // namespace tapeflow
