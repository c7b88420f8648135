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

// The stream's conversions and cpu::philox4x32_10 (the scalar reference) are what the
// kernel table's vectorised paths must reproduce.
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

INSTANTIATE_TEST_SUITE_P(AllIsas, RandomPerIsa,
                         ::testing::Values(Isa::kGeneric, Isa::kAvx2, Isa::kAvx512),
                         [](const auto& info) { return std::string(isa_name(info.param)); });

}  // namespace
