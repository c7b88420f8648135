"""Math ops (``tf.math``): elementwise, reductions, matmul, casts.

Each op is defined next to its gradient. Gradient rules use tapeflow ops only, so they
are themselves differentiable (second derivatives through nested tapes). Semantics are
TF's: no implicit dtype promotion, ``/`` on integers is true division to float64,
``reduce_mean`` of integers truncates, ``argmax`` returns int64.
"""

from __future__ import annotations

import builtins
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from tapeflow.framework.device import to_host
from tapeflow import _core
from tapeflow.autodiff import tape as _tape
from tapeflow.framework import dtypes, errors
from tapeflow.framework.tensor import Tensor, convert_to_tensor, override_operator, wrap
from tapeflow.ops._base import (MAX_FLOAT_INDEX, name_ops, binary, binary_operands, to_tensor, unary,
                                unbroadcast)

_C = _core


def reverse_operand(x: Any, other: Any) -> Tensor:
    """The left operand of a reflected operator (``1.5 * t``): converted strictly to the
    tensor's dtype, raising TypeError as TF does (``Cannot convert 1.5 to ...``)."""
    return convert_to_tensor(x, dtype=to_tensor(other).dtype)


# ---- elementwise unary -------------------------------------------------------------
negative = unary(_C.neg, "Neg", lambda x, y, dy: negative(dy), "-x (``tf.math.negative``).")
abs = unary(_C.abs, "Abs", lambda x, y, dy: multiply(dy, sign(x)),  # noqa: A001
            "|x| (``tf.math.abs``).")
sign = unary(_C.sign, "Sign", lambda x, y, dy: zeros_like(x),
             "-1, 0 or 1 by the sign of x; nan stays nan (``tf.math.sign``).")
square = unary(_C.square, "Square", lambda x, y, dy: multiply(dy, multiply(x, 2)),
               "x * x (``tf.math.square``).")
exp = unary(_C.exp, "Exp", lambda x, y, dy: multiply(dy, y), "e^x (``tf.math.exp``).")
log = unary(_C.log, "Log", lambda x, y, dy: truediv(dy, x), "ln x (``tf.math.log``).")
log1p = unary(_C.log1p, "Log1p", lambda x, y, dy: truediv(dy, add(x, 1)),
              "ln(1 + x), accurate near 0 (``tf.math.log1p``).")
expm1 = unary(_C.expm1, "Expm1", lambda x, y, dy: multiply(dy, add(y, 1)),
              "e^x - 1, accurate near 0 (``tf.math.expm1``).")
sqrt = unary(_C.sqrt, "Sqrt", lambda x, y, dy: sqrt_grad(y, dy),
             "Square root; its gradient at 0 is inf, as TF (``tf.math.sqrt``).")
rsqrt = unary(_C.rsqrt, "Rsqrt", lambda x, y, dy: rsqrt_grad(y, dy),
              "1 / sqrt(x) (``tf.math.rsqrt``).")
reciprocal = unary(_C.reciprocal, "Reciprocal", lambda x, y, dy: reciprocal_grad(y, dy),
                   "1 / x (``tf.math.reciprocal``).")
sin = unary(_C.sin, "Sin", lambda x, y, dy: multiply(dy, cos(x)), "sin x (``tf.math.sin``).")
cos = unary(_C.cos, "Cos", lambda x, y, dy: negative(multiply(dy, sin(x))),
            "cos x (``tf.math.cos``).")
tanh = unary(_C.tanh, "Tanh", lambda x, y, dy: multiply(dy, subtract(1, square(y))),
             "Hyperbolic tangent (``tf.math.tanh``).")
sigmoid = unary(_C.sigmoid, "Sigmoid",
                lambda x, y, dy: multiply(dy, multiply(y, subtract(1, y))),
                "Logistic function 1 / (1 + e^-x), overflow-free (``tf.math.sigmoid``).")
softplus = unary(_C.softplus, "Softplus", lambda x, y, dy: multiply(dy, sigmoid(x)),
                 "ln(1 + e^x), overflow-free (``tf.math.softplus``).")
log_sigmoid = unary(_C.log_sigmoid, "LogSigmoid",
                    lambda x, y, dy: multiply(dy, sigmoid(negative(x))),
                    "log(sigmoid(x)) = -softplus(-x), as TF computes it (``tf.math.log_sigmoid``).")
floor = unary(_C.floor, "Floor", None, "Largest integer <= x; no gradient, as TF.")
ceil = unary(_C.ceil, "Ceil", None, "Smallest integer >= x; no gradient, as TF.")
round = unary(_C.round, "Round", None,  # noqa: A001
              "Rounds half to even (``tf.math.round``); no gradient, as TF.")
logical_not = unary(_C.logical_not, "LogicalNot", None, "Elementwise NOT of bools.")
is_nan = unary(_C.isnan, "IsNan", None, "True where x is NaN (``tf.math.is_nan``).")
is_finite = unary(_C.isfinite, "IsFinite", None, "True where x is finite.")
erf = unary(_C.erf, "Erf",
            lambda x, y, dy: multiply(dy, multiply(exp(negative(square(x))), 1.1283791670955126)),
            "The error function (``tf.math.erf``).")


def is_inf(x: Any, name: Optional[str] = None) -> Tensor:
    """True where x is +-inf (``tf.math.is_inf``)."""
    x = to_tensor(x)
    return logical_and(logical_not(is_finite(x)), logical_not(is_nan(x)))


def invert(x: Any, name: Optional[str] = None) -> Tensor:
    """``~x``: logical NOT for bools, bitwise NOT (-x - 1) for integers, as TF."""
    x = to_tensor(x)
    if x.dtype.is_bool:
        return logical_not(x)
    if x.dtype.is_integer:
        return subtract(negative(x), 1)
    raise errors.InvalidArgumentError(
        None, None, f"Value for attr 'T' of {x.dtype.name} is not in the list of allowed "
        "values: int8, int16, int32, int64, uint8, uint16, uint32, uint64 [Op:Invert]")


bitwise_and = binary(_C.bitwise_and, "BitwiseAnd", None, None, "Bitwise AND of integers.")
bitwise_or = binary(_C.bitwise_or, "BitwiseOr", None, None, "Bitwise OR of integers.")
bitwise_xor = binary(_C.bitwise_xor, "BitwiseXor", None, None, "Bitwise XOR of integers.")


def _bool_or_bitwise(logical: Any, bitwise: Any) -> Any:
    def op(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
        x, y = binary_operands(x, y, "LogicalAnd")
        return bitwise(x, y) if x.dtype.is_integer else logical(x, y)

    return op


# ---- elementwise binary ------------------------------------------------------------
add = binary(_C.add, "AddV2", lambda x, y, z, dz: dz, lambda x, y, z, dz: dz,
             "x + y with broadcasting (``tf.math.add``).", strict=False)
subtract = binary(_C.sub, "Sub", lambda x, y, z, dz: dz, lambda x, y, z, dz: negative(dz),
                  "x - y with broadcasting (``tf.math.subtract``).")
multiply = binary(_C.mul, "Mul", lambda x, y, z, dz: multiply(dz, y),
                  lambda x, y, z, dz: multiply(dz, x),
                  "x * y with broadcasting (``tf.math.multiply``).")
_real_div = binary(_C.div, "RealDiv", lambda x, y, z, dz: _real_div(dz, y),
                   lambda x, y, z, dz: negative(multiply(dz, _real_div(z, y))),
                   "x / y on floats, truncating on integers (TF's Div/RealDiv).")
# TF's SqrtGrad / RsqrtGrad / ReciprocalGrad (y, dy): the three ops' gradients from their
# output, one fused pass each, and 0 wherever dy is 0 (so the unselected branch of
# ``where(x > 0, sqrt(x), 0)`` contributes 0, not 0 * inf = nan, at x <= 0, as in TF).
# Their own gradients are TF's _SqrtGradGrad, _RsqrtGradGrad and _ReciprocalGradGrad.
sqrt_grad = binary(_C.sqrt_grad, "SqrtGrad",
                   lambda y, dy, z, dz: negative(multiply(_real_div(dz, y), z)),
                   lambda y, dy, z, dz: multiply(_real_div(dz, y), 0.5),
                   "TF's SqrtGrad(y, dy): dy * 0.5 / y, 0 where dy is 0.", broadcast=False)
rsqrt_grad = binary(_C.rsqrt_grad, "RsqrtGrad",
                    lambda y, dy, z, dz: multiply(multiply(multiply(dz, -1.5), dy), square(y)),
                    lambda y, dy, z, dz: rsqrt_grad(y, dz),
                    "TF's RsqrtGrad(y, dy): -0.5 * dy * y^3, 0 where dy is 0.",
                    broadcast=False)
reciprocal_grad = binary(_C.reciprocal_grad, "ReciprocalGrad",
                         lambda y, dy, z, dz: multiply(multiply(multiply(dz, -2.0), dy), y),
                         lambda y, dy, z, dz: reciprocal_grad(y, dz),
                         "TF's ReciprocalGrad(y, dy): -dy * y^2, 0 where dy is 0.",
                         broadcast=False)
floordiv = binary(_C.floordiv, "FloorDiv", None, None,
                  "Floor division: floor(x / y) (``tf.math.floordiv``); no gradient.")
floormod = binary(_C.mod, "FloorMod", lambda x, y, z, dz: dz,
                  lambda x, y, z, dz: negative(multiply(dz, floordiv(x, y))),
                  "Remainder with the sign of y (``tf.math.floormod``, Python's %).")
mod = floormod
pow = binary(  # noqa: A001
    _C.pow, "Pow",
    lambda x, y, z, dz: multiply(dz, multiply(y, pow(x, subtract(y, 1)))),
    lambda x, y, z, dz: multiply(dz, multiply(z, where(greater(x, 0), log(
        where(greater(x, 0), x, ones_like(x))), zeros_like(x)))),
    "x ** y (``tf.math.pow``); integer x to a negative integer power is an error.")
maximum = binary(_C.maximum, "Maximum",
                 lambda x, y, z, dz: where(greater_equal(x, y), dz, zeros_like(dz)),
                 lambda x, y, z, dz: where(greater_equal(x, y), zeros_like(dz), dz),
                 "Elementwise max; NaN propagates; ties send the gradient to x, as TF.")
minimum = binary(_C.minimum, "Minimum",
                 lambda x, y, z, dz: where(less_equal(x, y), dz, zeros_like(dz)),
                 lambda x, y, z, dz: where(less_equal(x, y), zeros_like(dz), dz),
                 "Elementwise min; NaN propagates; ties send the gradient to x, as TF.")
equal = binary(_C.equal, "Equal", None, None, "x == y elementwise (bool).")
not_equal = binary(_C.not_equal, "NotEqual", None, None, "x != y elementwise (bool).")
less = binary(_C.less, "Less", None, None, "x < y elementwise (bool).")
less_equal = binary(_C.less_equal, "LessEqual", None, None, "x <= y elementwise (bool).")
greater = binary(_C.greater, "Greater", None, None, "x > y elementwise (bool).")
greater_equal = binary(_C.greater_equal, "GreaterEqual", None, None,
                       "x >= y elementwise (bool).")
logical_and = binary(_C.logical_and, "LogicalAnd", None, None, "Elementwise AND of bools.")
logical_or = binary(_C.logical_or, "LogicalOr", None, None, "Elementwise OR of bools.")


def logical_xor(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
    """Elementwise XOR of bools (``tf.math.logical_xor``)."""
    return logical_and(logical_or(x, y), logical_not(logical_and(x, y)))


# The & | ^ operators: logical for bools, bitwise for integers (as TF's).
and_ = _bool_or_bitwise(logical_and, bitwise_and)
or_ = _bool_or_bitwise(logical_or, bitwise_or)
xor_ = _bool_or_bitwise(logical_xor, bitwise_xor)


def truediv(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
    """``x / y``: integers are divided as float64, as TF's truediv (int32 / int32 ->
    float64); floats divide in their own dtype."""
    x, y = binary_operands(x, y, "RealDiv", strict=False)
    if x.dtype is not y.dtype:
        raise TypeError(f"`x` and `y` must have the same dtype, got {x.dtype!r} != {y.dtype!r}.")
    if x.dtype.is_integer:
        x, y = cast(x, dtypes.float64), cast(y, dtypes.float64)
    elif x.dtype.is_bool:
        raise TypeError("x and y must not be bool tensors for division")
    return _real_div(x, y)


divide = truediv


def div_no_nan(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
    """x / y, with 0 wherever y is 0 (``tf.math.divide_no_nan``)."""
    x, y = binary_operands(x, y, "DivNoNan")
    safe = where(equal(y, 0), ones_like(y), y)
    return where(equal(y, 0), zeros_like(truediv(x, safe)), truediv(x, safe))


divide_no_nan = div_no_nan


def squared_difference(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
    """(x - y)^2 (``tf.math.squared_difference``)."""
    return square(subtract(x, y))


def _tensor_compare(compare: Callable[..., Tensor], tf_name: str, unequal: bool) -> Any:
    """``x == y`` (``unequal`` False) or ``x != y`` as TF 2: elementwise, a Python bool
    against None, and a scalar tensor when the shapes cannot broadcast (not an error)."""
    def operator(x: Any, y: Any) -> Any:
        if y is None:
            return unequal
        x, y = binary_operands(x, y, tf_name)
        if not _broadcastable(x, y):
            return convert_to_tensor(unequal)
        return compare(x, y)

    return operator


tensor_equals = _tensor_compare(equal, "Equal", False)
tensor_not_equals = _tensor_compare(not_equal, "NotEqual", True)


def _broadcastable(x: Tensor, y: Tensor) -> bool:
    for a, b in zip(reversed(x._a.shape), reversed(y._a.shape)):
        if a != b and a != 1 and b != 1:
            return False
    return True


# ---- casts and selection --------------------------------------------------------------
def cast(x: Any, dtype: Any, name: Optional[str] = None) -> Tensor:
    """Converts x to dtype (``tf.cast``): float -> int truncates, nonzero -> True.
    Gradients flow between float dtypes only."""
    x = to_tensor(x)
    dt = dtypes.as_dtype(dtype)
    if x._a.dtype_index == dt._index:
        return x
    out = wrap(_C.cast(x._a, dt._core))
    if _tape.active and x._a.dtype_index <= MAX_FLOAT_INDEX and out._a.dtype_index <= MAX_FLOAT_INDEX:
        _tape.record("Cast", (x,), (out,))
    return out


@_tape.gradient("Cast")
def _cast_grad(inputs: Any, outputs: Any, dys: Any, needs: Any, attrs: Any) -> Tuple[Tensor]:
    return (cast(dys[0], inputs[0].dtype),)


def saturate_cast(value: Any, dtype: Any, name: Optional[str] = None) -> Tensor:
    """Cast that clips to the target range first (``tf.dtypes.saturate_cast``).

    The bounds are the values of the input dtype nearest the target's range from inside:
    float32 -> int32 clips to 2147483520 (2**31 - 1 rounds up to 2**31 in float32, which
    overflows), float64 -> float32 to +-3.4028235e38, int64 -> int32 to int32's range.
    Differs from TF 2.21 in one place: TF's float -> int64 overflows to INT64_MIN for
    values past 2**63 (its bound rounds up); here they saturate to the largest float
    below 2**63."""
    value = to_tensor(value)
    dt = dtypes.as_dtype(dtype)
    src = value.dtype
    if src.is_bool or dt.is_bool or (src.is_integer and dt.is_floating):
        return cast(value, dt)  # every value fits (int64 -> float32 rounds, as TF)
    lo, hi = _inner_bound(dt.min, src, -np.inf), _inner_bound(dt.max, src, np.inf)
    if lo > src.min:
        value = maximum(value, convert_to_tensor(lo, dtype=src))
    if hi < src.max:
        value = minimum(value, convert_to_tensor(hi, dtype=src))
    return cast(value, dt)


def _inner_bound(bound: Any, src: dtypes.DType, away: float) -> Any:
    """``bound`` in ``src``'s numpy type, moved one step toward 0 if rounding pushed it
    outside (away is the direction out of the range: -inf for a minimum)."""
    if src.is_integer:
        return builtins.max(builtins.min(int(bound), int(src.max)), int(src.min))
    with np.errstate(over="ignore"):
        v = np.array(bound, dtype=src._np)
    if np.isinf(v) or (float(v) > bound if away > 0 else float(v) < bound):  # exact compare
        v = np.nextafter(v, -away, dtype=src._np)
    return v.item()


def where(condition: Any, x: Any = None, y: Any = None, name: Optional[str] = None) -> Tensor:
    """``tf.where``: with x and y, picks x where condition else y (broadcasting); with
    neither, the int64 coordinates of True elements, shape (n, rank)."""
    condition = to_tensor(condition)
    if x is None and y is None:
        coords = np.argwhere(np.asarray(to_host(condition._a))).astype(np.int64)
        return convert_to_tensor(coords)
    if x is None or y is None:
        raise ValueError("x and y must both be None or both be given")
    if condition.dtype is not dtypes.bool:
        raise errors.InvalidArgumentError(
            None, None, f"condition must be bool, got {condition.dtype.name}")
    x, y = binary_operands(x, y, "SelectV2")
    out = wrap(_C.where(condition._a, x._a, y._a))
    if _tape.active and out._a.dtype_index <= MAX_FLOAT_INDEX:
        _tape.record("SelectV2", (condition, x, y), (out,))
    return out


@_tape.gradient("SelectV2")
def _select_grad(inputs: Any, outputs: Any, dys: Any, needs: Any, attrs: Any) -> Tuple[Any, ...]:
    (condition, x, y), dz = inputs, dys[0]
    zeros = zeros_like(dz)
    gx = unbroadcast(where(condition, dz, zeros), x._a.shape) if needs[1] else None
    gy = unbroadcast(where(condition, zeros, dz), y._a.shape) if needs[2] else None
    return None, gx, gy


def clip_by_value(t: Any, clip_value_min: Any, clip_value_max: Any,
                  name: Optional[str] = None) -> Tensor:
    """Clamps t to [min, max] (``tf.clip_by_value``); the gradient passes inside. As
    in TF, min(t, max) is taken first, so where min > max the result is min."""
    t = to_tensor(t)
    out = maximum(minimum(t, clip_value_max), clip_value_min)
    if out._a.shape != t._a.shape:  # bounds may broadcast to t, not beyond it
        raise ValueError(f"Shapes {t.shape} and {out.shape} are incompatible")
    return out


def add_n(inputs: Sequence[Any], name: Optional[str] = None) -> Tensor:
    """Sum of a list of same-shape tensors (``tf.math.add_n``)."""
    if not inputs:
        raise ValueError("inputs must be a non-empty list of tensors")
    out = to_tensor(inputs[0])
    for t in inputs[1:]:
        out = add(out, t)
    return out


def zeros_like(x: Any, dtype: Any = None, name: Optional[str] = None) -> Tensor:
    """Zeros of x's shape (``tf.zeros_like``)."""
    x = to_tensor(x)
    dt = dtypes.as_dtype(dtype) if dtype is not None else x.dtype
    return wrap(_C.full(x._a.shape, dt._core, 0.0))


def ones_like(x: Any, dtype: Any = None, name: Optional[str] = None) -> Tensor:
    """Ones of x's shape (``tf.ones_like``)."""
    x = to_tensor(x)
    dt = dtypes.as_dtype(dtype) if dtype is not None else x.dtype
    return wrap(_C.full(x._a.shape, dt._core, 1.0))


# ---- reductions -------------------------------------------------------------------
Axis = Union[None, int, Sequence[int], Tensor]


def _axes(axis: Axis, rank: int) -> Optional[List[int]]:
    """The reduction axes as a list (None: all), validated as TF does."""
    if axis is None:
        return None
    if isinstance(axis, Tensor) or hasattr(axis, "_as_tensor"):
        axis = to_tensor(axis).numpy().tolist()
    if isinstance(axis, (int, np.integer)):
        axis = [int(axis)]
    axes = [int(a) for a in axis]
    for a in axes:
        if not -rank <= a < rank:
            raise errors.InvalidArgumentError(
                None, None, f"Invalid reduction dimension ({a} for input with {rank} "
                f"dimension(s)")
    return axes


def _keep_shape(x: Tensor, axes: Optional[List[int]]) -> Tuple[int, ...]:
    """x's shape with the reduced axes set to 1 (the keepdims shape)."""
    shape = list(x._a.shape)
    for a in range(len(shape)) if axes is None else axes:
        shape[a % len(shape)] = 1
    return tuple(shape)


def _grad_to_input(dy: Tensor, x: Tensor, axes: Optional[List[int]]) -> Tensor:
    """A reduction's output gradient, reshaped to keepdims form and broadcast to x."""

    if dy._a.ndim == 0 or dy._a.ndim == x._a.ndim:  # full reduction, or keepdims
        return array_ops.broadcast_to(dy, x._a.shape)
    return array_ops.broadcast_to(array_ops.reshape(dy, _keep_shape(x, axes)), x._a.shape)


def _reduce(op: str, tf_name: str, grad: Any) -> Any:
    if grad is not None:  # attrs: the reduced axes (None: all)
        _tape.gradient(tf_name)(lambda inputs, outputs, dys, needs, axes: (
            grad(inputs[0], outputs[0], dys[0], axes),))

    def reduce_fn(input_tensor: Any, axis: Axis = None, keepdims: bool = False,
                  name: Optional[str] = None) -> Tensor:
        x = to_tensor(input_tensor)
        axes = _axes(axis, x._a.ndim)
        out = wrap(_C.reduce(op, x._a, axes, bool(keepdims)))
        if grad is not None and _tape.active and out._a.dtype_index <= MAX_FLOAT_INDEX:
            _tape.record(tf_name, (x,), (out,), None if axes is None else tuple(axes))
        return out

    return reduce_fn


def _max_grad(x: Tensor, y: Tensor, dy: Tensor, axes: Optional[List[int]]) -> Tensor:
    """TF's rule: the gradient is split evenly between all maximal (minimal) elements."""

    y_keep = array_ops.reshape(y, _keep_shape(x, axes))
    hits = cast(equal(x, y_keep), x.dtype)
    count = reduce_sum(hits, axes, keepdims=True)
    return multiply(truediv(hits, count), _grad_to_input(dy, x, axes))


def _prod_grad(x: Tensor, y: Tensor, dy: Tensor, axes: Optional[List[int]]) -> Tensor:
    """d prod / d x_i = product of the others, computed without dividing by zero."""

    is_zero = equal(x, 0)
    zeros_in = reduce_sum(cast(is_zero, x.dtype), axes, keepdims=True)
    nonzero_prod = reduce_prod(where(is_zero, ones_like(x), x), axes, keepdims=True)
    y_keep = array_ops.reshape(y, _keep_shape(x, axes))
    no_zero = truediv(y_keep, where(is_zero, ones_like(x), x))
    one_zero = where(logical_and(is_zero, equal(zeros_in, 1)),
                     array_ops.broadcast_to(nonzero_prod, x._a.shape), zeros_like(x))
    others = where(equal(zeros_in, 0), no_zero, one_zero)
    return multiply(others, _grad_to_input(dy, x, axes))


reduce_sum = _reduce("sum", "Sum", lambda x, y, dy, axes: _grad_to_input(dy, x, axes))
reduce_prod = _reduce("prod", "Prod", _prod_grad)
reduce_max = _reduce("max", "Max", _max_grad)
reduce_min = _reduce("min", "Min", _max_grad)
reduce_any = _reduce("any", "Any", None)
reduce_all = _reduce("all", "All", None)
reduce_logsumexp = _reduce(
    "logsumexp", "ReduceLogSumExp",
    lambda x, y, dy, axes: multiply(
        exp(subtract(x, _reshape_keep(y, x, axes))), _grad_to_input(dy, x, axes)))
reduce_sum.__doc__ = "Sum over axes (``tf.reduce_sum``); all axes when axis is None."
reduce_prod.__doc__ = "Product over axes (``tf.reduce_prod``)."
reduce_max.__doc__ = "Max over axes (``tf.reduce_max``); -inf for empty float axes, as TF."
reduce_min.__doc__ = "Min over axes (``tf.reduce_min``); +inf for empty float axes, as TF."
reduce_any.__doc__ = "Logical OR over axes of a bool tensor (``tf.reduce_any``)."
reduce_all.__doc__ = "Logical AND over axes of a bool tensor (``tf.reduce_all``)."
reduce_logsumexp.__doc__ = "log(sum(exp(x))) over axes, computed stably."


def _reshape_keep(y: Tensor, x: Tensor, axes: Optional[List[int]]) -> Tensor:

    return array_ops.reshape(y, _keep_shape(x, axes))


def reduce_mean(input_tensor: Any, axis: Axis = None, keepdims: bool = False,
                name: Optional[str] = None) -> Tensor:
    """Mean over axes (``tf.reduce_mean``); integer inputs truncate and stay integer."""
    x = to_tensor(input_tensor)
    axes = _axes(axis, x._a.ndim)
    out = wrap(_C.mean(x._a, axes, bool(keepdims)))
    if _tape.active and out._a.dtype_index <= MAX_FLOAT_INDEX:
        _tape.record("Mean", (x,), (out,), None if axes is None else tuple(axes))
    return out


@_tape.gradient("Mean")
def _mean_grad(inputs: Any, outputs: Any, dys: Any, needs: Any, axes: Any) -> Tuple[Tensor]:
    x, out = inputs[0], outputs[0]
    n = x._a.size // builtins.max(out._a.size, 1) if x._a.size else 1
    scale = 1.0 / builtins.max(n, 1)
    # Scale the reduced gradient, then broadcast (a view): the same numbers as scaling
    # the broadcast one, with one multiply per output element instead of per input.
    return (_grad_to_input(multiply(dys[0], scale), x, axes),)


def reduce_variance(input_tensor: Any, axis: Axis = None, keepdims: bool = False,
                    name: Optional[str] = None) -> Tensor:
    """Population variance over axes (``tf.math.reduce_variance``)."""
    x = to_tensor(input_tensor)
    m = reduce_mean(x, axis, keepdims=True)
    return reduce_mean(square(subtract(x, m)), axis, keepdims=keepdims)


def reduce_std(input_tensor: Any, axis: Axis = None, keepdims: bool = False,
               name: Optional[str] = None) -> Tensor:
    """Population standard deviation over axes (``tf.math.reduce_std``)."""
    return sqrt(reduce_variance(input_tensor, axis, keepdims))


def _arg(op: str) -> Any:
    def arg_fn(input: Any, axis: Optional[int] = None, output_type: Any = dtypes.int64,
               name: Optional[str] = None) -> Tensor:
        x = to_tensor(input)
        a = 0 if axis is None else int(to_tensor(axis).numpy()) if not isinstance(
            axis, (int, np.integer)) else int(axis)
        return wrap(getattr(_C, op)(x._a, a, dtypes.as_dtype(output_type)._core))

    arg_fn.__doc__ = f"Index of the {op[3:]} along axis (default 0), int64 (``tf.{op}``)."
    return arg_fn


argmax = _arg("argmax")
argmin = _arg("argmin")


def count_nonzero(input: Any, axis: Axis = None, keepdims: bool = False,
                  dtype: Any = dtypes.int64, name: Optional[str] = None) -> Tensor:
    """Number of nonzero elements over axes (``tf.math.count_nonzero``)."""
    x = to_tensor(input)
    return reduce_sum(cast(not_equal(x, zeros_like(x)), dtype), axis, keepdims)


# ---- matmul and friends -------------------------------------------------------------
def matmul(a: Any, b: Any, transpose_a: bool = False, transpose_b: bool = False,
           adjoint_a: bool = False, adjoint_b: bool = False, name: Optional[str] = None,
           **unused: Any) -> Tensor:
    """Matrix product of rank >= 2 tensors (``tf.linalg.matmul``), batch dims broadcast."""
    ta, tb = bool(transpose_a or adjoint_a), bool(transpose_b or adjoint_b)
    if type(a) is not Tensor or type(b) is not Tensor or \
            a._a.dtype_index != b._a.dtype_index:  # two Tensors of one dtype: as they are
        a, b = binary_operands(a, b, "MatMul", strict=False)
    out = wrap(_C.matmul(a._a, b._a, ta, tb))
    if _tape.active and out._a.dtype_index <= MAX_FLOAT_INDEX:
        _tape.record("MatMul", (a, b), (out,), (ta, tb))
    return out


@_tape.gradient("MatMul")
def _matmul_grad(inputs: Any, outputs: Any, dys: Any, needs: Any, attrs: Any) -> Tuple[Any, Any]:
    (a, b), (ta, tb), g = inputs, attrs, dys[0]
    ga = gb = None
    if needs[0]:  # TF's _MatMulGrad, by transposes
        ga = unbroadcast(matmul(b, g, transpose_a=tb, transpose_b=True) if ta else
                         matmul(g, b, transpose_b=not tb), a._a.shape)
    if needs[1]:
        gb = unbroadcast(matmul(g, a, transpose_a=True, transpose_b=ta) if tb else
                         matmul(a, g, transpose_a=not ta), b._a.shape)
    return ga, gb


def norm(tensor: Any, ord: Any = "euclidean", axis: Axis = None, keepdims: bool = False,
         name: Optional[str] = None) -> Tensor:
    """Vector norms (``tf.norm``): 'euclidean'/2, 1, inf, or any p > 0; over all
    elements when axis is None (matrix norms other than Frobenius are not supported)."""
    x = to_tensor(tensor)
    if ord in ("euclidean", "fro", 2, 2.0):
        return sqrt(reduce_sum(square(x), axis, keepdims))
    if ord in (1, 1.0):
        return reduce_sum(abs(x), axis, keepdims)
    if ord in (np.inf, "inf"):
        return reduce_max(abs(x), axis, keepdims)
    if isinstance(ord, (int, float)) and ord > 0:
        return pow(reduce_sum(pow(abs(x), float(ord)), axis, keepdims), 1.0 / ord)
    raise ValueError(f"'ord' must be a supported vector norm, got {ord}")


def l2_normalize(x: Any, axis: Axis = None, epsilon: float = 1e-12,
                 name: Optional[str] = None) -> Tensor:
    """x / sqrt(max(sum(x^2), epsilon)) (``tf.math.l2_normalize``)."""
    x = to_tensor(x)
    ss = reduce_sum(square(x), axis, keepdims=True)
    return multiply(x, rsqrt(maximum(ss, epsilon)))


# ---- scans -------------------------------------------------------------------------
_TF_TYPE_NAMES = {"float32": "float", "float64": "double"}


def _scan_axis(axis: Any, op_name: str) -> int:
    """A scan's axis as an int, read as TF reads it: bools count as ints and numpy
    floats truncate, but a Python float is a TypeError, and a non-integer or non-scalar
    tensor an InvalidArgumentError."""
    if isinstance(axis, (int, np.integer, np.bool_)):
        return int(axis)
    if isinstance(axis, float):
        convert_to_tensor(axis, dtype=dtypes.int32)  # raises TF's TypeError
    if isinstance(axis, (np.floating, np.ndarray)):
        axis = np.asarray(axis)
        axis = axis.astype(np.int32) if axis.dtype.kind in "fb" else axis
    t = to_tensor(axis)
    if t.dtype not in (dtypes.int32, dtypes.int64):
        name = _TF_TYPE_NAMES.get(t.dtype.name, t.dtype.name)
        raise errors.InvalidArgumentError(
            None, None, f"Value for attr 'Tidx' of {name} is not in the list of "
            f"allowed values: int32, int64 [Op:{op_name}]")
    if t._a.ndim != 0:
        raise errors.InvalidArgumentError(
            None, None, f"ScanOp: axis must be a scalar, not {list(t._a.shape)} "
            f"[Op:{op_name}]")
    return int(t.numpy())


def _scan(core_fn: Any, op_name: str, grad: Any) -> Any:
    _tape.gradient(op_name)(lambda inputs, outputs, dys, needs, attrs: (
        grad(inputs[0], outputs[0], dys[0], *attrs),))  # attrs: (axis, exclusive, reverse)

    def scan_fn(x: Any, axis: Any = 0, exclusive: bool = False, reverse: bool = False,
                name: Optional[str] = None) -> Tensor:
        x = to_tensor(x)
        ax, ex, rev = _scan_axis(axis, op_name), bool(exclusive), bool(reverse)
        out = wrap(core_fn(x._a, ax, ex, rev))
        if _tape.active and out._a.dtype_index <= MAX_FLOAT_INDEX:
            _tape.record(op_name, (x,), (out,), (ax, ex, rev))
        return out

    return scan_fn


def _cumprod_grad(x: Tensor, y: Tensor, dy: Tensor, axis: int, exclusive: bool,
                  reverse: bool) -> Tensor:
    """TF's rule: cumsum(y * dy) the other way, divided by x; 0 where x == 0 (TF's
    div_no_nan), whatever the true derivative there."""
    return div_no_nan(cumsum(multiply(y, dy), axis, exclusive, not reverse), x)


def _cumulative_logsumexp_grad(x: Tensor, y: Tensor, dy: Tensor, axis: int,
                               exclusive: bool, reverse: bool) -> Tensor:
    """TF's rule: the positive and negative parts of dy in log space (dtype.min where
    a part is empty), scanned the other way, times exp(x)."""
    lowest = convert_to_tensor(dy.dtype.min, dtype=dy.dtype)

    def part(mask: Tensor, mag: Tensor) -> Tensor:
        # log of 1 off the mask: the same values as TF, and no NaN in higher orders.
        log_mag = where(mask, log(where(mask, mag, ones_like(mag))), lowest)
        return exp(add(cumulative_logsumexp(subtract(log_mag, y), axis, exclusive,
                                            not reverse), x))

    return subtract(part(greater(dy, 0), dy), part(less(dy, 0), negative(dy)))


cumsum = _scan(_C.cumsum, "Cumsum", lambda x, y, dy, axis, exclusive, reverse: cumsum(
    dy, axis, exclusive, not reverse))
cumprod = _scan(_C.cumprod, "Cumprod", _cumprod_grad)
cumulative_logsumexp = _scan(_C.cumulative_logsumexp, "CumulativeLogsumexp",
                             _cumulative_logsumexp_grad)
cumsum.__doc__ = """Cumulative sum along ``axis`` (``tf.math.cumsum``): float, int32,
    int64; ``exclusive`` starts at 0, ``reverse`` sums from the end. A sequential scan
    in the input dtype, as TF's kernel (so inf stays inf, and O(n) memory)."""
cumprod.__doc__ = """Cumulative product along ``axis`` (``tf.math.cumprod``): float,
    int32, int64; ``exclusive`` starts at 1, ``reverse`` multiplies from the end."""
cumulative_logsumexp.__doc__ = """log(cumsum(exp(x))) along ``axis``, computed stably
    (``tf.math.cumulative_logsumexp``), float only; ``exclusive`` starts at -inf."""


def einsum(equation: str, *inputs: Any, **kwargs: Any) -> Tensor:
    """``tf.einsum`` for one or two operands without repeated indices in one operand
    (covers transposes, sums, matmuls, batch matmuls, outer and inner products)."""

    eq = equation.replace(" ", "")
    if "->" in eq:
        lhs, out_idx = eq.split("->")
    else:
        lhs = eq
        counts: dict = {}
        for c in lhs.replace(",", ""):
            counts[c] = counts.get(c, 0) + 1
        out_idx = "".join(sorted(c for c, k in counts.items() if k == 1))
    specs = lhs.split(",")
    if len(specs) != len(inputs) or len(specs) not in (1, 2) or "." in eq:
        raise ValueError(f"einsum supports one or two operands without ellipses: {equation}")
    ts = [to_tensor(t) for t in inputs]
    for spec, t in zip(specs, ts):
        if len(set(spec)) != len(spec) or len(spec) != t._a.ndim:
            raise ValueError(f"einsum: bad subscripts '{spec}' for shape {t.shape}")

    def reduce_only(spec: str, t: Tensor, keep: str) -> Tuple[str, Tensor]:
        drop = [i for i, c in enumerate(spec) if c not in keep]
        if drop:
            t = reduce_sum(t, drop)
            spec = "".join(c for c in spec if c in keep)
        return spec, t

    if len(ts) == 1:
        spec, t = reduce_only(specs[0], ts[0], out_idx)
        return array_ops.transpose(t, [spec.index(c) for c in out_idx])
    (sa, sb), (ta, tb) = specs, ts
    sa, ta = reduce_only(sa, ta, sb + out_idx)
    sb, tb = reduce_only(sb, tb, sa + out_idx)
    batch = [c for c in sa if c in sb and c in out_idx]
    contract = [c for c in sa if c in sb and c not in out_idx]
    free_a = [c for c in sa if c not in sb]
    free_b = [c for c in sb if c not in sa]
    dims = {c: ta._a.shape[i] for i, c in enumerate(sa)}
    dims.update({c: tb._a.shape[i] for i, c in enumerate(sb)})

    def size(cs: List[str]) -> int:
        return int(np.prod([dims[c] for c in cs])) if cs else 1

    a3 = array_ops.reshape(array_ops.transpose(ta, [sa.index(c) for c in batch + free_a + contract]),
                           (size(batch), size(free_a), size(contract)))
    b3 = array_ops.reshape(array_ops.transpose(tb, [sb.index(c) for c in batch + contract + free_b]),
                           (size(batch), size(contract), size(free_b)))
    out = array_ops.reshape(matmul(a3, b3), [dims[c] for c in batch + free_a + free_b])
    order = batch + free_a + free_b
    return array_ops.transpose(out, [order.index(c) for c in out_idx])

# Bound last: array_ops imports this module (the functions above use it at call time).
from tapeflow.ops import array_ops  # noqa: E402


# ---- Tensor's operators: each one of the ops above, installed here once --------------
def _reflected(op: Callable[..., Tensor], name: str) -> Callable[[Any, Any], Tensor]:
    def reflected(self: Any, x: Any) -> Tensor:
        return op(reverse_operand(x, self), self)

    reflected.__name__ = reflected.__qualname__ = name
    return reflected


_OPERATORS: Dict[str, Callable[..., Any]] = {
    "__neg__": negative, "__abs__": abs, "__invert__": invert,
    "__lt__": less, "__le__": less_equal, "__gt__": greater, "__ge__": greater_equal,
    "__eq__": tensor_equals, "__ne__": tensor_not_equals}
for _name, _op in (("add", add), ("sub", subtract), ("mul", multiply), ("truediv", truediv),
                   ("floordiv", floordiv), ("mod", floormod), ("pow", pow),
                   ("matmul", matmul), ("and", and_), ("or", or_), ("xor", xor_)):
    _OPERATORS[f"__{_name}__"] = _op
    _OPERATORS[f"__r{_name}__"] = _reflected(_op, f"__r{_name}__")
for _name, _op in _OPERATORS.items():
    override_operator(_name, _op)
# On Tensor itself, the arithmetic and comparison operators first try a native path for
# two Tensors of one dtype (or a Tensor and a Python number), recording on active tapes as
# the ops do, and call the operators above otherwise.
_C._install_fast_operators(Tensor, _tape.active, _OPERATORS)

name_ops(globals())
