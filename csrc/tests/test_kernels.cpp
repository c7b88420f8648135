// Every kernel of every ISA table against a scalar reference (unary ops: against the
// generic float64 kernel, which the Python tests check against numpy).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <type_traits>
#include <vector>

#include "core/thread_pool.h"
#include "cpu/cpu_backend.h"
#include "ops.h"

using namespace tapeflow;

namespace {

Array random_array(const Shape& shape, DType dt, double lo, double hi, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  Array a = Array::empty(shape, dt);
  visit_dtype(dt, [&](auto t) {
    using T = decltype(t);
    T* p = a.data<T>();
    for (int64_t i = 0; i < a.size(); ++i) p[i] = static_cast<T>(dist(gen));
  });
  return a;
}

double get(const Array& a, int64_t i) {
  return visit_dtype(a.dtype(), [&](auto t) { return static_cast<double>(a.data<decltype(t)>()[i]); });
}


void expect_close(double got, double want, DType dt, const std::string& what) {
  if (std::isnan(want)) {
    EXPECT_TRUE(std::isnan(got)) << what;
    return;
  }
  const double tol = dt == DType::kFloat32 ? 2e-6 : 1e-13;
  EXPECT_NEAR(got, want, tol * std::max(1.0, std::fabs(want))) << what;
}

class PerIsa : public ::testing::TestWithParam<Isa> {};

// Unary ops need no reference list here: every ISA's kernels, every dtype, agree with the
// generic build's float64 kernel on the same values (libm in double), and tests/op_specs.py
// checks the ops against numpy. Float32 kernels (vectorised polynomials on AVX2/AVX-512)
// are within float32 rounding of it; float64 and integer kernels agree to the last bits.
TEST_P(PerIsa, UnaryOpsAgreeWithGenericFloat64) {
  const KernelTable& t = cpu::kernels_for(GetParam());
  const KernelTable& g = cpu::kernels_for(Isa::kGeneric);
  for (int op = 0; op < kNumUnaryOps; ++op) {
    const std::string name = ops::unary_name(static_cast<UnaryOp>(op));
    const bool positive = name == "log" || name == "sqrt" || name == "rsqrt";
    const bool pred = name == "isnan" || name == "isfinite";
    auto run = [&](const KernelTable& table, const Array& x) {
      const InnerLoop fn = table.unary[op][static_cast<int>(x.dtype())];
      Array out = Array::empty({37}, pred ? DType::kBool : x.dtype());
      char* data[2] = {static_cast<char*>(out.raw_data()), static_cast<char*>(x.raw_data())};
      const int64_t strides[2] = {1, 1};
      fn(data, strides, 37, nullptr);
      return out;
    };
    for (DType dt : {DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kInt64, DType::kBool}) {
      if (!t.unary[op][static_cast<int>(dt)]) continue;
      ASSERT_NE(g.unary[op][static_cast<int>(dt)], nullptr) << name << " " << dtype_name(dt);
      const Array x = dt == DType::kBool ? ops::greater(random_array({37}, DType::kFloat32, -1, 1, op),
                                                         ops::full({}, DType::kFloat32, 0))
                                         : random_array({37}, dt, positive ? 0.1 : -5, 5, op);
      const Array got = run(t, x);
      const bool floating = dt == DType::kFloat32 || dt == DType::kFloat64;
      const Array want = floating ? run(g, ops::cast(x, DType::kFloat64)) : run(g, x);
      for (int64_t i = 0; i < 37; ++i)
        expect_close(get(got, i), get(want, i), pred ? DType::kFloat64 : dt,
                     name + " " + dtype_name(dt) + " " + t.isa);
    }
  }
}

// Binary ops, as unary ones: every ISA's kernel, contiguous and with b broadcast (stride
// 0), agrees with the generic build's float64 kernel (the Python tests check the ops
// against numpy; tests/test_core_elementwise.py).
TEST_P(PerIsa, BinaryOpsAgreeWithGenericFloat64IncludingBroadcastStrides) {
  const KernelTable& t = cpu::kernels_for(GetParam());
  const KernelTable& g = cpu::kernels_for(Isa::kGeneric);
  for (int op = 0; op < kNumBinaryOps; ++op) {
    const std::string name = ops::binary_name(static_cast<BinaryOp>(op));
    const bool pos = name == "pow";
    for (DType dt : {DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kInt64, DType::kBool}) {
      if (!t.binary[op][static_cast<int>(dt)]) continue;
      ASSERT_NE(g.binary[op][static_cast<int>(dt)], nullptr) << name << " " << dtype_name(dt);
      // Integers for the bitwise ops only (the others' integer paths divide by zero on
      // these values; the Python tests cover them), bools for the logical ones.
      if (is_integer(dt) != (name.rfind("bitwise", 0) == 0)) continue;
      const bool compare = name.find("equal") != std::string::npos || name == "less" ||
                           name == "greater";
      const auto values = [&](unsigned seed, double lo, double hi) {
        return dt == DType::kBool ? ops::greater(random_array({29}, DType::kFloat32, -1, 1, seed),
                                                 ops::full({}, DType::kFloat32, 0))
                                  : random_array({29}, dt, lo, hi, seed);
      };
      const Array a = values(7 + op, pos ? 0.1 : -5, 5), b = values(11 + op, pos ? -2 : 0.5, 3);
      const bool floating = dt == DType::kFloat32 || dt == DType::kFloat64;
      for (const int64_t sb : {int64_t{1}, int64_t{0}}) {  // contiguous, then b broadcast
        auto run = [&](const KernelTable& table, const Array& x, const Array& y) {
          const InnerLoop fn = table.binary[op][static_cast<int>(x.dtype())];
          Array out = Array::empty({29}, compare ? DType::kBool : x.dtype());
          char* data[3] = {static_cast<char*>(out.raw_data()), static_cast<char*>(x.raw_data()),
                           static_cast<char*>(y.raw_data())};
          const int64_t strides[3] = {1, 1, sb};
          fn(data, strides, 29, nullptr);
          return out;
        };
        const Array got = run(t, a, b);
        const Array want = floating ? run(g, ops::cast(a, DType::kFloat64), ops::cast(b, DType::kFloat64))
                                    : run(g, a, b);
        for (int64_t i = 0; i < 29; ++i)
          expect_close(get(got, i), get(want, i), got.dtype() == DType::kBool ? DType::kFloat64 : dt,
                       name + " " + dtype_name(dt) + " " + t.isa + (sb ? "" : " broadcast"));
      }
    }
  }
}

TEST_P(PerIsa, GemmMatchesNaive) {
  const KernelTable& t = cpu::kernels_for(GetParam());
  for (const auto& [M, N, K] : std::vector<std::array<int64_t, 3>>{{1, 1, 1}, {5, 7, 3}, {33, 65, 300}, {4, 0, 3}}) {
    const Array A = random_array({M, K}, DType::kFloat64, -1, 1, 1);
    const Array B = random_array({K, N}, DType::kFloat64, -1, 1, 2);
    Array C = Array::empty({M, N}, DType::kFloat64);
    t.gemm[1](M, N, K, A.raw_data(), K, B.raw_data(), N, C.raw_data(), N);
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) {
        double s = 0;
        for (int64_t k = 0; k < K; ++k) s += get(A, i * K + k) * get(B, k * N + j);
        EXPECT_NEAR(get(C, i * N + j), s, 1e-12) << t.isa;
      }
  }
}

// The packed / direct / narrow GEMM paths of every ISA (and the transposed-A kernel)
// against a long-double reference:
// odd sizes, 1-element dims, sizes around the register tiles (MR 14/6/4, NR up to 32) and
// the cache blocks (KC 256/384, MC 120/168), leading dimensions wider than the rows, and
// C padding that must stay untouched. Error bound: c * eps * sum_k |a_ik||b_kj|.
// transposed_a: A is stored K x M (lda >= M) and the kernel is gemm_at (C = A^T B).
template <class T>
void check_gemm(const KernelTable& t, int64_t M, int64_t N, int64_t K, int64_t pad, unsigned seed,
                bool transposed_a = false) {
  const int64_t lda = (transposed_a ? M : K) + pad, ldb = N + 2 * pad, ldc = N + 3 * pad;
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(-1, 1);
  std::vector<T> A(static_cast<size_t>((transposed_a ? K : M) * lda + 1));
  std::vector<T> B(static_cast<size_t>(K * ldb + 1));
  std::vector<T> C(static_cast<size_t>(M * ldc + 1), T(-777));
  for (auto& x : A) x = static_cast<T>(dist(gen));
  for (auto& x : B) x = static_cast<T>(dist(gen));
  const int d = std::is_same_v<T, float> ? 0 : 1;
  auto a_at = [&](int64_t i, int64_t k) { return transposed_a ? A[k * lda + i] : A[i * lda + k]; };
  if (transposed_a) t.gemm_at[d](M, N, K, A.data(), lda, B.data(), ldb, C.data(), ldc);
  else t.gemm[d](M, N, K, A.data(), lda, B.data(), ldb, C.data(), ldc);
  const double eps = std::is_same_v<T, float> ? 6e-8 : 1.2e-16;
  int bad = 0;
  for (int64_t i = 0; i < M && bad < 5; ++i) {
    for (int64_t j = 0; j < ldc && bad < 5; ++j) {
      const T got = C[static_cast<size_t>(i * ldc + j)];
      if (j >= N) {  // padding between rows: untouched
        if (got != T(-777)) { ++bad; ADD_FAILURE() << "wrote padding at " << i << "," << j; }
        continue;
      }
      long double s = 0, mag = 0;
      for (int64_t k = 0; k < K; ++k) {
        const long double p = static_cast<long double>(a_at(i, k)) * B[k * ldb + j];
        s += p;
        mag += p < 0 ? -p : p;
      }
      const double tol = 4 * eps * (static_cast<double>(K) + 2) * static_cast<double>(mag) + 1e-30;
      if (!(std::fabs(static_cast<double>(got) - static_cast<double>(s)) <= tol)) {
        ++bad;
        ADD_FAILURE() << t.isa << (d ? " f64" : " f32") << (transposed_a ? " A^T" : "")
                      << " M=" << M << " N=" << N << " K=" << K
                      << " pad=" << pad << " C[" << i << "," << j << "]=" << got << " want " << (double)s;
      }
    }
  }
  EXPECT_EQ(C.back(), T(-777)) << "wrote past the end";
}

TEST_P(PerIsa, GemmFloatAndDoubleAllPathsMatchReference) {
  const KernelTable& t = cpu::kernels_for(GetParam());
  std::vector<std::array<int64_t, 3>> shapes = {
      {1, 1, 1}, {1, 1, 7}, {2000, 1, 2}, {7, 1, 300}, {3, 2, 40}, {1, 33, 5}, {1, 64, 64},
      {64, 1, 64}, {5, 7, 3}, {13, 17, 19}, {14, 32, 8}, {15, 33, 9}, {28, 64, 17},
      {29, 65, 31}, {6, 16, 5}, {7, 17, 5}, {12, 8, 4}, {4, 4, 4}, {3, 9, 1}, {32, 64, 64},
      {33, 65, 300}, {64, 64, 64}, {100, 100, 100}, {127, 129, 131}, {161, 47, 255},
      {169, 97, 385}, {121, 200, 257}, {200, 31, 390}, {257, 65, 96}, {300, 300, 64},
      {45, 500, 200}, {1, 700, 300}, {400, 13, 700}, {9, 4100, 20}, {20, 4100, 60}, {3, 40, 2000},
      {2, 1, 2000}, {3, 1, 40}, {4, 1, 33}, {16, 1, 37}, {9, 1, 8}, {8, 1, 15}, {5, 1, 1},  // x^T @ dy
  };
  unsigned seed = 1;
  for (const auto& [M, N, K] : shapes) {
    for (int64_t pad : {0, 3}) {
      check_gemm<float>(t, M, N, K, pad, seed++);
      check_gemm<double>(t, M, N, K, pad, seed++);
      check_gemm<float>(t, M, N, K, pad, seed++, /*transposed_a=*/true);
      check_gemm<double>(t, M, N, K, pad, seed++, /*transposed_a=*/true);
    }
  }
}

// Shapes whose B is past the in-place path's L2 budget, so the packed path runs: several
// KC / MC / NC blocks with ragged last blocks, and rows 4 KiB apart (A packed too).
TEST_P(PerIsa, GemmPackedPathBlocksAndEdges) {
  const KernelTable& t = cpu::kernels_for(GetParam());
  check_gemm<float>(t, 113, 300, 800, 0, 101);
  check_gemm<float>(t, 37, 290, 1000, 24, 102);  // lda = 1024 floats
  check_gemm<float>(t, 30, 200, 1020, 4, 107);   // the same, KC blocks not multiples of 16
  check_gemm<float>(t, 16, 2100, 100, 0, 103);
  check_gemm<double>(t, 113, 150, 700, 0, 104);
  check_gemm<double>(t, 37, 290, 500, 12, 105);  // lda = 512 doubles
  check_gemm<double>(t, 16, 2100, 50, 0, 106);
}

TEST_P(PerIsa, GemmZeroDepthWritesZeros) {
  const KernelTable& t = cpu::kernels_for(GetParam());
  std::vector<float> C(6 * 40, 5.0f);
  float dummy = 0;
  t.gemm[0](6, 37, 0, &dummy, 1, &dummy, 37, C.data(), 40);
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 40; ++j) EXPECT_EQ(C[i * 40 + j], j < 37 ? 0.0f : 5.0f);
}

TEST_P(PerIsa, ReduceRowsAndColsAgree) {
  const KernelTable& t = cpu::kernels_for(GetParam());
  const Array x = random_array({13, 300}, DType::kFloat64, -3, 3, 5);
  for (int op : {0, 1, 2, 3}) {  // sum, prod, max, min
    Array rows = Array::empty({13}, DType::kFloat64);
    t.reduce_rows[op][1](x.raw_data(), 13, 300, rows.raw_data());
    const Array xt = ops::copy(ops::transpose(x, {}));  // (300, 13)
    Array cols = Array::empty({13}, DType::kFloat64);
    t.reduce_cols[op][1](xt.raw_data(), 300, 13, 13, cols.raw_data());
    for (int64_t r = 0; r < 13; ++r) {
      double want = op == 0 ? 0 : op == 1 ? 1 : op == 2 ? -INFINITY : INFINITY;
      for (int64_t i = 0; i < 300; ++i) {
        const double v = get(x, r * 300 + i);
        want = op == 0 ? want + v : op == 1 ? want * v : op == 2 ? std::max(want, v) : std::min(want, v);
      }
      EXPECT_NEAR(get(rows, r), want, 1e-9 * std::max(1.0, std::fabs(want)));
      EXPECT_NEAR(get(cols, r), want, 1e-9 * std::max(1.0, std::fabs(want)));
    }
  }
}

// Every scan kernel against a long-double reference (and, bit for bit, the sequential
// scan in the element type, which is TF's order): lines along the last axis, rows of
// columns wider than the kernel's 2048-column chunk, and a column range of a block.
template <class T>
void check_scan(const KernelTable& t, ScanOp op, int64_t outer, int64_t len, int64_t inner,
                int64_t j0, int64_t cols, bool exclusive, bool reverse, unsigned seed) {
  const DType dt = dtype_of<T>::value;
  const bool prod = op == ScanOp::cumprod;
  const Array x = std::is_integral_v<T> ? random_array({outer, len, inner}, dt, -4, 5, seed)
                  : prod ? random_array({outer, len, inner}, dt, 0.9, 1.1, seed)
                         : random_array({outer, len, inner}, dt, -3, 3, seed);
  Array y = ops::full({outer, len, inner}, dt, -7);
  const ScanFn fn = t.scan[static_cast<int>(op)][static_cast<int>(dt)];
  ASSERT_NE(fn, nullptr);
  fn(x.data<T>() + j0, y.data<T>() + j0, outer, len, inner, cols, exclusive, reverse);
  const T* px = x.data<T>();
  const T* py = y.data<T>();
  const std::string what = std::string(ops::scan_name(op)) + " " + dtype_name(dt) +
                           " (" + std::to_string(outer) + ", " + std::to_string(len) + ", " +
                           std::to_string(inner) + ") cols " + std::to_string(j0) + "+" +
                           std::to_string(cols) + (exclusive ? " exclusive" : "") +
                           (reverse ? " reverse" : "");
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t j = 0; j < inner; ++j) {
      const bool in_range = j >= j0 && j < j0 + cols;
      long double ref = op == ScanOp::cumsum ? 0.0L : prod ? 1.0L : -INFINITY;
      long double abs_sum = 0;
      T seq = op == ScanOp::cumsum ? T(0) : prod ? T(1) : T(-INFINITY);
      for (int64_t k = 0; k < len; ++k) {
        const int64_t i = (o * len + (reverse ? len - 1 - k : k)) * inner + j;
        if (!in_range) {
          ASSERT_EQ(py[i], T(-7)) << what << ": wrote outside its columns";
          continue;
        }
        const long double v = px[i];
        const long double before = ref;
        const T seq_before = seq;
        if (op == ScanOp::cumsum) {
          ref += v;
          abs_sum += std::fabs(v);
          if constexpr (std::is_integral_v<T>) {  // wraps, as TF's
            seq = static_cast<T>(static_cast<std::make_unsigned_t<T>>(seq) + static_cast<std::make_unsigned_t<T>>(px[i]));
          } else {
            seq = seq + px[i];
          }
        } else if (prod) {
          ref *= v;
          if constexpr (std::is_integral_v<T>) {
            seq = static_cast<T>(static_cast<std::make_unsigned_t<T>>(seq) * static_cast<std::make_unsigned_t<T>>(px[i]));
          } else {
            seq = seq * px[i];
          }
        } else {
          const long double m = std::max(ref, v);
          ref = m + std::log(std::exp(ref - m) + std::exp(v - m));
        }
        const long double want = exclusive ? before : ref;
        const T got = py[i];
        if (op != ScanOp::cumulative_logsumexp) {
          ASSERT_EQ(got, exclusive ? seq_before : seq) << what << " at " << i;
        }
        if (std::is_integral_v<T>) continue;
        // Compared as double: valgrind emulates long double with 64 bits and turns the
        // long double -inf into a huge finite value, which still converts to -inf.
        if (std::isinf(static_cast<double>(want))) {
          ASSERT_EQ(static_cast<double>(got), static_cast<double>(want)) << what << " at " << i;
          continue;
        }
        // Sequential rounding: at most one half-ulp per step of the running magnitude.
        const long double eps = std::numeric_limits<T>::epsilon();
        const long double scale = op == ScanOp::cumsum ? abs_sum : std::fabs(want) + 1;
        ASSERT_LE(std::fabs(static_cast<long double>(got) - want), 4 * eps * (k + 1) * scale)
            << what << " at " << i << ": " << static_cast<double>(got) << " vs "
            << static_cast<double>(want);
      }
    }
  }
}

TEST_P(PerIsa, ScansMatchLongDoubleReference) {
  const KernelTable& t = cpu::kernels_for(GetParam());
  struct Layout { int64_t outer, len, inner, j0, cols; };
  const Layout layouts[] = {{3, 37, 1, 0, 1}, {2, 17, 5, 0, 5}, {2, 9, 2500, 0, 2500},
                            {1, 6, 300, 40, 200}, {2, 1, 7, 0, 7}, {1, 300, 1, 0, 1}};
  unsigned seed = 1;
  for (const Layout& l : layouts) {
    for (int ex = 0; ex < 2; ++ex) {
      for (int rv = 0; rv < 2; ++rv) {
        for (ScanOp op : {ScanOp::cumsum, ScanOp::cumprod, ScanOp::cumulative_logsumexp}) {
          const auto run = [&](auto type_tag) {
            using T = decltype(type_tag);
            check_scan<T>(t, op, l.outer, l.len, l.inner, l.j0, l.cols, ex, rv, ++seed);
          };
          run(float{});
          run(double{});
          if (op == ScanOp::cumulative_logsumexp) {
            EXPECT_EQ(t.scan[static_cast<int>(op)][static_cast<int>(DType::kInt32)], nullptr);
            continue;
          }
          run(int32_t{});
          run(int64_t{});
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllIsas, PerIsa, ::testing::Values(Isa::kGeneric, Isa::kAvx2, Isa::kAvx512),
                         [](const auto& info) { return std::string(isa_name(info.param)); });

}  // namespace

TEST(Ops, IntegerDivisionByZeroIsAnError) {
  const Array a = ops::full_int({3}, DType::kInt32, 7);
  const Array z = ops::full_int({3}, DType::kInt32, 0);
  EXPECT_THROW(ops::div(a, z), Error);
  EXPECT_THROW(ops::floordiv(a, z), Error);
  EXPECT_THROW(ops::mod(a, z), Error);
  const Array m = ops::full_int({}, DType::kInt32, INT32_MIN);
  const Array r = ops::div(m, ops::full_int({}, DType::kInt32, -1));  // wraps, no trap
  EXPECT_EQ(r.data<int32_t>()[0], INT32_MIN);
}

TEST(Ops, FloorDivAndModFollowPythonSigns) {
  const Array a = ops::full_int({}, DType::kInt64, -7), b = ops::full_int({}, DType::kInt64, 2);
  EXPECT_EQ(ops::floordiv(a, b).data<int64_t>()[0], -4);
  EXPECT_EQ(ops::mod(a, b).data<int64_t>()[0], 1);
  EXPECT_EQ(ops::pow(b, ops::full_int({}, DType::kInt64, 10)).data<int64_t>()[0], 1024);
}

// ops::matmul splits big products into row bands, column bands or batch items across
// threads; every split must give the single-call result.
TEST(Ops, MatmulThreadSplitsMatchNaive) {
  for (const auto& [B, M, N, K] : std::vector<std::array<int64_t, 4>>{
           {1, 300, 90, 70}, {1, 8, 600, 200}, {1, 2, 1000, 500}, {3, 50, 40, 200}, {1, 130, 33, 300}}) {
    const Array a = random_array({B, M, K}, DType::kFloat64, -1, 1, 7);
    const Array b = random_array({B, K, N}, DType::kFloat64, -1, 1, 8);
    const Array c = ops::matmul(a, b, false, false);
    for (int64_t x = 0; x < B; ++x)
      for (int64_t i = 0; i < M; ++i)
        for (int64_t j = 0; j < N; ++j) {
          double s = 0;
          for (int64_t k = 0; k < K; ++k) s += get(a, (x * M + i) * K + k) * get(b, (x * K + k) * N + j);
          ASSERT_NEAR(get(c, (x * M + i) * N + j), s, 1e-12) << B << "x" << M << "x" << N << "x" << K;
        }
  }
}

// ops::scan splits big scans over threads by blocks or by columns, never within a line:
// the numbers are those of one thread. Bad axes and dtypes are InvalidArgument errors.
TEST(Ops, ScanThreadSplitsMatchOneThreadAndArgumentsAreChecked) {
  for (const auto& [shape, axis] : std::vector<std::pair<Shape, int64_t>>{
           {{1, 64, 2048}, 1}, {{300, 400}, 1}, {{300, 400}, 0}, {{4, 100, 700}, -2}}) {
    const Array x = random_array(shape, DType::kFloat32, -2, 2, 11);
    for (ScanOp op : {ScanOp::cumsum, ScanOp::cumprod, ScanOp::cumulative_logsumexp}) {
      const Array many = ops::scan(op, x, axis, false, true);
      set_num_threads(1);
      const Array one = ops::scan(op, x, axis, false, true);
      set_num_threads(0);
      ASSERT_EQ(many.shape(), x.shape());
      for (int64_t i = 0; i < x.size(); ++i) {
        const float a = many.data<float>()[i], b = one.data<float>()[i];
        ASSERT_TRUE(a == b || (std::isnan(a) && std::isnan(b))) << ops::scan_name(op) << " at " << i;
      }
    }
  }
  const Array v = ops::full({3}, DType::kFloat32, 1);
  const auto kind_of = [](auto&& f) {
    try {
      f();
    } catch (const Error& e) {
      return e.kind();
    }
    return ErrorKind::kInternal;
  };
  EXPECT_EQ(kind_of([&] { ops::cumsum(ops::full({}, DType::kFloat32, 1), 0); }),
            ErrorKind::kInvalidArgument);
  EXPECT_EQ(kind_of([&] { ops::cumsum(v, 1); }), ErrorKind::kInvalidArgument);
  EXPECT_EQ(kind_of([&] { ops::cumprod(v, -2); }), ErrorKind::kInvalidArgument);
  EXPECT_EQ(kind_of([&] { ops::cumsum(ops::full({3}, DType::kBool, 1), 0); }),
            ErrorKind::kInvalidArgument);
  EXPECT_EQ(kind_of([&] { ops::cumulative_logsumexp(ops::full({3}, DType::kInt64, 1), 0); }),
            ErrorKind::kInvalidArgument);
  EXPECT_EQ(ops::cumsum(v, -1, true).data<float>()[2], 2.0f);
}

TEST(Ops, ConcatGatherTilePad) {
  Array a = Array::empty({2, 2}, DType::kInt32);
  for (int i = 0; i < 4; ++i) a.data<int32_t>()[i] = i;
  const Array c = ops::concat({a, a}, 1);
  EXPECT_EQ(c.shape(), (Shape{2, 4}));
  EXPECT_EQ(c.data<int32_t>()[2], 0);
  EXPECT_EQ(c.data<int32_t>()[5], 3);
  Array idx = Array::empty({3}, DType::kInt64);
  idx.data<int64_t>()[0] = 1; idx.data<int64_t>()[1] = 0; idx.data<int64_t>()[2] = 1;
  const Array g = ops::gather(a, idx, 0);
  EXPECT_EQ(g.shape(), (Shape{3, 2}));
  EXPECT_EQ(g.data<int32_t>()[0], 2);
  idx.data<int64_t>()[2] = 2;
  EXPECT_THROW(ops::gather(a, idx, 0), Error);
  const Array t = ops::tile(a, {2, 3});
  EXPECT_EQ(t.shape(), (Shape{4, 6}));
  EXPECT_EQ(t.data<int32_t>()[6 * 3 + 5], 3);
  const Array p = ops::pad(a, {{1, 0}, {0, 2}}, 9);
  EXPECT_EQ(p.shape(), (Shape{3, 4}));
  EXPECT_EQ(p.data<int32_t>()[0], 9);
  EXPECT_EQ(p.data<int32_t>()[4], 0);
  EXPECT_EQ(p.data<int32_t>()[11], 9);
}
