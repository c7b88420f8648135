// Philox4x32-10 known answers and the distributions' stream.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "core/isa.h"
#include "core/thread_pool.h"
#include "cpu/cpu_backend.h"
#include "ops.h"

using namespace tapeflow;

// Random123's kat_vectors for philox4x32 with 10 rounds: counter, key, expected.
TEST(Philox, Random123KnownAnswers) {
  using C = cpu::PhiloxCounter;
  using K = cpu::PhiloxKey;
  using O = std::array<uint32_t, 4>;
  EXPECT_EQ(cpu::philox4x32_10(C{0, 0, 0, 0}, K{0, 0}),
            (O{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  EXPECT_EQ(cpu::philox4x32_10(C{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
                               K{0xffffffff, 0xffffffff}),
            (O{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  EXPECT_EQ(cpu::philox4x32_10(C{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
                               K{0xa4093822, 0x299f31d0}),
            (O{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
}

TEST(Philox, CounterAddCarriesAcross128Bits) {
  const auto c = cpu::counter_add({0xffffffff, 0xffffffff, 0xffffffff, 0}, 1);
  EXPECT_EQ(c, (cpu::PhiloxCounter{0, 0, 0, 1}));
  const auto d = cpu::counter_add({5, 0, 0, 0}, uint64_t{3} << 32);
  EXPECT_EQ(d, (cpu::PhiloxCounter{5, 3, 0, 0}));
}

// tf.random.set_seed(5); tf.random.normal([2, 2], seed=1) in TensorFlow's docs: TF's
// stateful op uses key {5, 0} and counter {0, 0, 1, 0}.
TEST(Random, NormalMatchesTensorFlowDocstring) {
  const auto r = ops::random_normal({4}, DType::kFloat32, {5, 0}, {0, 0, 1, 0});
  const float want[4] = {-1.3768897f, -0.01258316f, -0.169515f, 1.0824056f};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(r.values.data<float>()[i], want[i], 2e-7f);
  EXPECT_EQ(r.blocks, 1u);
}

TEST(Random, IndependentOfThreadCount) {
  set_num_threads(1);
  const auto one = ops::random_normal({100003}, DType::kFloat64, {1, 2}, {3, 0, 0, 0});
  set_num_threads(0);
  const auto many = ops::random_normal({100003}, DType::kFloat64, {1, 2}, {3, 0, 0, 0});
  for (int64_t i = 0; i < 100003; ++i)
    ASSERT_EQ(one.values.data<double>()[i], many.values.data<double>()[i]);
}

TEST(Random, UniformRangesAndMoments) {
  const auto u = ops::random_uniform({200000}, DType::kFloat32, {7, 7}, {0, 0, 0, 0});
  double s = 0;
  for (int64_t i = 0; i < 200000; ++i) {
    const float v = u.values.data<float>()[i];
    ASSERT_GE(v, 0.0f);
    ASSERT_LT(v, 1.0f);
    s += v;
  }
  EXPECT_NEAR(s / 200000, 0.5, 0.005);
  const auto k = ops::random_uniform_int({10000}, DType::kInt64, -3, 4, {1, 1}, {0, 0, 0, 0});
  for (int64_t i = 0; i < 10000; ++i) {
    ASSERT_GE(k.values.data<int64_t>()[i], -3);
    ASSERT_LT(k.values.data<int64_t>()[i], 4);
  }
  EXPECT_THROW(ops::random_uniform_int({3}, DType::kInt32, 3, 3, {1, 1}, {0, 0, 0, 0}), Error);
  EXPECT_THROW(ops::random_uniform({3}, DType::kInt32, {1, 1}, {0, 0, 0, 0}), Error);
}

TEST(Random, TruncatedNormalWithinTwoSigma) {
  const auto t = ops::random_truncated_normal({50001}, DType::kFloat32, {9, 9}, {0, 0, 0, 0});
  double s2 = 0;
  for (int64_t i = 0; i < 50001; ++i) {
    const float v = t.values.data<float>()[i];
    ASSERT_LT(std::fabs(v), 2.0f);
    s2 += double(v) * v;
  }
  EXPECT_NEAR(s2 / 50001, 0.774, 0.02);  // variance of N(0,1) truncated to [-2, 2]
  EXPECT_EQ(t.blocks, 12501u * 256);
}

// ---- the vectorised paths against the scalar stream, bit for bit ----------------------
namespace {

using cpu::PhiloxCounter;
using cpu::PhiloxKey;
using cpu::RandomKind;

// The stream as documented at the top of cpu/random.cpp, one group at a time from
// cpu::philox4x32_10 (the scalar reference), as random_fill computed it before the
// kernels took several counters per register.
float ref_u32_to_float(uint32_t x) {
  const uint32_t bits = (127u << 23) | (x & 0x7fffffu);
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f - 1.0f;
}

double ref_u64_to_double(uint32_t x0, uint32_t x1) {
  const uint64_t bits =
      (uint64_t{1023} << 52) | (static_cast<uint64_t>(x0 & 0xfffffu) << 32) | x1;
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d - 1.0;
}

// float32: the stream's transform, compiled here as scalar code (generic flags), against
// which every ISA's vectorised loop must agree bit for bit.
#include "opdefs/box_muller.inc"

void ref_box_muller(uint32_t x0, uint32_t x1, float* f0, float* f1) {
  box_muller_pair(x0, x1, f0, f1);
}

void ref_box_muller(uint32_t x0, uint32_t x1, uint32_t x2, uint32_t x3, double* d0,
                    double* d1) {
  double u1 = ref_u64_to_double(x0, x1);
  if (u1 < 1.0e-7) u1 = 1.0e-7;
  const double v1 = 2.0 * M_PI * ref_u64_to_double(x2, x3);
  const double u2 = std::sqrt(-2.0 * std::log(u1));
  *d0 = std::sin(v1) * u2;
  *d1 = std::cos(v1) * u2;
}

std::array<uint32_t, 4> ref_block(PhiloxCounter c, uint64_t b, PhiloxKey key) {
  return cpu::philox4x32_10(cpu::counter_add(c, b), key);
}

template <class T>
std::vector<T> reference_stream(RandomKind kind, int64_t n, PhiloxKey key, PhiloxCounter ctr,
                                int64_t lo, int64_t hi) {
  std::vector<T> out(static_cast<size_t>(n));
  const uint64_t range = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
  const int per = sizeof(T) == 8 ? 2 : 4;
  for (int64_t g = 0; g * per < n; ++g) {
    T* o = out.data() + g * per;
    const int count = static_cast<int>(std::min<int64_t>(per, n - g * per));
    if (kind == RandomKind::kTruncatedNormal) {
      if constexpr (std::is_floating_point_v<T>) {
        const uint64_t first = static_cast<uint64_t>(g) * (sizeof(T) == 8 ? 128 : 256);
        uint64_t block = first;
        std::array<uint32_t, 4> w{};
        int pos = 4, kept = 0;
        auto next = [&] {
          if (pos == 4) {
            w = ref_block(ctr, block++, key);
            pos = 0;
          }
          return w[pos++];
        };
        for (int pairs = 0; kept < count && pairs < 512; ++pairs) {
          T f[2];
          if constexpr (std::is_same_v<T, float>) {
            const uint32_t x0 = next(), x1 = next();
            ref_box_muller(x0, x1, &f[0], &f[1]);
          } else {
            const uint32_t x0 = next(), x1 = next(), x2 = next(), x3 = next();
            ref_box_muller(x0, x1, x2, x3, &f[0], &f[1]);
          }
          for (int j = 0; j < 2 && kept < count; ++j)
            if (std::fabs(f[j]) < T(2)) o[kept++] = f[j];
        }
        for (; kept < count; ++kept) o[kept] = T(0);
      }
      continue;
    }
    const auto w = ref_block(ctr, static_cast<uint64_t>(g), key);
    T v[4];
    if constexpr (std::is_same_v<T, float>) {
      if (kind == RandomKind::kUniform) {
        for (int j = 0; j < 4; ++j) v[j] = ref_u32_to_float(w[j]);
      } else {
        ref_box_muller(w[0], w[1], &v[0], &v[1]);
        ref_box_muller(w[2], w[3], &v[2], &v[3]);
      }
    } else if constexpr (std::is_same_v<T, double>) {
      if (kind == RandomKind::kUniform) {
        for (int j = 0; j < 2; ++j) v[j] = ref_u64_to_double(w[2 * j], w[2 * j + 1]);
      } else {
        ref_box_muller(w[0], w[1], w[2], w[3], &v[0], &v[1]);
      }
    } else if constexpr (std::is_same_v<T, int32_t>) {
      for (int j = 0; j < 4; ++j)
        v[j] = static_cast<int32_t>(static_cast<uint32_t>(lo) +
                                    w[j] % static_cast<uint32_t>(range));
    } else {
      for (int j = 0; j < 2; ++j) {
        const uint64_t bits = w[2 * j] | (static_cast<uint64_t>(w[2 * j + 1]) << 32);
        v[j] = static_cast<int64_t>(static_cast<uint64_t>(lo) + bits % range);
      }
    }
    for (int j = 0; j < count; ++j) o[j] = v[j];
  }
  return out;
}

// Counters whose blocks cross 32-, 64- and 96-bit carries, and the 128-bit wrap.
const PhiloxCounter kCounters[] = {
    {0, 0, 0, 0},
    {0xFFFFFFF9u, 0, 0, 0},
    {0xFFFFFF00u, 7, 0, 0},
    {0xFFFFFF80u, 1, 2, 3},
    {0xFFFFFFFDu, 0xFFFFFFFFu, 0xFFFFFFFFu, 3},
    {0xFFFFFFF0u, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu},
    {0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u},
};
const PhiloxKey kKeys[] = {{0, 0}, {0xFFFFFFFFu, 0xFFFFFFFFu}, {0xa4093822u, 0x299f31d0u}};

class RandomPerIsa : public ::testing::TestWithParam<Isa> {};

TEST_P(RandomPerIsa, PhiloxBlocksMatchScalar) {
  const KernelTable& t = cpu::kernels_for(GetParam());
  ASSERT_NE(t.philox, nullptr);
  const uint64_t strides[] = {1, 2, 128, 256, 0x1000000u, 0x9E3779B9u,
                              (uint64_t{1} << 32) + 3, UINT64_MAX / 3};
  for (const PhiloxKey& key : kKeys)
    for (const PhiloxCounter& ctr : kCounters)
      for (const uint64_t stride : strides)
        for (int64_t count : {0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 97,
                                    128, 129, 200}) {
          std::vector<uint32_t> got(4 * count + 4, 0xDEADBEEFu);
          t.philox(ctr.data(), key.data(), stride, count, got.data());
          PhiloxCounter c = ctr;
          for (int64_t b = 0; b < count; ++b) {
            const auto want = cpu::philox4x32_10(c, key);
            for (int j = 0; j < 4; ++j)
              ASSERT_EQ(got[4 * b + j], want[j])
                  << "block " << b << " word " << j << " count " << count << " stride "
                  << stride << " ctr[0] " << ctr[0];
            c = cpu::counter_add(c, stride);
          }
          for (int j = 0; j < 4; ++j) ASSERT_EQ(got[4 * count + j], 0xDEADBEEFu) << "overrun";
        }
}

TEST_P(RandomPerIsa, UniformBitsMatchScalar) {
  const KernelTable& t = cpu::kernels_for(GetParam());
  std::vector<uint32_t> words(2 * 67);
  for (size_t i = 0; i < words.size(); ++i) words[i] = static_cast<uint32_t>(i * 0x9E3779B9u);
  words[0] = 0;
  words[1] = 0xFFFFFFFFu;
  words[2] = 0x007FFFFFu;
  words[3] = 0x000FFFFFu;
  for (int64_t n = 0; n <= 67; ++n) {
    std::vector<float> f(n + 1, -7.0f);
    t.uniform_bits[static_cast<int>(DType::kFloat32)](words.data(), n, f.data());
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(f[i], ref_u32_to_float(words[i])) << i;
    ASSERT_EQ(f[n], -7.0f);
    if (2 * n > static_cast<int64_t>(words.size())) continue;
    std::vector<double> d(n + 1, -7.0);
    t.uniform_bits[static_cast<int>(DType::kFloat64)](words.data(), n, d.data());
    for (int64_t i = 0; i < n; ++i)
      ASSERT_EQ(d[i], ref_u64_to_double(words[2 * i], words[2 * i + 1])) << i;
    ASSERT_EQ(d[n], -7.0);
  }
}

template <class T>
void expect_stream(const KernelTable& t, RandomKind kind, int64_t n, PhiloxKey key,
                   PhiloxCounter ctr, int64_t lo, int64_t hi, const char* what) {
  const DType dt = dtype_of<T>::value;
  const Array out = Array::empty({n}, dt);
  cpu::random_fill(t, out, kind, key, ctr, lo, hi);
  const std::vector<T> want = reference_stream<T>(kind, n, key, ctr, lo, hi);
  // Bit patterns, so that -0.0 and 0.0 differ. (n == 0: want.data() may be null, which
  // memcmp must not get even for zero bytes.)
  ASSERT_TRUE(n == 0 || std::memcmp(out.data<T>(), want.data(), sizeof(T) * n) == 0)
      << what << " dtype " << dtype_name(dt) << " n " << n << " ctr[0] " << ctr[0]
      << " threads " << num_threads();
}

TEST_P(RandomPerIsa, EveryKindMatchesScalarStream) {
  const KernelTable& t = cpu::kernels_for(GetParam());
  const int64_t sizes[] = {0, 1, 2, 3, 4, 5, 7, 8, 15, 17, 63, 64, 65, 129, 1023, 4099, 70001};
  for (const int threads : {1, 0}) {  // 0: all of the pool's threads
    set_num_threads(threads);
    for (const PhiloxCounter& ctr : kCounters) {
      const PhiloxKey key = kKeys[2];
      for (const int64_t n : sizes) {
        expect_stream<float>(t, RandomKind::kUniform, n, key, ctr, 0, 0, "uniform");
        expect_stream<double>(t, RandomKind::kUniform, n, key, ctr, 0, 0, "uniform");
        expect_stream<int32_t>(t, RandomKind::kUniformInt, n, key, ctr, -5, 1000, "int");
        expect_stream<int32_t>(t, RandomKind::kUniformInt, n, key, ctr, INT32_MIN, INT32_MAX,
                               "int");
        expect_stream<int64_t>(t, RandomKind::kUniformInt, n, key, ctr, -3, 7, "int");
        expect_stream<int64_t>(t, RandomKind::kUniformInt, n, key, ctr, INT64_MIN,
                               INT64_MAX, "int");
        expect_stream<float>(t, RandomKind::kNormal, n, key, ctr, 0, 0, "normal");
        expect_stream<double>(t, RandomKind::kNormal, n, key, ctr, 0, 0, "normal");
        if (n > 4099) continue;  // the reference draws truncated normals slowly
        expect_stream<float>(t, RandomKind::kTruncatedNormal, n, key, ctr, 0, 0, "truncated");
        expect_stream<double>(t, RandomKind::kTruncatedNormal, n, key, ctr, 0, 0, "truncated");
      }
    }
  }
  set_num_threads(0);
}

// Integers take their remainders by multiplication (no division): every kind of range.
TEST_P(RandomPerIsa, IntRangesMatchScalarStream) {
  const KernelTable& t = cpu::kernels_for(GetParam());
  const int64_t ranges[] = {1, 2, 3, 7, 10, 1000, 1 << 16, 65537, (int64_t{1} << 31) - 1,
                            int64_t{1} << 31, (int64_t{1} << 31) + 1, 3000000019,
                            (int64_t{1} << 32) - 2, (int64_t{1} << 32) - 1};
  for (const int64_t r : ranges) {
    const int64_t lo = r > INT32_MAX ? INT32_MIN : -(r / 2);
    expect_stream<int32_t>(t, RandomKind::kUniformInt, 20001, kKeys[2], kCounters[1], lo,
                           lo + r, "int");
    expect_stream<int64_t>(t, RandomKind::kUniformInt, 20001, kKeys[2], kCounters[1], lo,
                           lo + r, "int");
  }
  const uint64_t wide[] = {uint64_t{1} << 32, (uint64_t{1} << 32) + 1, (uint64_t{1} << 40) + 7,
                           (uint64_t{1} << 62) + 3, uint64_t{1} << 63, (uint64_t{1} << 63) + 1,
                           0xAAAAAAAAAAAAAAABu, UINT64_MAX - 1, UINT64_MAX};
  for (const uint64_t r : wide) {
    const int64_t lo = INT64_MIN;
    const int64_t hi = static_cast<int64_t>(static_cast<uint64_t>(lo) + r);
    expect_stream<int64_t>(t, RandomKind::kUniformInt, 20001, kKeys[2], kCounters[1], lo, hi,
                           "int");
  }
}

// Truncated normals over enough groups to be split between threads, near a carry.
TEST_P(RandomPerIsa, TruncatedNormalAcrossThreadsMatchesScalarStream) {
  const KernelTable& t = cpu::kernels_for(GetParam());
  for (const int threads : {1, 0}) {
    set_num_threads(threads);
    const PhiloxCounter ctr{0xFFF00000u, 0xFFFFFFFFu, 0, 0};
    expect_stream<float>(t, RandomKind::kTruncatedNormal, 40003, kKeys[1], ctr, 0, 0, "truncated");
    expect_stream<double>(t, RandomKind::kTruncatedNormal, 20001, kKeys[1], ctr, 0, 0, "truncated");
  }
  set_num_threads(0);
}

INSTANTIATE_TEST_SUITE_P(AllIsas, RandomPerIsa,
                         ::testing::Values(Isa::kGeneric, Isa::kAvx2, Isa::kAvx512),
                         [](const auto& info) { return std::string(isa_name(info.param)); });

}  // namespace
