// Native benchmark of the core's kernels, without Python in the way.
// Build: cmake -S . -B build/bench -G Ninja -DTAPEFLOW_BUILD_BENCH=ON && cmake --build build/bench --target tapeflow_bench
// Run:   build/bench/tapeflow_bench            (TAPEFLOW_ISA / TAPEFLOW_NUM_THREADS apply)
//        build/bench/tapeflow_bench gemm M K N [f64]   one product, (M x K) @ (K x N):
//        median GFLOP/s of 21 loops of 5 calls (for A/B runs of GEMM changes)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/thread_pool.h"
#include "ops.h"

using namespace tapeflow;

namespace {

// Median seconds per call over `repeat` timed runs after one warm-up call.
double median_seconds(const std::function<void()>& fn, int repeat = 9) {
  fn();
  std::vector<double> t;
  for (int i = 0; i < repeat; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::nth_element(t.begin(), t.begin() + repeat / 2, t.end());
  return t[repeat / 2];
}

}  // namespace

// `gemm M K N [f64]`: one product shape, timed in loops of 5 calls.
int gemm_shape(int argc, char** argv) {
  const int64_t M = std::atoll(argv[2]), K = std::atoll(argv[3]), N = std::atoll(argv[4]);
  const DType dt = argc > 5 && std::string(argv[5]) == "f64" ? DType::kFloat64 : DType::kFloat32;
  if (M <= 0 || K <= 0 || N <= 0) {
    std::fprintf(stderr, "usage: tapeflow_bench gemm M K N [f64]  (positive sizes)\n");
    return 2;
  }
  const auto key = ops::PhiloxKey{1, 2};
  const Array a = ops::random_uniform({M, K}, dt, key, {0, 0, 0, 0}).values;
  const Array b = ops::random_uniform({K, N}, dt, key, {1, 0, 0, 0}).values;
  const double s = median_seconds([&] { for (int i = 0; i < 5; ++i) ops::matmul(a, b); }, 21) / 5;
  std::printf("%s %lldx%lldx%lld threads=%d isa=%s: %.1f us, %.1f GFLOP/s\n",
              dt == DType::kFloat32 ? "sgemm" : "dgemm", static_cast<long long>(M),
              static_cast<long long>(K), static_cast<long long>(N), num_threads(),
              ops::kernel_isa(), s * 1e6, 2.0 * M * K * N / s / 1e9);
  return 0;
}

int main(int argc, char** argv) {
  if (argc >= 5 && std::string(argv[1]) == "gemm") return gemm_shape(argc, argv);
  std::printf("tapeflow native bench: isa=%s threads=%d\n", ops::kernel_isa(), num_threads());
  std::printf("%-34s %12s %14s\n", "workload", "median (us)", "throughput");
  const int64_t n = 10'000'000;
  const auto key = ops::PhiloxKey{1, 2};
  const auto ctr = ops::PhiloxCounter{0, 0, 0, 0};
  const Array a = ops::random_uniform({n}, DType::kFloat32, key, ctr).values;
  const Array b = ops::random_uniform({n}, DType::kFloat32, key, {1, 0, 0, 0}).values;

  double s = median_seconds([&] { ops::add(a, b); });
  std::printf("%-34s %12.1f %11.1f GB/s\n", "add 10M float32 (new output)", s * 1e6, 12.0 * n / s / 1e9);
  s = median_seconds([&] { ops::exp(a); });
  std::printf("%-34s %12.1f %11.1f GB/s\n", "exp 10M float32", s * 1e6, 8.0 * n / s / 1e9);
  s = median_seconds([&] { ops::sum(a); });
  std::printf("%-34s %12.1f %11.1f GB/s\n", "sum 10M float32", s * 1e6, 4.0 * n / s / 1e9);
  const Array sq = ops::random_uniform({4096, 4096}, DType::kFloat32, key, ctr).values;
  s = median_seconds([&] { ops::sum(sq, ops::Axes{1}); });
  std::printf("%-34s %12.1f %11.1f GB/s\n", "row sums of 4096x4096", s * 1e6, 4.0 * 4096 * 4096 / s / 1e9);
  s = median_seconds([&] { ops::sum(sq, ops::Axes{0}); });
  std::printf("%-34s %12.1f %11.1f GB/s\n", "column sums of 4096x4096", s * 1e6, 4.0 * 4096 * 4096 / s / 1e9);
  s = median_seconds([&] { ops::random_uniform({n}, DType::kFloat32, key, ctr); });
  std::printf("%-34s %12.1f %9.1f M/s\n", "uniform 10M float32", s * 1e6, n / s / 1e6);
  s = median_seconds([&] { ops::random_normal({n}, DType::kFloat32, key, ctr); });
  std::printf("%-34s %12.1f %9.1f M/s\n", "normal 10M float32", s * 1e6, n / s / 1e6);
  for (const DType dt : {DType::kFloat32, DType::kFloat64}) {
    for (const int64_t m : {64, 128, 256, 512, 1024, 2048}) {
      const Array x = ops::random_uniform({m, m}, dt, key, ctr).values;
      s = median_seconds([&] { ops::matmul(x, x); }, m >= 1024 ? 5 : m >= 256 ? 9 : 51);
      char label[64];
      std::snprintf(label, sizeof label, "%s n=%lld", dt == DType::kFloat32 ? "sgemm" : "dgemm",
                    static_cast<long long>(m));
      std::printf("%-34s %12.1f %8.1f GFLOP/s\n", label, s * 1e6, 2.0 * m * m * m / s / 1e9);
    }
  }
  for (const auto& [sa, sb] : {std::pair<Shape, Shape>{{2000, 2}, {2, 1}}, {{32, 64}, {64, 64}}}) {
    const Array p = ops::random_uniform(sa, DType::kFloat32, key, ctr).values;
    const Array q = ops::random_uniform(sb, DType::kFloat32, key, {1, 0, 0, 0}).values;
    s = median_seconds([&] { for (int i = 0; i < 100; ++i) ops::matmul(p, q); }, 21) / 100;
    char label[64];
    std::snprintf(label, sizeof label, "sgemm (%lld,%lld)x(%lld,%lld)", static_cast<long long>(sa[0]),
                  static_cast<long long>(sa[1]), static_cast<long long>(sb[0]), static_cast<long long>(sb[1]));
    std::printf("%-34s %12.2f %8.1f GFLOP/s\n", label, s * 1e6, 2.0 * sa[0] * sa[1] * sb[1] / s / 1e9);
  }
  const Array t1 = ops::full({2, 1}, DType::kFloat32, 1.0);
  s = median_seconds([&] { for (int i = 0; i < 1000; ++i) ops::add(t1, t1); });
  std::printf("%-34s %12.3f\n", "add (2,1)+(2,1), us per op", s * 1e6 / 1000);
  return 0;
}
