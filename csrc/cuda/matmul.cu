// Matmul: the tiled, register-blocked GEMM kernels, and cuBLAS opened at run time
// (dlopen) for float/double when found and allowed (has_cublas, set_use_cublas).
#include <dlfcn.h>

#include "cuda/common.cuh"

// The toolkit's library folder, tried first for libcublas.so (CMakeLists.txt sets it on
// the tapeflow_cuda target unless TAPEFLOW_CUBLAS is OFF, which sets TAPEFLOW_NO_CUBLAS).
#ifndef TAPEFLOW_CUBLAS_DIR
#define TAPEFLOW_CUBLAS_DIR ""
#endif

namespace tapeflow::cuda {

namespace {

// ---- matmul --------------------------------------------------------------------------
// C (M, N) = A (M, K) @ B (K, N), all row-major contiguous. 128x128 tiles of C per block
// of 256 threads, each thread an 8x8 register block; 8-deep slices of A (stored
// transposed) and B in shared memory. Batches in blockIdx.z with per-batch offsets.
constexpr int kBM = 128, kBN = 128, kBK = 8, kTM = 8, kTN = 8;

template <class T>
__global__ void __launch_bounds__(256) gemm_tiled(const T* __restrict__ A, const T* __restrict__ B,
                                                  T* __restrict__ C, int64_t M, int64_t N,
                                                  int64_t K, const int64_t* __restrict__ aoff,
                                                  const int64_t* __restrict__ boff, int64_t batches) {
  // A is stored transposed and padded (+4): the 8 threads that load one row of A write
  // 8 different banks. Each thread owns rows ty*8+i and columns tx+16*j of the tile, so
  // a warp reads 16 consecutive words of B (no bank conflicts) and 2 of A (broadcast).
  __shared__ T As[kBK][kBM + 4];
  __shared__ T Bs[kBK][kBN];
  const int tid = threadIdx.x;
  const int ty = tid / 16, tx = tid % 16;
  for (int64_t bz = blockIdx.z; bz < batches; bz += gridDim.z) {
    const T* a = A + (aoff ? aoff[bz] : 0);
    const T* b = B + (boff ? boff[bz] : 0);
    T* c = C + bz * M * N;
    const int64_t m0 = int64_t(blockIdx.y) * kBM, n0 = int64_t(blockIdx.x) * kBN;
    T acc[kTM][kTN];
    for (int i = 0; i < kTM; ++i)
      for (int j = 0; j < kTN; ++j) acc[i][j] = T(0);
    for (int64_t k0 = 0; k0 < K; k0 += kBK) {
#pragma unroll
      for (int l = 0; l < (kBM * kBK) / 256; ++l) {
        const int idx = tid + l * 256;
        const int r = idx / kBK, cc = idx % kBK;
        const int64_t gm = m0 + r, gk = k0 + cc;
        As[cc][r] = (gm < M && gk < K) ? a[gm * K + gk] : T(0);
      }
#pragma unroll
      for (int l = 0; l < (kBK * kBN) / 256; ++l) {
        const int idx = tid + l * 256;
        const int r = idx / kBN, cc = idx % kBN;
        const int64_t gk = k0 + r, gn = n0 + cc;
        Bs[r][cc] = (gk < K && gn < N) ? b[gk * N + gn] : T(0);
      }
      __syncthreads();
#pragma unroll
      for (int kk = 0; kk < kBK; ++kk) {
        T ra[kTM], rb[kTN];
#pragma unroll
        for (int i = 0; i < kTM; ++i) ra[i] = As[kk][ty * kTM + i];
#pragma unroll
        for (int j = 0; j < kTN; ++j) rb[j] = Bs[kk][tx + 16 * j];
#pragma unroll
        for (int i = 0; i < kTM; ++i)
#pragma unroll
          for (int j = 0; j < kTN; ++j) acc[i][j] += ra[i] * rb[j];
      }
      __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < kTM; ++i) {
      const int64_t gm = m0 + ty * kTM + i;
      if (gm >= M) continue;
#pragma unroll
      for (int j = 0; j < kTN; ++j) {
        const int64_t gn = n0 + tx + 16 * j;
        if (gn < N) c[gm * N + gn] = acc[i][j];
      }
    }
  }
}

// float32 when K and N are multiples of 4 and A, B are 16-byte aligned: the same tiling
// with 128-bit loads (global and shared), and double-buffered shared memory filled from
// registers prefetched one slice ahead, so each slice costs one barrier. Each thread owns
// rows {ty*4, 64+ty*4} + 0..3 and columns {tx*4, 64+tx*4} + 0..3 of the tile.
__global__ void __launch_bounds__(256) gemm_f32_vec(const float* __restrict__ A,
                                                    const float* __restrict__ B,
                                                    float* __restrict__ C, int64_t M, int64_t N,
                                                    int64_t K, const int64_t* __restrict__ aoff,
                                                    const int64_t* __restrict__ boff,
                                                    int64_t batches) {
  __shared__ __align__(16) float As[2][kBK][kBM + 4];
  __shared__ __align__(16) float Bs[2][kBK][kBN];
  const int tid = threadIdx.x;
  const int ty = tid / 16, tx = tid % 16;
  const int ar = tid / 2, ak = (tid % 2) * 4;    // this thread's float4 of the A slice
  const int br = tid / 32, bc = (tid % 32) * 4;  // and of the B slice
  const float4 zero = make_float4(0.f, 0.f, 0.f, 0.f);
  for (int64_t bz = blockIdx.z; bz < batches; bz += gridDim.z) {
    const float* a = A + (aoff ? aoff[bz] : 0);
    const float* b = B + (boff ? boff[bz] : 0);
    float* c = C + bz * M * N;
    const int64_t m0 = int64_t(blockIdx.y) * kBM, n0 = int64_t(blockIdx.x) * kBN;
    float4 ga = zero, gb = zero;
    auto load = [&](int64_t k0) {
      const int64_t gm = m0 + ar, gk = k0 + ak;
      ga = (gm < M && gk < K) ? *reinterpret_cast<const float4*>(a + gm * K + gk) : zero;
      const int64_t gk2 = k0 + br, gn = n0 + bc;
      gb = (gk2 < K && gn < N) ? *reinterpret_cast<const float4*>(b + gk2 * N + gn) : zero;
    };
    auto store = [&](int buf) {
      As[buf][ak + 0][ar] = ga.x;
      As[buf][ak + 1][ar] = ga.y;
      As[buf][ak + 2][ar] = ga.z;
      As[buf][ak + 3][ar] = ga.w;
      *reinterpret_cast<float4*>(&Bs[buf][br][bc]) = gb;
    };
    float acc[8][8];
#pragma unroll
    for (int i = 0; i < 8; ++i)
#pragma unroll
      for (int j = 0; j < 8; ++j) acc[i][j] = 0.f;
    load(0);
    store(0);
    __syncthreads();
    int buf = 0;
    for (int64_t k0 = 0; k0 < K; k0 += kBK) {
      const bool more = k0 + kBK < K;
      if (more) load(k0 + kBK);
#pragma unroll
      for (int kk = 0; kk < kBK; ++kk) {
        const float4 a0 = *reinterpret_cast<const float4*>(&As[buf][kk][ty * 4]);
        const float4 a1 = *reinterpret_cast<const float4*>(&As[buf][kk][64 + ty * 4]);
        const float4 b0 = *reinterpret_cast<const float4*>(&Bs[buf][kk][tx * 4]);
        const float4 b1 = *reinterpret_cast<const float4*>(&Bs[buf][kk][64 + tx * 4]);
        const float ra[8] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
        const float rb[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
        for (int i = 0; i < 8; ++i)
#pragma unroll
          for (int j = 0; j < 8; ++j) acc[i][j] += ra[i] * rb[j];
      }
      if (more) store(buf ^ 1);
      __syncthreads();
      buf ^= 1;
    }
#pragma unroll
    for (int i = 0; i < 8; ++i) {
      const int64_t gm = m0 + (i < 4 ? ty * 4 + i : 64 + ty * 4 + i - 4);
      if (gm >= M) continue;
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const int64_t gn = n0 + h * 64 + tx * 4;
        if (gn < N)
          *reinterpret_cast<float4*>(c + gm * N + gn) =
              make_float4(acc[i][h * 4], acc[i][h * 4 + 1], acc[i][h * 4 + 2], acc[i][h * 4 + 3]);
      }
    }
  }
}

bool g_use_cublas = true;

// cuBLAS, opened at run time with RTLD_LOCAL rather than linked: the library is optional
// (tapeflow builds and runs without it), and nothing it exports can interpose on the
// symbols this module binds (libstdc++'s among them). Signatures as in cublas_api.h.
struct Cublas {
  using Handle = void*;
  using Sgemm = int (*)(Handle, int, int, int, int, int, const float*, const float*, int,
                        long long, const float*, int, long long, const float*, float*, int,
                        long long, int);
  using Dgemm = int (*)(Handle, int, int, int, int, int, const double*, const double*, int,
                        long long, const double*, int, long long, const double*, double*, int,
                        long long, int);
  Handle handle = nullptr;
  Sgemm sgemm = nullptr;
  Dgemm dgemm = nullptr;
  bool ok = false;
};

const Cublas& cublas() {
  static const Cublas c = [] {
    Cublas made;
#ifdef TAPEFLOW_NO_CUBLAS
    return made;
#endif
    void* lib = nullptr;
    const std::string dir = TAPEFLOW_CUBLAS_DIR;
    for (const std::string& name : {dir.empty() ? std::string() : dir + "/libcublas.so",
                                     std::string("libcublas.so.13"), std::string("libcublas.so.12"),
                                     std::string("libcublas.so")}) {
      if (!name.empty() && (lib = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL)) != nullptr) break;
    }
    if (lib == nullptr) return made;
    using Create = int (*)(Cublas::Handle*);
    const auto create = reinterpret_cast<Create>(dlsym(lib, "cublasCreate_v2"));
    made.sgemm = reinterpret_cast<Cublas::Sgemm>(dlsym(lib, "cublasSgemmStridedBatched"));
    made.dgemm = reinterpret_cast<Cublas::Dgemm>(dlsym(lib, "cublasDgemmStridedBatched"));
    made.ok = create && made.sgemm && made.dgemm && create(&made.handle) == 0;
    return made;
  }();
  return c;
}

// Row-major C = A @ B is column-major C^T = B^T @ A^T: swap the operands. Returns false
// (the tiled kernel runs instead) for batches whose offsets are not evenly strided.
template <class T>
bool cublas_gemm(const T* A, const T* B, T* C, int64_t M, int64_t N, int64_t K,
                 const std::vector<int64_t>& aoff, const std::vector<int64_t>& boff) {
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    if (!g_use_cublas || M > INT32_MAX || N > INT32_MAX || K > INT32_MAX) return false;
    const Cublas& cb = cublas();
    if (!cb.ok) return false;
    const T one = 1, zero = 0;
    const int64_t nb = static_cast<int64_t>(aoff.size());
    auto strided = [&](const std::vector<int64_t>& off, int64_t* stride) {
      *stride = nb > 1 ? off[1] - off[0] : 0;
      for (int64_t i = 1; i < nb; ++i)
        if (off[i] - off[i - 1] != *stride) return false;
      return true;
    };
    int64_t sa = 0, sb = 0;
    if (nb > INT32_MAX || !strided(aoff, &sa) || !strided(boff, &sb)) return false;
    constexpr int kOpN = 0;  // CUBLAS_OP_N
    int st;
    if constexpr (std::is_same_v<T, float>) {
      st = cb.sgemm(cb.handle, kOpN, kOpN, int(N), int(M), int(K), &one, B + boff[0], int(N), sb,
                    A + aoff[0], int(K), sa, &zero, C, int(N), M * N, int(nb));
    } else {
      st = cb.dgemm(cb.handle, kOpN, kOpN, int(N), int(M), int(K), &one, B + boff[0], int(N), sb,
                    A + aoff[0], int(K), sa, &zero, C, int(N), M * N, int(nb));
    }
    if (st != 0) raise(ErrorKind::kInternal, "[cuda] cuBLAS gemm failed with status ", st);
    return true;
  }
  return false;
}

}  // namespace

bool has_cublas() { return device_count() > 0 && cublas().ok; }

void set_use_cublas(bool on) { g_use_cublas = on; }

void matmul(const Array& A, const Array& B, const Array& C, int64_t M, int64_t N, int64_t K,
            const std::vector<int64_t>& aoff, const std::vector<int64_t>& boff) {
  const int64_t nb = static_cast<int64_t>(aoff.size());
  if (C.size() == 0) return;
  if (K == 0) {
    fill(C, 0.0);
    return;
  }
  visit_dtype(A.dtype(), [&](auto t) {
    using T = decltype(t);
    if constexpr (!std::is_same_v<T, bool>) {
      if (cublas_gemm<T>(A.data<T>(), B.data<T>(), C.data<T>(), M, N, K, aoff, boff)) return;
      bool zero_offsets = true;
      for (int64_t i = 0; i < nb; ++i) zero_offsets = zero_offsets && aoff[i] == 0 && boff[i] == 0;
      Array da, db;
      if (!(nb == 1 && zero_offsets)) {
        da = device_vector(aoff, A.device());
        db = device_vector(boff, A.device());
      }
      const dim3 grid(static_cast<unsigned>((N + kBN - 1) / kBN),
                      static_cast<unsigned>((M + kBM - 1) / kBM),
                      static_cast<unsigned>(std::min<int64_t>(nb, 65535)));
      TAPEFLOW_CHECK_KIND(grid.y <= 65535, kUnimplemented, "[cuda] matmul with M = ", M,
                          " rows is too large for the GPU kernel");
      const int64_t* pa = da.defined() ? da.data<int64_t>() : nullptr;
      const int64_t* pb = db.defined() ? db.data<int64_t>() : nullptr;
      auto aligned = [](const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; };
      if constexpr (std::is_same_v<T, float>) {
        if (K % 4 == 0 && N % 4 == 0 && aligned(A.data<T>()) && aligned(B.data<T>()) &&
            aligned(C.data<T>())) {
          gemm_f32_vec<<<grid, 256>>>(A.data<T>(), B.data<T>(), C.data<T>(), M, N, K, pa, pb, nb);
          check_launch("matmul kernel");
          return;
        }
      }
      gemm_tiled<T><<<grid, 256>>>(A.data<T>(), B.data<T>(), C.data<T>(), M, N, K, pa, pb, nb);
      check_launch("matmul kernel");
    }
  });
}

}  // namespace tapeflow::cuda
