// Batch normalisation over the rows of a (rows, C) channels-last array (cpu_backend.h):
// the training forward in three passes (per-channel mean, variance of the deviations,
// normalise) and the backward in two (the sums of dy and dy * xhat, then dx), where the
// composite of Keras's formula runs about fifteen. Channel sums accumulate in double over
// fixed blocks of rows, summed in block order: no dependence on the thread count.
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/thread_pool.h"
#include "cpu/cpu_backend.h"

namespace tapeflow::cpu {

namespace {

constexpr int64_t kBlockRows = 512;         // rows per fixed block of the channel sums
constexpr int64_t kSerialElems = 1 << 15;   // below this, one thread

// out[b * C + c] = sum over rows of block b of f(row, c), for every block.
template <class F>
void block_sums(int64_t rows, int64_t C, std::vector<double>& out, F&& f) {
  const int64_t blocks = (rows + kBlockRows - 1) / kBlockRows;
  out.assign(static_cast<size_t>(blocks * C), 0.0);
  const auto run = [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      double* acc = out.data() + b * C;
      for (int64_t r = b * kBlockRows; r < std::min(rows, (b + 1) * kBlockRows); ++r) f(r, acc);
    }
  };
  if (rows * C < kSerialElems) run(0, blocks);
  else parallel_for(blocks, 1, run);
}

// Sums the blocks of `partial` (blocks x C) into C values, in block order.
std::vector<double> total(const std::vector<double>& partial, int64_t C) {
  std::vector<double> t(static_cast<size_t>(C), 0.0);
  for (size_t i = 0; i < partial.size(); ++i) t[i % static_cast<size_t>(C)] += partial[i];
  return t;
}

template <class F>
void rows_parallel(int64_t rows, int64_t C, F&& f) {
  if (rows * C < kSerialElems) f(int64_t{0}, rows);
  else parallel_for(rows, std::max<int64_t>(1, kSerialElems / std::max<int64_t>(C, 1)), f);
}

template <class T>
void forward_t(int64_t rows, int64_t C, const T* x, const T* gamma, const T* beta, double eps,
               T* y, T* mean_out, T* var_out) {
  std::vector<double> part;
  block_sums(rows, C, part, [&](int64_t r, double* acc) {
    const T* row = x + r * C;
    for (int64_t c = 0; c < C; ++c) acc[c] += static_cast<double>(row[c]);
  });
  std::vector<double> mean = total(part, C);
  for (double& m : mean) m /= static_cast<double>(std::max<int64_t>(rows, 1));
  block_sums(rows, C, part, [&](int64_t r, double* acc) {
    const T* row = x + r * C;
    for (int64_t c = 0; c < C; ++c) {
      const double d = static_cast<double>(row[c]) - mean[c];
      acc[c] += d * d;
    }
  });
  std::vector<double> var = total(part, C);
  std::vector<T> scale(static_cast<size_t>(C)), shift(static_cast<size_t>(C));
  for (int64_t c = 0; c < C; ++c) {
    var[c] /= static_cast<double>(std::max<int64_t>(rows, 1));
    mean_out[c] = static_cast<T>(mean[c]);
    var_out[c] = static_cast<T>(var[c]);
    // y = (x - mean) * rsqrt(var + eps) * gamma + beta, as one multiply-add per element
    const double s = static_cast<double>(gamma[c]) / std::sqrt(var[c] + eps);
    scale[c] = static_cast<T>(s);
    shift[c] = static_cast<T>(static_cast<double>(beta[c]) - mean[c] * s);
  }
  rows_parallel(rows, C, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const T* __restrict row = x + r * C;
      T* __restrict out = y + r * C;
      for (int64_t c = 0; c < C; ++c) out[c] = row[c] * scale[c] + shift[c];
    }
  });
}

template <class T>
void backward_t(int64_t rows, int64_t C, const T* dy, const T* x, const T* gamma,
                const T* mean, const T* var, double eps, T* dx, T* dgamma, T* dbeta) {
  std::vector<double> rstd(static_cast<size_t>(C));
  for (int64_t c = 0; c < C; ++c) rstd[c] = 1.0 / std::sqrt(static_cast<double>(var[c]) + eps);
  // Both sums in one pass: block b's C sums of dy, then its C sums of dy * xhat.
  std::vector<double> part;
  block_sums(rows, 2 * C, part, [&](int64_t r, double* acc) {
    const T* g = dy + r * C;
    const T* row = x + r * C;
    for (int64_t c = 0; c < C; ++c) {
      const double d = static_cast<double>(g[c]);
      acc[c] += d;
      acc[C + c] += d * (static_cast<double>(row[c]) - mean[c]) * rstd[c];
    }
  });
  const std::vector<double> sums = total(part, 2 * C);
  std::vector<T> a(static_cast<size_t>(C)), b(static_cast<size_t>(C)), k(static_cast<size_t>(C));
  const double n = static_cast<double>(std::max<int64_t>(rows, 1));
  for (int64_t c = 0; c < C; ++c) {
    dbeta[c] = static_cast<T>(sums[c]);
    dgamma[c] = static_cast<T>(sums[C + c]);
    // dx = gamma * rstd * (dy - sum(dy) / n - xhat * sum(dy * xhat) / n)
    //    = k * dy + a * x + b, per channel
    const double gr = static_cast<double>(gamma[c]) * rstd[c];
    const double coef = sums[C + c] / n * rstd[c];  // on (x - mean)
    k[c] = static_cast<T>(gr);
    a[c] = static_cast<T>(-gr * coef);
    b[c] = static_cast<T>(gr * (coef * static_cast<double>(mean[c]) - sums[c] / n));
  }
  rows_parallel(rows, C, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const T* __restrict g = dy + r * C;
      const T* __restrict row = x + r * C;
      T* __restrict out = dx + r * C;
      for (int64_t c = 0; c < C; ++c) out[c] = k[c] * g[c] + a[c] * row[c] + b[c];
    }
  });
}

}  // namespace

void batch_norm_forward(DType dt, int64_t rows, int64_t C, const void* x, const void* gamma,
                        const void* beta, double eps, void* y, void* mean, void* var) {
  if (dt == DType::kFloat32)
    forward_t<float>(rows, C, static_cast<const float*>(x), static_cast<const float*>(gamma),
                     static_cast<const float*>(beta), eps, static_cast<float*>(y),
                     static_cast<float*>(mean), static_cast<float*>(var));
  else
    forward_t<double>(rows, C, static_cast<const double*>(x), static_cast<const double*>(gamma),
                      static_cast<const double*>(beta), eps, static_cast<double*>(y),
                      static_cast<double*>(mean), static_cast<double*>(var));
}

void batch_norm_backward(DType dt, int64_t rows, int64_t C, const void* dy, const void* x,
                         const void* gamma, const void* mean, const void* var, double eps,
                         void* dx, void* dgamma, void* dbeta) {
  if (dt == DType::kFloat32)
    backward_t<float>(rows, C, static_cast<const float*>(dy), static_cast<const float*>(x),
                      static_cast<const float*>(gamma), static_cast<const float*>(mean),
                      static_cast<const float*>(var), eps, static_cast<float*>(dx),
                      static_cast<float*>(dgamma), static_cast<float*>(dbeta));
  else
    backward_t<double>(rows, C, static_cast<const double*>(dy), static_cast<const double*>(x),
                       static_cast<const double*>(gamma), static_cast<const double*>(mean),
                       static_cast<const double*>(var), eps, static_cast<double*>(dx),
                       static_cast<double*>(dgamma), static_cast<double*>(dbeta));
}

}  // namespace tapeflow::cpu
