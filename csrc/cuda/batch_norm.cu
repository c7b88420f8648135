// Batch normalisation on the GPU (see cpu/batch_norm.cpp for the formulas): one block
// per channel sums its column in double (a fixed tree: deterministic), then an
// elementwise pass applies the per-channel affine map.
#include "cuda/common.cuh"

namespace tapeflow::cuda {

namespace {

// Block-wide sum of one double per thread (blockDim.x == kThreads).
__device__ double block_sum(double v, double* shared) {
  shared[threadIdx.x] = v;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s /= 2) {
    if (threadIdx.x < s) shared[threadIdx.x] += shared[threadIdx.x + s];
    __syncthreads();
  }
  const double r = shared[0];
  __syncthreads();
  return r;
}

// Per channel c (one block each): mean, var, and y's scale and shift.
template <class T>
__global__ void bn_stats_kernel(const T* __restrict__ x, const T* __restrict__ gamma,
                                const T* __restrict__ beta, double eps, int64_t rows, int64_t C,
                                T* __restrict__ mean, T* __restrict__ var,
                                double* __restrict__ scale_shift) {
  __shared__ double shared[kThreads];
  for (int64_t c = blockIdx.x; c < C; c += gridDim.x) {
    double s = 0;
    for (int64_t r = threadIdx.x; r < rows; r += blockDim.x) s += static_cast<double>(x[r * C + c]);
    const double m = block_sum(s, shared) / static_cast<double>(rows > 0 ? rows : 1);
    double q = 0;
    for (int64_t r = threadIdx.x; r < rows; r += blockDim.x) {
      const double d = static_cast<double>(x[r * C + c]) - m;
      q += d * d;
    }
    const double v = block_sum(q, shared) / static_cast<double>(rows > 0 ? rows : 1);
    if (threadIdx.x == 0) {
      mean[c] = static_cast<T>(m);
      var[c] = static_cast<T>(v);
      const double k = static_cast<double>(gamma[c]) / sqrt(v + eps);
      scale_shift[c] = k;
      scale_shift[C + c] = static_cast<double>(beta[c]) - m * k;
    }
  }
}

template <class T>
__global__ void bn_apply_kernel(const T* __restrict__ x, const double* __restrict__ scale_shift,
                                int64_t C, int64_t n, T* __restrict__ y) {
  GRID_STRIDE(i, n) {
    const int64_t c = i % C;
    y[i] = x[i] * static_cast<T>(scale_shift[c]) + static_cast<T>(scale_shift[C + c]);
  }
}

// Per channel: sum(dy), sum(dy * xhat), and dx's coefficients k, a, b.
template <class T>
__global__ void bn_grad_sums_kernel(const T* __restrict__ dy, const T* __restrict__ x,
                                    const T* __restrict__ gamma, const T* __restrict__ mean,
                                    const T* __restrict__ var, double eps, int64_t rows,
                                    int64_t C, T* __restrict__ dgamma, T* __restrict__ dbeta,
                                    double* __restrict__ coefs) {
  __shared__ double shared[kThreads];
  for (int64_t c = blockIdx.x; c < C; c += gridDim.x) {
    const double rstd = 1.0 / sqrt(static_cast<double>(var[c]) + eps);
    const double m = static_cast<double>(mean[c]);
    double s = 0, t = 0;
    for (int64_t r = threadIdx.x; r < rows; r += blockDim.x) {
      const double d = static_cast<double>(dy[r * C + c]);
      s += d;
      t += d * (static_cast<double>(x[r * C + c]) - m) * rstd;
    }
    const double sum_dy = block_sum(s, shared), sum_dyx = block_sum(t, shared);
    if (threadIdx.x == 0) {
      dbeta[c] = static_cast<T>(sum_dy);
      dgamma[c] = static_cast<T>(sum_dyx);
      const double n = static_cast<double>(rows > 0 ? rows : 1);
      const double gr = static_cast<double>(gamma[c]) * rstd, coef = sum_dyx / n * rstd;
      coefs[c] = gr;
      coefs[C + c] = -gr * coef;
      coefs[2 * C + c] = gr * (coef * m - sum_dy / n);
    }
  }
}

template <class T>
__global__ void bn_grad_apply_kernel(const T* __restrict__ dy, const T* __restrict__ x,
                                     const double* __restrict__ coefs, int64_t C, int64_t n,
                                     T* __restrict__ dx) {
  GRID_STRIDE(i, n) {
    const int64_t c = i % C;
    dx[i] = static_cast<T>(coefs[c]) * dy[i] + static_cast<T>(coefs[C + c]) * x[i] +
            static_cast<T>(coefs[2 * C + c]);
  }
}

template <class F>
void float_types(DType dt, F&& f) {
  if (dt == DType::kFloat32) f(float{});
  else if (dt == DType::kFloat64) f(double{});
}

}  // namespace

void batch_norm_forward(const Array& x, const Array& gamma, const Array& beta, double eps,
                        const Array& y, const Array& mean, const Array& var, int64_t rows,
                        int64_t C) {
  if (C == 0) return;
  const Array ss = Array::empty({2 * C}, DType::kFloat64, x.device());
  const int blocks = static_cast<int>(std::min<int64_t>(C, int64_t{1} << 16));
  float_types(x.dtype(), [&](auto t) {
    using T = decltype(t);
    bn_stats_kernel<T><<<blocks, kThreads>>>(x.data<T>(), gamma.data<T>(), beta.data<T>(), eps,
                                             rows, C, mean.data<T>(), var.data<T>(),
                                             ss.data<double>());
    if (rows * C > 0)
      bn_apply_kernel<T><<<blocks_for(rows * C), kThreads>>>(x.data<T>(), ss.data<double>(), C,
                                                             rows * C, y.data<T>());
  });
  check_launch("batch norm kernels");
}

void batch_norm_backward(const Array& dy, const Array& x, const Array& gamma,
                         const Array& mean, const Array& var, double eps, const Array& dx,
                         const Array& dgamma, const Array& dbeta, int64_t rows, int64_t C) {
  if (C == 0) return;
  const Array coefs = Array::empty({3 * C}, DType::kFloat64, x.device());
  const int blocks = static_cast<int>(std::min<int64_t>(C, int64_t{1} << 16));
  float_types(x.dtype(), [&](auto t) {
    using T = decltype(t);
    bn_grad_sums_kernel<T><<<blocks, kThreads>>>(dy.data<T>(), x.data<T>(), gamma.data<T>(),
                                                 mean.data<T>(), var.data<T>(), eps, rows, C,
                                                 dgamma.data<T>(), dbeta.data<T>(),
                                                 coefs.data<double>());
    if (rows * C > 0)
      bn_grad_apply_kernel<T><<<blocks_for(rows * C), kThreads>>>(
          dy.data<T>(), x.data<T>(), coefs.data<double>(), C, rows * C, dx.data<T>());
  });
  check_launch("batch norm gradient kernels");
}

}  // namespace tapeflow::cuda
