// The elementwise and reduction op lists. Each X(name, Kind, expr) line is expanded by
// the CPU kernels (cpu/kernels_impl.inc), the CUDA kernels, ops.h/ops.cpp and the
// bindings: adding an elementwise op is one line here. `expr` is written in terms of
// the operand(s) x (unary) or a, b (binary) of type T; helpers live in functors.inc.
// Kinds: Float (float32/64), Numeric (float + int), Bool (bool only),
//        FloatPredicate (float in, bool out), Compare (any dtype, bool out),
//        Integer (int32/64).
// This header holds macros and enums only, so it is safe in every ISA translation unit.
#pragma once

#define TAPEFLOW_UNARY_OPS(X)                          \
  X(neg, Numeric, -x)                                  \
  X(abs, Numeric, tf_abs(x))                           \
  X(sign, Numeric, tf_sign(x))                         \
  X(square, Numeric, x * x)                            \
  X(relu, Numeric, (x < T(0) ? T(0) : x))              \
  X(relu6, Numeric, (x < T(0) ? T(0) : (x > T(6) ? T(6) : x))) \
  X(exp, Float, tf_exp(x))                             \
  X(log, Float, tf_log(x))                             \
  X(log1p, Float, tf_log1p(x))                         \
  X(expm1, Float, tf_expm1(x))                         \
  X(sqrt, Float, tf_sqrt(x))                           \
  X(rsqrt, Float, T(1) / tf_sqrt(x))                   \
  X(reciprocal, Float, T(1) / x)                       \
  X(sin, Float, tf_sin(x))                             \
  X(cos, Float, tf_cos(x))                             \
  X(tanh, Float, tf_tanh(x))                           \
  X(sigmoid, Float, tf_sigmoid(x))                     \
  X(softplus, Float, tf_softplus(x))                   \
  X(log_sigmoid, Float, -tf_softplus(-x))              \
  X(floor, Float, tf_floor(x))                         \
  X(ceil, Float, tf_ceil(x))                           \
  X(round, Float, tf_rint(x))                          \
  X(erf, Float, tf_erf(x))                             \
  X(logical_not, Bool, !x)                             \
  X(isnan, FloatPredicate, x != x)                     \
  X(isfinite, FloatPredicate, tf_isfinite(x))

#define TAPEFLOW_BINARY_OPS(X)                         \
  X(add, Numeric, a + b)                               \
  X(sub, Numeric, a - b)                               \
  X(mul, Numeric, a * b)                               \
  X(div, Numeric, tf_div(a, b))                        \
  X(floordiv, Numeric, tf_floordiv(a, b))              \
  X(mod, Numeric, tf_floormod(a, b))                   \
  X(pow, Numeric, tf_pow(a, b))                        \
  X(maximum, Numeric, tf_max(a, b))                    \
  X(minimum, Numeric, tf_min(a, b))                    \
  X(equal, Compare, a == b)                            \
  X(not_equal, Compare, a != b)                        \
  X(less, Compare, a < b)                              \
  X(less_equal, Compare, a <= b)                       \
  X(greater, Compare, a > b)                           \
  X(greater_equal, Compare, a >= b)                    \
  X(logical_and, Bool, a && b)                         \
  X(logical_or, Bool, a || b)                          \
  X(bitwise_and, Integer, a & b)                       \
  X(bitwise_or, Integer, a | b)                        \
  X(bitwise_xor, Integer, a ^ b)                       \
  X(relu_grad, Numeric, (b > T(0) ? a : T(0)))        \
  X(relu6_grad, Numeric, (b > T(0) && b < T(6) ? a : T(0))) \
  X(sqrt_grad, Float, (b == T(0) ? T(0) : (b * T(0.5)) / a)) \
  X(rsqrt_grad, Float, (b == T(0) ? T(0) : T(-0.5) * (b * a) * (a * a))) \
  X(reciprocal_grad, Float, (b == T(0) ? T(0) : -a * a * b))

// Reductions: X(name, Kind). mean is sum / count, computed in ops.cpp.
#define TAPEFLOW_REDUCE_OPS(X) \
  X(sum, Numeric)              \
  X(prod, Numeric)             \
  X(max, Numeric)              \
  X(min, Numeric)              \
  X(any, Bool)                 \
  X(all, Bool)                 \
  X(logsumexp, Float)          \
  X(argmax, Numeric)           \
  X(argmin, Numeric)

// Scans along one axis (tf.math.cumsum, cumprod, cumulative_logsumexp): X(name, Kind).
#define TAPEFLOW_SCAN_OPS(X)   \
  X(cumsum, Numeric)           \
  X(cumprod, Numeric)          \
  X(cumulative_logsumexp, Float)

namespace tapeflow {

enum class OpKind : int { Float, Numeric, Bool, FloatPredicate, Compare, Integer };

#define TAPEFLOW_ENUM_ENTRY(name, ...) name,
enum class UnaryOp : int { TAPEFLOW_UNARY_OPS(TAPEFLOW_ENUM_ENTRY) kCount };
enum class BinaryOp : int { TAPEFLOW_BINARY_OPS(TAPEFLOW_ENUM_ENTRY) kCount };
enum class ReduceOp : int { TAPEFLOW_REDUCE_OPS(TAPEFLOW_ENUM_ENTRY) kCount };
enum class ScanOp : int { TAPEFLOW_SCAN_OPS(TAPEFLOW_ENUM_ENTRY) kCount };
#undef TAPEFLOW_ENUM_ENTRY

constexpr int kNumUnaryOps = static_cast<int>(UnaryOp::kCount);
constexpr int kNumBinaryOps = static_cast<int>(BinaryOp::kCount);
constexpr int kNumReduceOps = static_cast<int>(ReduceOp::kCount);
constexpr int kNumScanOps = static_cast<int>(ScanOp::kCount);

}  // namespace tapeflow
