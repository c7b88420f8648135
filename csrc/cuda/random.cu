// Random numbers: the CPU's Philox stream (opdefs/philox.inc, opdefs/box_muller.inc),
// output for output, for uniform, normal, truncated normal and integer draws.
#include "cuda/common.cuh"
#include "cpu/cpu_backend.h"

namespace tapeflow::cuda {

namespace {

#include "opdefs/box_muller.inc"
#include "opdefs/philox.inc"

// ---- Philox (opdefs/philox.inc, shared with the CPU) -----------------------------------
struct Ctr { uint32_t w[4]; };

__device__ Ctr philox(Ctr ctr, uint32_t k0, uint32_t k1) {
  Ctr out;
  philox_block(ctr.w, k0, k1, out.w);
  return out;
}
__device__ Ctr ctr_add(Ctr c, uint64_t n) {
  philox_counter_add(c.w, n);
  return c;
}
__device__ float u32_to_float(uint32_t x) {
  return __uint_as_float((127u << 23) | (x & 0x7fffffu)) - 1.0f;
}
__device__ double u64_to_double(uint32_t x0, uint32_t x1) {
  const uint64_t man = (static_cast<uint64_t>(x0 & 0xfffffu) << 32) | x1;
  return __longlong_as_double(static_cast<long long>((uint64_t{1023} << 52) | man)) - 1.0;
}
// float32: the CPU's transform itself (opdefs/box_muller.inc, explicit fmaf only), so
// the stream matches bit for bit. float64: CUDA's double log/sin/cos, which may differ
// from glibc's in the last bit.
__device__ void box_muller(uint32_t x0, uint32_t x1, float* f0, float* f1) {
  box_muller_pair(x0, x1, f0, f1);
}
__device__ void box_muller(uint32_t x0, uint32_t x1, uint32_t x2, uint32_t x3, double* d0,
                           double* d1) {
  double u1 = u64_to_double(x0, x1);
  if (u1 < 1.0e-7) u1 = 1.0e-7;
  const double v1 = __dmul_rn(2.0 * M_PI, u64_to_double(x2, x3));
  const double u2 = __dsqrt_rn(__dmul_rn(-2.0, log(u1)));
  *d0 = __dmul_rn(sin(v1), u2);
  *d1 = __dmul_rn(cos(v1), u2);
}

template <class T>
__global__ void random_kernel(T* out, int64_t n, int kind, uint32_t k0, uint32_t k1, Ctr start,
                              int64_t lo, uint64_t range, int per, uint64_t group_blocks) {
  const int64_t groups = (n + per - 1) / per;
  GRID_STRIDE(g, groups) {
    T* o = out + g * per;
    const int count = static_cast<int>(n - g * per < per ? n - g * per : per);
    if (kind == static_cast<int>(cpu::RandomKind::kTruncatedNormal)) {
      if constexpr (std::is_floating_point_v<T>) {
        Ctr c = ctr_add(start, static_cast<uint64_t>(g) * group_blocks);
        Ctr w{};
        int pos = 4, kept = 0;
        auto next = [&]() {
          if (pos == 4) {
            w = philox(c, k0, k1);
            c = ctr_add(c, 1);
            pos = 0;
          }
          return w.w[pos++];
        };
        for (uint64_t pairs = 0; kept < count && pairs < group_blocks * 2; ++pairs) {
          T f[2];
          if constexpr (std::is_same_v<T, float>) {
            const uint32_t x0 = next(), x1 = next();
            box_muller(x0, x1, &f[0], &f[1]);
          } else {
            const uint32_t x0 = next(), x1 = next(), x2 = next(), x3 = next();
            box_muller(x0, x1, x2, x3, &f[0], &f[1]);
          }
          for (int j = 0; j < 2 && kept < count; ++j)
            if (fabs(f[j]) < T(2)) o[kept++] = f[j];
        }
        for (; kept < count; ++kept) o[kept] = T(0);
      }
      continue;
    }
    const Ctr w = philox(ctr_add(start, static_cast<uint64_t>(g)), k0, k1);
    if constexpr (std::is_same_v<T, float>) {
      if (kind == static_cast<int>(cpu::RandomKind::kUniform)) {
        for (int j = 0; j < count; ++j) o[j] = u32_to_float(w.w[j]);
      } else {
        float f[4];
        box_muller(w.w[0], w.w[1], &f[0], &f[1]);
        box_muller(w.w[2], w.w[3], &f[2], &f[3]);
        for (int j = 0; j < count; ++j) o[j] = f[j];
      }
    } else if constexpr (std::is_same_v<T, double>) {
      if (kind == static_cast<int>(cpu::RandomKind::kUniform)) {
        for (int j = 0; j < count; ++j) o[j] = u64_to_double(w.w[2 * j], w.w[2 * j + 1]);
      } else {
        double d[2];
        box_muller(w.w[0], w.w[1], w.w[2], w.w[3], &d[0], &d[1]);
        for (int j = 0; j < count; ++j) o[j] = d[j];
      }
    } else if constexpr (std::is_same_v<T, int32_t>) {
      for (int j = 0; j < count; ++j)
        o[j] = static_cast<int32_t>(static_cast<uint32_t>(lo) + w.w[j] % static_cast<uint32_t>(range));
    } else if constexpr (std::is_same_v<T, int64_t>) {
      for (int j = 0; j < count; ++j) {
        const uint64_t bits = w.w[2 * j] | (static_cast<uint64_t>(w.w[2 * j + 1]) << 32);
        o[j] = static_cast<int64_t>(static_cast<uint64_t>(lo) + bits % range);
      }
    }
  }
}

}  // namespace

void random_fill(const Array& out, int kind, std::array<uint32_t, 2> key,
                 std::array<uint32_t, 4> counter, int64_t lo, int64_t hi) {
  const int64_t n = out.size();
  if (n == 0) return;
  const auto rk = static_cast<cpu::RandomKind>(kind);
  const bool wide = out.itemsize() == 8;
  const int per = wide ? 2 : 4;
  const uint64_t group_blocks =
      rk == cpu::RandomKind::kTruncatedNormal ? cpu::random_blocks(rk, out.dtype(), per) : 1;
  const Ctr start{{counter[0], counter[1], counter[2], counter[3]}};
  const uint64_t range = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
  visit_dtype(out.dtype(), [&](auto t) {
    using T = decltype(t);
    if constexpr (!std::is_same_v<T, bool>)
      random_kernel<T><<<blocks_for((n + per - 1) / per), kThreads>>>(
          out.data<T>(), n, kind, key[0], key[1], start, lo, range, per, group_blocks);
  });
  check_launch("random kernel");
}

}  // namespace tapeflow::cuda
