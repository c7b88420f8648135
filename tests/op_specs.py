"""The elementwise unary ops, one spec line each: what every test of them reads.

A line names the core op (csrc/opdefs/op_list.h), the public function, a numpy reference,
the dtypes and input domain of the forward test (test_core_elementwise: any shape, dtype
and layout against numpy), the inputs of the gradient test (test_gradients: finite
differences in float64; its second-order and graph-vs-eager tests reuse those cases),
and what the GPU test (test_gpu) needs: whether device results may differ in the last
bits (transcendental functions) and whether inputs must be positive. Adding an op with a
gradient is one line here, its op-list line, and its Python line (op + derivative).
Binary ops and reductions still keep their own lists (test_core_elementwise,
test_core_reductions).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional, Tuple

import numpy as np

import tapeflow as tf
from core_utils import BOOL, FLOATS, NUMERIC, REAL, Domain

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
