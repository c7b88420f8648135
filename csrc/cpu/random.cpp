// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3") and the
// distributions built on it, following TensorFlow's random_distributions.h so that a
// (key, counter) pair gives TF's numbers. The stream, exactly (the CUDA path must match):
//   block(b) = philox4x32_10(counter + b, key)           4 uint32 words, 128-bit add
//   uniform float32 : out[i] = u32_to_float(block(i/4)[i%4])            (4 per block)
//   uniform float64 : out[i] = u64_to_double(w[2j], w[2j+1]), j=i%2, block(i/2)
//   uniform int32   : out[i] = lo + block(i/4)[i%4] % (hi - lo)         (4 per block)
//   uniform int64   : out[i] = lo + (w[2j] | w[2j+1] << 32) % (hi - lo) (2 per block)
//   normal float32  : Box-Muller on (w0,w1) -> out 0,1 (sin, cos); (w2,w3) -> out 2,3
//   normal float64  : Box-Muller on (u64(w0,w1), u64(w2,w3)) -> out 0,1
//   truncated normal: group g of 4 (float32) or 2 (float64) outputs draws successive
//                     words from blocks counter + g*256 (float64: g*128) on, keeping
//                     Box-Muller values with |x| < 2 in order (TF's reserved samples).
// philox4x32_10 below is the scalar reference (opdefs/philox.inc, shared with CUDA). random_fill makes its blocks with the ISA
// kernel table's Philox (kernels_impl.inc: 8 or 16 counters per vector register on AVX2
// or AVX-512, scalar on generic) and float conversions, bit-identical to it; Box-Muller
// stays scalar in double through libm, which the GPU reproduces bit for bit.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "core/thread_pool.h"
#include "cpu/cpu_backend.h"

namespace tapeflow::cpu {

namespace {

#include "opdefs/philox.inc"

constexpr uint64_t kTruncatedBlocksPerGroup = 256;

inline float u32_to_float(uint32_t x) {
  const uint32_t bits = (127u << 23) | (x & 0x7fffffu);
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f - 1.0f;
}

inline double u64_to_double(uint32_t x0, uint32_t x1) {
  const uint64_t man = (static_cast<uint64_t>(x0 & 0xfffffu) << 32) | x1;
  const uint64_t bits = (uint64_t{1023} << 52) | man;
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d - 1.0;
}

// float32 normal numbers: opdefs/box_muller.inc through the kernel table (the same bits on
// every ISA and on the GPU). float64: libm in double, as TF (the GPU's double log/sin/cos
// may differ from glibc's in the last bit).

inline void box_muller(uint32_t x0, uint32_t x1, uint32_t x2, uint32_t x3, double* d0,
                       double* d1) {
  double u1 = u64_to_double(x0, x1);
  if (u1 < 1.0e-7) u1 = 1.0e-7;
  const double v1 = 2.0 * M_PI * u64_to_double(x2, x3);
  const double u2 = std::sqrt(-2.0 * std::log(u1));
  *d0 = std::sin(v1) * u2;
  *d1 = std::cos(v1) * u2;
}

// Philox blocks per call into the kernel table: 4 KiB of words, in L1 with its outputs.
constexpr int64_t kTileBlocks = 256;
// Truncated-normal groups per call: each group's first block is made in one batch.
constexpr int64_t kTileGroups = 64;

// Successive uint32 words of the stream: `first` (the block at counter c - 1), then the
// blocks at c, c + 1, ...
class WordStream {
 public:
  WordStream(const uint32_t* first, PhiloxCounter c, PhiloxKey k) : ctr_(c), key_(k) {
    std::memcpy(block_.data(), first, sizeof block_);
  }
  uint32_t next() {
    if (pos_ == 4) {
      block_ = philox4x32_10(ctr_, key_);
      ctr_ = counter_add(ctr_, 1);
      pos_ = 0;
    }
    return block_[pos_++];
  }

 private:
  PhiloxCounter ctr_;
  PhiloxKey key_;
  std::array<uint32_t, 4> block_{};
  int pos_ = 0;
};

int per_block(RandomKind kind, DType dt) {
  const bool wide = itemsize(dt) == 8;
  switch (kind) {
    case RandomKind::kUniform:
    case RandomKind::kUniformInt: return wide ? 2 : 4;
    case RandomKind::kNormal: return wide ? 2 : 4;
    case RandomKind::kTruncatedNormal: return wide ? 2 : 4;  // outputs per group
  }
  return 4;
}

// x % d for a fixed d >= 1 by multiplications instead of a division, exact for every x
// (Lemire, Kaser, Kurz, "Faster remainder by direct computation", 2019): with N-bit x
// and d, m = 2^2N / d + 1 (0 for d = 1) and x % d = ((m * x) mod 2^2N) * d >> 2N.
using uint128 = unsigned __int128;

class FastMod32 {
 public:
  explicit FastMod32(uint32_t d) : d_(d), m_(UINT64_MAX / d + 1) {}
  uint32_t operator()(uint32_t x) const {
    const uint64_t low = m_ * x;
    return static_cast<uint32_t>((static_cast<uint128>(low) * d_) >> 64);
  }

 private:
  uint64_t d_, m_;
};

class FastMod64 {
 public:
  explicit FastMod64(uint64_t d) : d_(d), m_(~uint128{0} / d + 1) {}
  uint64_t operator()(uint64_t x) const {
    const uint128 low = m_ * x;  // the top 64 bits of low * d (a 192-bit product):
    const uint128 bottom = (static_cast<uint128>(static_cast<uint64_t>(low)) * d_) >> 64;
    const uint128 top = static_cast<uint128>(static_cast<uint64_t>(low >> 64)) * d_;
    return static_cast<uint64_t>((bottom + top) >> 64);
  }

 private:
  uint64_t d_;
  uint128 m_;
};

// out[0, count) from `w`, the words of the consecutive blocks that make them: uniform
// floats through the ISA table, the rest here (% has no vector instruction).
template <class T>
void fill_from_words(const KernelTable& kt, T* out, int64_t count, const uint32_t* w,
                     RandomKind kind, int64_t lo, uint64_t range) {
  if constexpr (std::is_floating_point_v<T>) {
    if (kind == RandomKind::kUniform) {
      kt.uniform_bits[static_cast<int>(dtype_of<T>::value)](w, count, out);
    } else if constexpr (std::is_same_v<T, float>) {  // (w0, w1) -> out 0, 1; ...
      const int64_t pairs = count / 2;
      kt.normal_f32(w, pairs, out);
      if (2 * pairs < count) {
        float two[2];
        kt.normal_f32(w + 2 * pairs, 1, two);
        out[2 * pairs] = two[0];
      }
    } else {  // (w0, w1, w2, w3) -> out 0, 1; ...
      int64_t i = 0;
      for (; i + 2 <= count; i += 2)
        box_muller(w[2 * i], w[2 * i + 1], w[2 * i + 2], w[2 * i + 3], &out[i], &out[i + 1]);
      if (i < count) {
        double spare;
        box_muller(w[2 * i], w[2 * i + 1], w[2 * i + 2], w[2 * i + 3], &out[i], &spare);
      }
    }
  } else if constexpr (std::is_same_v<T, int32_t>) {
    const FastMod32 mod(static_cast<uint32_t>(range));
    for (int64_t i = 0; i < count; ++i)
      out[i] = static_cast<int32_t>(static_cast<uint32_t>(lo) + mod(w[i]));
  } else if constexpr (std::is_same_v<T, int64_t>) {
    const FastMod64 mod(range);
    for (int64_t i = 0; i < count; ++i) {
      const uint64_t bits = w[2 * i] | (static_cast<uint64_t>(w[2 * i + 1]) << 32);
      out[i] = static_cast<int64_t>(static_cast<uint64_t>(lo) + mod(bits));
    }
  }
}

// One truncated-normal group whose first block is `first`, at counter `start`.
template <class T>
// float32: `first_normals` holds the Box-Muller values of the first block's two pairs,
// made for a whole tile in one vectorised call; later blocks go pair by pair.
void truncated_group(const KernelTable& kt, T* out, int64_t count, const uint32_t* first,
                     const float* first_normals, PhiloxCounter start, PhiloxKey key) {
  WordStream ws(first, counter_add(start, 1), key);
  int64_t kept = 0;
  // Bounded: a group owns kTruncatedBlocksPerGroup blocks; running out (probability
  // far below 1e-300) leaves zeros rather than reading another group's numbers.
  for (uint64_t pairs = 0; kept < count && pairs < kTruncatedBlocksPerGroup * 2; ++pairs) {
    T f[2];
    if constexpr (std::is_same_v<T, float>) {
      const uint32_t x[2] = {ws.next(), ws.next()};
      if (pairs < 2) {
        f[0] = first_normals[2 * pairs];
        f[1] = first_normals[2 * pairs + 1];
      } else {
        kt.normal_f32(x, 1, f);
      }
    } else {
      const uint32_t x0 = ws.next(), x1 = ws.next(), x2 = ws.next(), x3 = ws.next();
      box_muller(x0, x1, x2, x3, &f[0], &f[1]);
    }
    for (int j = 0; j < 2 && kept < count; ++j)
      if (std::fabs(f[j]) < T(2)) out[kept++] = f[j];
  }
  for (; kept < count; ++kept) out[kept] = T(0);
}

}  // namespace

std::array<uint32_t, 4> philox4x32_10(PhiloxCounter ctr, PhiloxKey key) {
  std::array<uint32_t, 4> out;
  philox_block(ctr.data(), key[0], key[1], out.data());
  return out;
}

PhiloxCounter counter_add(PhiloxCounter c, uint64_t n) {
  philox_counter_add(c.data(), n);
  return c;
}

uint64_t random_blocks(RandomKind kind, DType dtype, int64_t n) {
  const uint64_t per = static_cast<uint64_t>(per_block(kind, dtype));
  const uint64_t groups = (static_cast<uint64_t>(n) + per - 1) / per;
  if (kind == RandomKind::kTruncatedNormal)
    return groups * (itemsize(dtype) == 8 ? kTruncatedBlocksPerGroup / 2 : kTruncatedBlocksPerGroup);
  return groups;
}

void random_fill(const Array& out, RandomKind kind, PhiloxKey key, PhiloxCounter counter,
                 int64_t lo, int64_t hi) {
  random_fill(kernels(), out, kind, key, counter, lo, hi);
}

void random_fill(const KernelTable& kt, const Array& out, RandomKind kind, PhiloxKey key,
                 PhiloxCounter counter, int64_t lo, int64_t hi) {
  // ops.cpp has checked the dtype and the range (shared with the CUDA kernel).
  const DType dt = out.dtype();
  TAPEFLOW_CHECK(out.is_contiguous(), "[random] output must be contiguous");
  const int64_t n = out.size();
  const int64_t per = per_block(kind, dt);
  const int64_t groups = (n + per - 1) / per;
  // hi - lo >= 1 (checked above) and fits 32 bits for int32, so no modulo by zero.
  const uint64_t range = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
  visit_dtype(dt, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (!std::is_same_v<T, bool>) {
      T* p = out.data<T>();
      // Threads take ranges of groups; each runs tiles of consecutive blocks through the
      // table's Philox (several counters per vector register) into a buffer on its stack.
      parallel_for(groups, 1 << 12, [&](int64_t g0, int64_t g1) {
        std::array<uint32_t, 4 * kTileBlocks> words;
        if (kind == RandomKind::kTruncatedNormal) {
          if constexpr (std::is_floating_point_v<T>) {
            const uint64_t stride = random_blocks(kind, dt, per);
            for (int64_t t = g0; t < g1; t += kTileGroups) {
              const int64_t tile = std::min(kTileGroups, g1 - t);
              PhiloxCounter c = counter_add(counter, static_cast<uint64_t>(t) * stride);
              kt.philox(c.data(), key.data(), stride, tile, words.data());
              std::array<float, 4 * kTileGroups> normals;  // float32: the first blocks'
              if constexpr (std::is_same_v<T, float>)
                kt.normal_f32(words.data(), 2 * tile, normals.data());
              for (int64_t g = t; g < t + tile; ++g) {
                const int64_t count = std::min<int64_t>(per, n - g * per);
                truncated_group<T>(kt, p + g * per, count, words.data() + 4 * (g - t),
                                   normals.data() + 4 * (g - t), c, key);
                c = counter_add(c, stride);
              }
            }
          }
          return;
        }
        for (int64_t t = g0; t < g1; t += kTileBlocks) {
          const int64_t tile = std::min(kTileBlocks, g1 - t);
          const PhiloxCounter c = counter_add(counter, static_cast<uint64_t>(t));
          kt.philox(c.data(), key.data(), 1, tile, words.data());
          const int64_t count = std::min<int64_t>(tile * per, n - t * per);
          fill_from_words<T>(kt, p + t * per, count, words.data(), kind, lo, range);
        }
      });
    }
  });
}

}  // namespace tapeflow::cpu
