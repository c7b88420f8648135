"""The elementwise ops, one spec line each: what every test of them reads.

A line names the core op (csrc/opdefs/op_list.h), the public function, a numpy reference,
the dtypes and input domain of the forward test (test_core_elementwise: any shape, dtype
and layout against numpy), the inputs of the gradient test (test_gradients: finite
differences in float64; its second-order and graph-vs-eager tests reuse those cases),
and what the GPU test (test_gpu) needs: whether device results may differ in the last
bits (transcendental functions) and whether inputs must be positive. Adding an op with a
gradient is one line here, its op-list line, and its Python line (op + derivative).
Binary ops (below) the same way: forward tests, and for the differentiable ones the
gradient test of the public function on broadcasting pairs (operators, Python scalars
and other forms stay as extra cases in test_gradients). Reductions (last) too:
the core forward and property tests, the GPU test, and the gradient test of the public
function over axis and keepdims variants.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional, Tuple

import numpy as np

import tapeflow as tf
from tapeflow.ops import math_ops, nn_ops
from core_utils import (ALL, BOOL, FLOATS, INTS, NUMERIC, REAL, Domain,
                        flush_denormals as _ftz, trunc_div)

NAN, INF = float("nan"), float("inf")
SPECIALS = (NAN, INF, -INF, -0.0)
POSITIVE = Domain(0.0, 1e4)
ROUNDING = Domain(-20, 20, extra=tuple(k / 4 for k in range(-20, 21)))
WITH_SPECIALS = Domain(extra=SPECIALS)


def _relu(x: np.ndarray) -> np.ndarray:
    return np.where(x < 0, np.zeros_like(x), x)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


_erf = np.vectorize(math.erf, otypes=[np.float64])

# Gradient-test inputs: (maker in test_gradients, its keyword arguments).
Grad = Tuple[str, Dict[str, Any]]


@dataclass(frozen=True)
class UnaryOp:
    name: str                 # the core op (op_list.h), also the test ids
    public: Callable          # the public function the gradient test differentiates
    ref: Callable             # numpy reference; float32 inputs are upcast to float64 first
    dtypes: tuple
    domain: Domain = REAL     # forward-test inputs
    grad: Optional[Grad] = None  # gradient-test inputs (None: no gradient, as TF)
    transcendental: bool = False  # a GPU may differ from the CPU in the last bits
    positive: bool = False    # the GPU test feeds positive inputs only


def _normal(scale: float = 1.0) -> Grad:
    return ("normal", {"scale": scale})


UNARY_OPS = [
    UnaryOp("neg", tf.negative, np.negative, NUMERIC, grad=_normal()),
    UnaryOp("abs", tf.abs, np.abs, NUMERIC, grad=("nonzero", {})),
    UnaryOp("sign", tf.sign, np.sign, NUMERIC, grad=("nonzero", {})),
    UnaryOp("square", tf.square, np.square, NUMERIC, grad=_normal()),
    UnaryOp("relu", tf.nn.relu, _relu, NUMERIC, grad=("nonzero", {})),
    UnaryOp("relu6", tf.nn.relu6, lambda x: np.where(x > 6, np.full_like(x, 6), _relu(x)),
            NUMERIC, Domain(-10, 10, int_lo=-10, int_hi=10, extra=(0.0, 6.0, NAN, INF, -INF)),
            grad=("away", {"points": (0.0, 6.0), "gap": 0.2, "lo": -3.0, "hi": 9.0})),
    UnaryOp("exp", tf.exp, np.exp, FLOATS, grad=_normal(), transcendental=True),
    UnaryOp("log", tf.math.log, np.log, FLOATS, POSITIVE,
            grad=("positive", {"lo": 0.2, "hi": 3.0}), transcendental=True, positive=True),
    UnaryOp("log1p", tf.math.log1p, np.log1p, FLOATS, Domain(-1.0, 1e4),
            grad=("positive", {"lo": -0.7, "hi": 3.0}), transcendental=True, positive=True),
    UnaryOp("expm1", tf.math.expm1, np.expm1, FLOATS, grad=_normal(), transcendental=True),
    UnaryOp("sqrt", tf.sqrt, np.sqrt, FLOATS, POSITIVE,
            grad=("positive", {"lo": 0.2, "hi": 3.0}), transcendental=True, positive=True),
    UnaryOp("rsqrt", tf.math.rsqrt, lambda x: 1 / np.sqrt(x), FLOATS, POSITIVE,
            grad=("positive", {"lo": 0.3, "hi": 3.0}), transcendental=True, positive=True),
    UnaryOp("reciprocal", tf.math.reciprocal, np.reciprocal, FLOATS, Domain(-1e4, 1e4),
            grad=("nonzero", {}), transcendental=True),
    UnaryOp("sin", tf.sin, np.sin, FLOATS, grad=_normal(2.0), transcendental=True),
    UnaryOp("cos", tf.cos, np.cos, FLOATS, grad=_normal(2.0), transcendental=True),
    UnaryOp("tanh", tf.tanh, np.tanh, FLOATS, grad=_normal(), transcendental=True),
    UnaryOp("sigmoid", tf.sigmoid, _sigmoid, FLOATS, grad=_normal(), transcendental=True),
    UnaryOp("softplus", tf.math.softplus, lambda x: np.logaddexp(0, x), FLOATS,
            grad=_normal(3.0), transcendental=True),
    UnaryOp("log_sigmoid", tf.math.log_sigmoid, lambda x: -np.logaddexp(0, -x), FLOATS,
            grad=_normal(3.0), transcendental=True),
    UnaryOp("floor", tf.floor, np.floor, FLOATS, ROUNDING),
    UnaryOp("ceil", tf.math.ceil, np.ceil, FLOATS, ROUNDING),
    UnaryOp("round", tf.round, np.rint, FLOATS, ROUNDING),  # tf.round: half to even
    UnaryOp("erf", tf.math.erf, _erf, FLOATS, Domain(-6, 6), grad=("nonzero", {}),
            transcendental=True),
    UnaryOp("logical_not", tf.math.logical_not, np.logical_not, BOOL),
    UnaryOp("isnan", tf.math.is_nan, np.isnan, FLOATS, WITH_SPECIALS),
    UnaryOp("isfinite", tf.math.is_finite, np.isfinite, FLOATS, WITH_SPECIALS),
]
UNARY_BY_NAME = {s.name: s for s in UNARY_OPS}


# ---- binary ops ---------------------------------------------------------------------
def _div(a, b):
    """tf.math.truediv for floats; C truncating division for ints (TF's Div)."""
    return trunc_div(a, b) if a.dtype.kind == "i" else np.true_divide(a, b)


def _floordiv(a, b):
    """TF's FloorDiv: floor(a / b) for floats (not numpy's floor_divide)."""
    with np.errstate(all="ignore"):
        # (a / b flushed first, as the kernel: floordiv(-2.2e-308, 3.0) is -0.0, not -1)
        return np.floor_divide(a, b) if a.dtype.kind == "i" else np.floor(_ftz(a / b))


def _floormod(a, b):
    """TF's FloorMod: fmod, then shifted by b when the signs of r and b differ."""
    with np.errstate(all="ignore"):
        if a.dtype.kind == "i":
            return np.remainder(a, b)
        r = np.fmod(a, b)
        return np.where((r != 0) & ((r < 0) != (b < 0)), r + b, r)


def _unless_zero(dy, value):
    return np.where(dy == 0, np.zeros_like(value), value)


@dataclass(frozen=True)
class BinaryOp:
    name: str                 # the core op (op_list.h)
    ref: Callable             # numpy reference, evaluated in the operands' own dtype
    dtypes: tuple
    a: Domain = REAL
    b: Domain = REAL
    public: Optional[Callable] = None  # the public function the gradient test differentiates
    # Gradient-test inputs: the makers (test_gradients) of the two operands, or
    # "separated" for a pair kept apart (maximum/minimum switch where they meet).
    grad: Optional[Tuple[str, str]] = None


NONZERO_INT = Domain(extra=SPECIALS, int_nonzero=True)
# A coarse grid (and few ints) so that comparisons see many ties.
TIES = Domain(-2, 2, step=0.5, int_lo=-3, int_hi=3, extra=SPECIALS)

BINARY_OPS = [
    BinaryOp("add", np.add, NUMERIC, WITH_SPECIALS, WITH_SPECIALS, tf.add, ("normal", "normal")),
    BinaryOp("sub", np.subtract, NUMERIC, WITH_SPECIALS, WITH_SPECIALS, tf.subtract,
             ("normal", "normal")),
    BinaryOp("mul", np.multiply, NUMERIC, WITH_SPECIALS, WITH_SPECIALS, tf.multiply,
             ("normal", "normal")),
    BinaryOp("div", _div, NUMERIC, WITH_SPECIALS, NONZERO_INT, tf.truediv, ("normal", "nonzero")),
    BinaryOp("floordiv", _floordiv, NUMERIC, WITH_SPECIALS, NONZERO_INT, public=tf.math.floordiv),
    BinaryOp("mod", _floormod, NUMERIC, WITH_SPECIALS, NONZERO_INT, public=tf.math.floormod),
    BinaryOp(
        "pow",
        np.power,
        NUMERIC,
        Domain(-4, 4, step=0.25, int_lo=-20, int_hi=20),
        Domain(-3, 3, step=0.5, int_lo=0, int_hi=40),
        tf.pow,
        ("positive", "normal"),
    ),
    BinaryOp("maximum", np.maximum, NUMERIC, TIES, TIES, tf.maximum, ("separated", "separated")),
    BinaryOp("minimum", np.minimum, NUMERIC, TIES, TIES, tf.minimum, ("separated", "separated")),
    BinaryOp("equal", np.equal, ALL, TIES, TIES, public=tf.equal),
    BinaryOp("not_equal", np.not_equal, ALL, TIES, TIES, public=tf.not_equal),
    BinaryOp("less", np.less, ALL, TIES, TIES, public=tf.less),
    BinaryOp("less_equal", np.less_equal, ALL, TIES, TIES, public=tf.less_equal),
    BinaryOp("greater", np.greater, ALL, TIES, TIES, public=tf.greater),
    BinaryOp("greater_equal", np.greater_equal, ALL, TIES, TIES, public=tf.greater_equal),
    BinaryOp("logical_and", np.logical_and, BOOL, public=tf.math.logical_and),
    BinaryOp("logical_or", np.logical_or, BOOL, public=tf.math.logical_or),
    BinaryOp("bitwise_and", np.bitwise_and, INTS, public=tf.math.bitwise_and),
    BinaryOp("bitwise_or", np.bitwise_or, INTS, public=tf.math.bitwise_or),
    BinaryOp("bitwise_xor", np.bitwise_xor, INTS, public=tf.math.bitwise_xor),
    # TF's ReluGrad(gradients, features): the gradient where the feature is > 0, else 0
    BinaryOp("relu_grad", lambda dy, x: np.where(x > 0, dy, np.zeros_like(dy)), NUMERIC,
           WITH_SPECIALS, TIES, public=nn_ops.relu_grad),
    BinaryOp("relu6_grad", lambda dy, x: np.where((x > 0) & (x < 6), dy, np.zeros_like(dy)),
           NUMERIC, WITH_SPECIALS, Domain(-2, 8, step=0.5, int_lo=-2, int_hi=8, extra=SPECIALS),
           public=nn_ops.relu6_grad),
    # TF's SqrtGrad / RsqrtGrad / ReciprocalGrad (y, dy): 0 wherever dy is 0, even where
    # y is 0 or inf (TF's kernels check dy first).
    # (Intermediates flushed as the kernels flush them: rsqrt_grad(1.9e-22, inf) is NaN,
    # y * y being subnormal, as in TF.)
    BinaryOp("sqrt_grad", lambda y, dy: _unless_zero(dy, _ftz(dy * 0.5) / y), FLOATS,
           WITH_SPECIALS, TIES, public=math_ops.sqrt_grad),
    BinaryOp("rsqrt_grad",
             lambda y, dy: _unless_zero(dy, _ftz(-0.5 * _ftz(dy * y)) * _ftz(y * y)),
             FLOATS, WITH_SPECIALS, TIES, public=math_ops.rsqrt_grad),
    BinaryOp("reciprocal_grad", lambda y, dy: _unless_zero(dy, _ftz(-y * y) * dy), FLOATS,
           WITH_SPECIALS, TIES, public=math_ops.reciprocal_grad),
]


# ---- reductions ---------------------------------------------------------------------
def _lowest(dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _highest(dtype):
    return np.inf if dtype.kind == "f" else np.iinfo(dtype).max


def logsumexp_ref(x: np.ndarray, axis, keepdims: bool) -> np.ndarray:
    """Stable log(sum(exp(x))) in float64; all -inf (or empty) gives -inf."""
    x = x.astype(np.float64)
    m = np.max(x, axis=axis, keepdims=True, initial=-np.inf)
    shift = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(x - shift), axis=axis, keepdims=True)) + shift
    return out if keepdims else np.squeeze(out, axis=axis)


@dataclass(frozen=True)
class ReduceOp:
    name: str                 # the core reduction (_core.reduce's op name)
    public: Callable          # tf.reduce_*
    # numpy reference(x, axis, keepdims), computed in float64 for floats and in the input
    # dtype (wrapping) for ints
    ref: Callable
    dtypes: tuple
    domain: Domain            # forward-test inputs
    grad: Optional[str] = None  # gradient-test input maker (None: no gradient, as TF)


REDUCE_OPS = [
    ReduceOp("sum", tf.reduce_sum, np.sum, NUMERIC, Domain(-10, 10), "normal"),
    ReduceOp("prod", tf.reduce_prod, np.prod, NUMERIC, Domain(-1.1, 1.1), "prod_domain"),
    ReduceOp("max", tf.reduce_max,
             lambda x, axis, keepdims: np.max(x, axis=axis, keepdims=keepdims,
                                              initial=_lowest(x.dtype)),
             NUMERIC, Domain(extra=(-INF,)), "distinct"),
    ReduceOp("min", tf.reduce_min,
             lambda x, axis, keepdims: np.min(x, axis=axis, keepdims=keepdims,
                                              initial=_highest(x.dtype)),
             NUMERIC, Domain(extra=(INF,)), "distinct"),
    ReduceOp("any", tf.reduce_any, np.any, BOOL, Domain()),
    ReduceOp("all", tf.reduce_all, np.all, BOOL, Domain()),
    ReduceOp("logsumexp", tf.reduce_logsumexp, logsumexp_ref, FLOATS, Domain(extra=(-INF,)),
             "normal"),
]

