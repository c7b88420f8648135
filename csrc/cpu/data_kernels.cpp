// Kernels that move or convert data; they depend on element types only, so they are
// built once rather than per ISA.
#include <math.h>  // float overloads of exp/log in the global namespace (xent_row.inc)

#include <cmath>
#include <cstring>

#include "core/error.h"
#include "cpu/cpu_backend.h"

namespace tapeflow::cpu {
namespace {
#include "opdefs/xent_row.inc"
}  // namespace
}  // namespace tapeflow::cpu

namespace tapeflow::cpu {

namespace {

template <class From, class To>
void cast_impl(char** data, const int64_t* s, int64_t n, const void*) {
  To* out = reinterpret_cast<To*>(data[0]);
  const From* in = reinterpret_cast<const From*>(data[1]);
  for (int64_t i = 0; i < n; ++i) {
    if constexpr (std::is_same_v<To, bool>) {
      out[i * s[0]] = in[i * s[1]] != From(0);
    } else {
      out[i * s[0]] = static_cast<To>(in[i * s[1]]);
    }
  }
}

template <class T>
void where_impl(char** data, const int64_t* s, int64_t n, const void*) {
  T* out = reinterpret_cast<T*>(data[0]);
  const bool* c = reinterpret_cast<const bool*>(data[1]);
  const T* a = reinterpret_cast<const T*>(data[2]);
  const T* b = reinterpret_cast<const T*>(data[3]);
  for (int64_t i = 0; i < n; ++i) out[i * s[0]] = c[i * s[1]] ? a[i * s[2]] : b[i * s[3]];
}

template <class T>
void fill_impl(const Array& out, T v) {
  T* p = out.data<T>();
  const int64_t n = out.size();
  for (int64_t i = 0; i < n; ++i) p[i] = v;
}

}  // namespace

InnerLoop cast_loop(DType from, DType to) {
  return visit_dtype(from, [&](auto f) -> InnerLoop {
    return visit_dtype(to, [&](auto t) -> InnerLoop {
      return &cast_impl<decltype(f), decltype(t)>;
    });
  });
}

InnerLoop where_loop(int64_t itemsize) {
  switch (itemsize) {
    case 1: return &where_impl<uint8_t>;
    case 4: return &where_impl<uint32_t>;
    case 8: return &where_impl<uint64_t>;
  }
  raise(ErrorKind::kInternal, "[where] unsupported item size ", itemsize);
}

void fill(const Array& out, double value) {
  visit_dtype(out.dtype(), [&](auto t) {
    using T = decltype(t);
    if constexpr (std::is_same_v<T, bool>) fill_impl<bool>(out, value != 0.0);
    else fill_impl<T>(out, static_cast<T>(value));
  });
}

void fill_int(const Array& out, int64_t value) {
  visit_dtype(out.dtype(), [&](auto t) {
    using T = decltype(t);
    if constexpr (std::is_same_v<T, bool>) fill_impl<bool>(out, value != 0);
    else fill_impl<T>(out, static_cast<T>(value));
  });
}

void gather_rows(const char* in, char* out, const int64_t* idx, int64_t outer, int64_t n,
                 int64_t nidx, int64_t inner_bytes) {
  for (int64_t o = 0; o < outer; ++o) {
    const char* src = in + o * n * inner_bytes;
    char* dst = out + o * nidx * inner_bytes;
    for (int64_t j = 0; j < nidx; ++j)
      std::memcpy(dst + j * inner_bytes, src + idx[j] * inner_bytes,
                  static_cast<size_t>(inner_bytes));
  }
}

void sparse_softmax_xent(DType dt, int64_t rows, int64_t classes, const void* logits,
                         const int64_t* labels, void* loss, void* backprop) {
  visit_dtype(dt, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      const T* x = static_cast<const T*>(logits);
      T* l = static_cast<T*>(loss);
      T* bp = static_cast<T*>(backprop);
      for (int64_t r = 0; r < rows; ++r)
        sparse_xent_row(x + r * classes, classes, labels[r], l + r, bp + r * classes);
    } else {
      raise(ErrorKind::kInvalidArgument, "[sparse_softmax_xent] logits must be float");
    }
  });
}

void scatter_add_rows(DType dt, const char* upd, char* out, const int64_t* idx, int64_t outer,
                      int64_t n, int64_t nidx, int64_t inner) {
  visit_dtype(dt, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, bool>) {
      raise(ErrorKind::kInvalidArgument, "[scatter_add] does not support dtype bool");
    } else {
      const T* u = reinterpret_cast<const T*>(upd);
      T* o = reinterpret_cast<T*>(out);
      for (int64_t b = 0; b < outer; ++b)
        for (int64_t j = 0; j < nidx; ++j) {
          T* dst = o + (b * n + idx[j]) * inner;
          const T* src = u + (b * nidx + j) * inner;
          for (int64_t k = 0; k < inner; ++k) dst[k] += src[k];
        }
    }
  });
}

}  // namespace tapeflow::cpu
