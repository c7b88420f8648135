// Which element types each OpKind accepts and what it returns, shared by the CPU kernel
// tables and the CUDA kernels so both devices support exactly the same (op, dtype) pairs.
// Only templates with constexpr members: no symbols, safe in every ISA translation unit.
#pragma once
#include <stdint.h>

#include "opdefs/op_list.h"

namespace tapeflow {

template <OpKind K, class T> struct Accepts { static constexpr bool value = false; };
template <class T> struct Accepts<OpKind::Compare, T> { static constexpr bool value = true; };
template <> struct Accepts<OpKind::Bool, bool> { static constexpr bool value = true; };
template <> struct Accepts<OpKind::Float, float> { static constexpr bool value = true; };
template <> struct Accepts<OpKind::Float, double> { static constexpr bool value = true; };
template <> struct Accepts<OpKind::FloatPredicate, float> { static constexpr bool value = true; };
template <> struct Accepts<OpKind::FloatPredicate, double> { static constexpr bool value = true; };
template <> struct Accepts<OpKind::Numeric, float> { static constexpr bool value = true; };
template <> struct Accepts<OpKind::Numeric, double> { static constexpr bool value = true; };
template <> struct Accepts<OpKind::Numeric, int32_t> { static constexpr bool value = true; };
template <> struct Accepts<OpKind::Numeric, int64_t> { static constexpr bool value = true; };
template <> struct Accepts<OpKind::Integer, int32_t> { static constexpr bool value = true; };
template <> struct Accepts<OpKind::Integer, int64_t> { static constexpr bool value = true; };

template <OpKind K, class T> struct Result { using type = T; };
template <class T> struct Result<OpKind::Compare, T> { using type = bool; };
template <class T> struct Result<OpKind::FloatPredicate, T> { using type = bool; };

}  // namespace tapeflow
