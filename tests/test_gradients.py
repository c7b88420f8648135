"""Finite-difference checks of tapeflow's gradients, op by op (issue #4).

One spec list (``CASES``) drives everything: each ``Case`` names an op (and a variant),
gives a function of tapeflow tensors, an input generator (shapes and value domain,
from a seeded numpy Generator) and which arguments are differentiable. For every case,

    loss(x) = sum_i reduce_sum(op(x)_i * w_i)        (w_i fixed random weights)

is differentiated with ``tf.GradientTape`` and compared with central differences of the
same loss computed by tapeflow's own forward pass, in float64. Inputs keep away from the
points where an op is not differentiable (ties of max/min, 0 for abs/relu, bounds of
clip_by_value, ...). Elementwise binary ops run on several random shape pairs, including
broadcasting ones. ``SECOND_ORDER`` checks Hessian-vector products from nested tapes
against central differences of the first gradient.

Adding a differentiable op to tapeflow means adding a line to ``CASES``;
``test_spec_covers_issue_coverage_list`` names any op of the issue's list left out.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any, Callable, List, Sequence, Tuple

from numpy.random import Generator

import numpy as np
import pytest

import tapeflow as tf
from tapeflow import _core
from core_utils import native_and_python
from op_specs import BINARY_OPS, REDUCE_OPS, UNARY_OPS

EPS = 1e-6
RTOL = 1e-5
ATOL = 1e-6

Inputs = List[Any]


@dataclass(frozen=True)
class Case:
    """One op (variant) to check. ``make(rng, seed)`` returns the inputs: float64 numpy
    arrays (converted to tf.float64 constants), other numpy arrays (converted to
    constants of their dtype) or plain Python values (passed as they are)."""

    name: str  # "op/variant"; the part before "/" is the op it covers
    fn: Callable[..., Any]
    make: Callable[[Generator, int], Inputs]
    diff: Tuple[int, ...] = (0,)
    seeds: int = 1
    eps: float = EPS
    rtol: float = RTOL
    atol: float = ATOL


# ---- input domains -----------------------------------------------------------------


def rand_shape(rng: Generator, min_rank: int = 0, max_rank: int = 3,
               lo: int = 1, hi: int = 3) -> Tuple[int, ...]:
    rank = int(rng.integers(min_rank, max_rank + 1))
    return tuple(int(d) for d in rng.integers(lo, hi + 1, size=rank))


def normal(rng: Generator, shape: Sequence[int], scale: float = 1.0) -> np.ndarray:
    x = rng.uniform(-2.0, 2.0, size=tuple(shape)) * scale
    return np.asarray(x, dtype=np.float64)


def positive(rng: Generator, shape: Sequence[int], lo: float = 0.5,
             hi: float = 2.0) -> np.ndarray:
    return np.asarray(rng.uniform(lo, hi, size=tuple(shape)), dtype=np.float64)


def away(rng: Generator, shape: Sequence[int], points: Sequence[float] = (0.0,),
         gap: float = 0.2, lo: float = -2.0, hi: float = 2.0) -> np.ndarray:
    """Uniform in [lo, hi], at least `gap` from each of `points` (kinks of the op)."""
    x = np.asarray(rng.uniform(lo, hi, size=tuple(shape)), dtype=np.float64)
    for _ in range(1000):
        bad = np.zeros(x.shape, dtype=bool)
        for p in points:
            bad |= np.abs(x - p) < gap
        if not bad.any():
            return x
        x[bad] = rng.uniform(lo, hi, size=int(bad.sum()))
    raise AssertionError("could not sample away from the kinks")


def distinct(rng: Generator, shape: Sequence[int], spacing: float = 0.3) -> np.ndarray:
    """Values pairwise at least ~spacing apart (no ties for max/min), random order."""
    n = int(np.prod(shape, dtype=np.int64))
    vals = (rng.permutation(n) - n / 2) * spacing + rng.uniform(0, spacing / 4, size=n)
    return vals.reshape(tuple(shape)).astype(np.float64)


def distinct_abs(rng: Generator, shape: Sequence[int]) -> np.ndarray:
    """Distinct nonzero absolute values with random signs (for inf-norms)."""
    x = np.abs(distinct(rng, shape)) + 0.2
    return x * rng.choice([-1.0, 1.0], size=x.shape)


FIXED_PAIRS = [((3, 1), (1, 4)), ((), (2, 3)), ((2, 3, 4), (4,)), ((2, 1, 3), (4, 1))]


def broadcast_pair(rng: Generator, seed: int) -> Tuple[Tuple[int, ...], ...]:
    """Two broadcast-compatible shapes: seed 0 equal shapes, 1-4 fixed broadcasting
    pairs (outer, scalar, trailing, both-sided), then random broadcasting pairs."""
    if seed == 0:
        s = rand_shape(rng, 1, 3, 2, 3)
        return s, s
    if seed <= len(FIXED_PAIRS):
        return FIXED_PAIRS[seed - 1]
    out = [int(d) for d in rng.integers(2, 4, size=int(rng.integers(1, 4)))]

    def operand() -> Tuple[int, ...]:
        dims = [1 if rng.random() < 0.4 else d for d in out]
        return tuple(dims[int(rng.integers(0, len(dims) + 1)):])

    a, b = operand(), operand()
    if a == tuple(out) and b == tuple(out):
        b = b[1:]
    return a, b


def separated_pair(rng: Generator, sa: Sequence[int], sb: Sequence[int],
                   gap: float = 0.1) -> Tuple[np.ndarray, np.ndarray]:
    """x, y with |x - y| >= gap everywhere after broadcasting (no ties)."""
    for _ in range(1000):
        x, y = normal(rng, sa), normal(rng, sb)
        bx, by = np.broadcast_arrays(x, y)
        if np.all(np.abs(bx - by) >= gap):
            return x, y
    raise AssertionError("could not sample a separated pair")


def softmax_rows(rng: Generator, shape: Sequence[int]) -> np.ndarray:
    e = np.exp(rng.uniform(-1, 1, size=tuple(shape)))
    return e / e.sum(axis=-1, keepdims=True)


# ---- generators shared by many cases -------------------------------------------------


def unary_in(domain: Callable[..., np.ndarray], **kw: Any) -> Callable[..., Inputs]:
    return lambda rng, seed: [domain(rng, rand_shape(rng), **kw)]


def binary_in(da: Callable[..., np.ndarray] = normal,
              db: Callable[..., np.ndarray] = normal) -> Callable[..., Inputs]:
    def make(rng: Generator, seed: int) -> Inputs:
        sa, sb = broadcast_pair(rng, seed)
        return [da(rng, sa), db(rng, sb)]

    return make


def separated_in(rng: Generator, seed: int) -> Inputs:
    return list(separated_pair(rng, *broadcast_pair(rng, seed)))


def fixed(*shapes: Sequence[int],
          domain: Callable[..., np.ndarray] = normal) -> Callable[..., Inputs]:
    return lambda rng, seed: [domain(rng, s) for s in shapes]


def nonzero(rng: Generator, shape: Sequence[int]) -> np.ndarray:
    return away(rng, shape, (0.0,), 0.3)


def prod_domain(rng: Generator, shape: Sequence[int]) -> np.ndarray:
    return np.asarray(rng.uniform(0.5, 1.5, size=tuple(shape))
                      * rng.choice([-1.0, 1.0], size=tuple(shape)), dtype=np.float64)


def with_zeros(count: int) -> Callable[..., np.ndarray]:
    """prod inputs of shape (2, 3, 4) with `count` exact zeros in slice [0, :, 1]
    (reduced by axis=1) and one zero elsewhere in other slices."""
    def domain(rng: Generator, shape: Sequence[int]) -> np.ndarray:
        x = prod_domain(rng, shape)
        for i in range(count):
            x[0, i, 1] = 0.0
        x[1, 2, 3] = 0.0
        return x

    return domain


def floormod_in(rng: Generator, seed: int) -> Inputs:
    """x, y with y > 0 and x / y well inside (k, k + 1): away from the jumps."""
    shape = rand_shape(rng, 1, 2, 2, 3)
    y = positive(rng, shape)
    q = rng.integers(-3, 3, size=shape) + rng.uniform(0.2, 0.8, size=shape)
    return [q * y, y]


def where_in(rng: Generator, seed: int) -> Inputs:
    sa, sb = broadcast_pair(rng, seed)
    out = np.broadcast_shapes(sa, sb)
    cond = rng.random(out) < 0.5
    return [cond, normal(rng, sa), normal(rng, sb)]


# ---- the spec list -------------------------------------------------------------------

m, nn = tf.math, tf.nn
from tapeflow.ops import conv_ops, nn_ops  # noqa: E402  (fused conv and batch-norm ops)

CASES: List[Case] = []


def add(*cases: Case) -> None:
    CASES.extend(cases)


def rng_inputs(*makers: Callable[[Generator], Any]) -> Callable[..., Inputs]:
    """Inputs from one function of the Generator per argument."""
    return lambda rng, seed: [mk(rng) for mk in makers]


def const(value: Any) -> Callable[[Generator], Any]:
    return lambda rng: np.asarray(value)


P2 = (0, 1)
P3 = (0, 1, 2)

# arithmetic: the differentiable binary core ops from tests/op_specs.py (the public
# function on broadcasting pairs), then operators, Python scalars and other forms
BIN_SEEDS = 1 + len(FIXED_PAIRS) + 2
DIV_IN = binary_in(normal, nonzero)
_BIN_MAKERS = {"normal": normal, "positive": positive, "nonzero": nonzero}


def _spec_pair(spec: Any) -> Callable[..., Inputs]:
    if spec.grad == ("separated", "separated"):
        return separated_in
    return binary_in(*(_BIN_MAKERS[g] for g in spec.grad))


add(*[Case(f"{s.name}/fn", s.public, _spec_pair(s), P2, BIN_SEEDS)
      for s in BINARY_OPS if s.grad is not None])
add(
    Case("add/operator", lambda x, y: x + y, binary_in(), P2, BIN_SEEDS),
    Case("add/python_scalar", lambda x: 2.5 + x + 1.0, unary_in(normal)),
    Case("subtract/operator", lambda x, y: x - y, binary_in(), P2, BIN_SEEDS),
    Case("subtract/rsub", lambda x: 1.5 - x, unary_in(normal)),
    Case("multiply/operator", lambda x, y: x * y, binary_in(), P2, BIN_SEEDS),
    Case("multiply/same_tensor", lambda x: x * x * x, unary_in(normal)),
    Case("divide/fn", tf.divide, DIV_IN, P2, BIN_SEEDS),
    Case("truediv/operator", lambda x, y: x / y, DIV_IN, P2, BIN_SEEDS),
    Case("truediv/rdiv", lambda x: 2.0 / x, unary_in(nonzero)),
    Case("negative/operator", lambda x: -x, unary_in(normal)),
    Case("add_n/three", lambda a, b, c: tf.add_n([a, b, c]),
         fixed((2, 3), (2, 3), (2, 3)), P3),
    Case("squared_difference/fn", m.squared_difference, binary_in(), P2, BIN_SEEDS),
    Case("floormod/fn", m.floormod, floormod_in, P2, 2),
)

# pow: both arguments (base > 0), scalar exponents, operators
POW_IN = binary_in(positive, normal)
add(
    Case("pow/operator", lambda x, y: x ** y, POW_IN, P2, BIN_SEEDS),
    Case("pow/int_exponent", lambda x: x ** 3, unary_in(normal)),
    Case("pow/sqrt_exponent", lambda x: tf.pow(x, 0.5), unary_in(positive)),
    Case("pow/negative_exponent", lambda x: tf.pow(x, -1.5), unary_in(positive)),
    Case("pow/rpow", lambda y: 2.0 ** y, unary_in(normal)),
    Case("pow/const_base", lambda y: tf.pow(tf.constant(1.7, tf.float64), y),
         unary_in(normal)),
)

# matmul: transposes, batches with broadcast batch dims
add(
    Case("matmul/plain", tf.matmul, fixed((3, 4), (4, 2)), P2),
    Case("matmul/transpose_a", lambda a, b: tf.matmul(a, b, transpose_a=True),
         fixed((4, 3), (4, 2)), P2),
    Case("matmul/transpose_b", lambda a, b: tf.matmul(a, b, transpose_b=True),
         fixed((3, 4), (2, 4)), P2),
    Case("matmul/transpose_both",
         lambda a, b: tf.matmul(a, b, transpose_a=True, transpose_b=True),
         fixed((4, 3), (2, 4)), P2),
    Case("matmul/batched", tf.matmul, fixed((2, 3, 4), (2, 4, 2)), P2),
    Case("matmul/batch_broadcast", tf.matmul, fixed((2, 1, 3, 4), (3, 4, 2)), P2),
    Case("matmul/batch_broadcast_transposed",
         lambda a, b: tf.matmul(a, b, transpose_a=True, transpose_b=True),
         fixed((2, 1, 4, 3), (3, 2, 4)), P2),
    Case("matmul/matrix_times_batch", tf.matmul, fixed((3, 4), (2, 4, 2)), P2),
    Case("matmul/batch_times_matrix", tf.matmul, fixed((2, 3, 4), (4, 2)), P2),
    Case("matmul/linalg", lambda a, b: tf.linalg.matmul(a, b, transpose_b=True),
         fixed((2, 3), (4, 3)), P2),
    Case("matmul/operator", lambda a, b: a @ b, fixed((1, 3), (3, 3)), P2),
    Case("matmul/same_operand", lambda a: tf.matmul(a, a, transpose_b=True),
         fixed((3, 2))),
)

# convolutions and pools (ops/conv_ops.py): both operands, strides, padding, dilation,
# groups, the transposed convolution (its rule runs the other two), and the pools (max
# pool on distinct values, so every window's argmax is clear of finite-difference steps)
add(
    Case("conv2d/valid", lambda x, w: nn.conv2d(x, w, 1, "VALID"),
         fixed((2, 5, 4, 3), (2, 3, 3, 2)), P2),
    Case("conv2d/same_strided", lambda x, w: nn.conv2d(x, w, 2, "SAME"),
         fixed((1, 5, 6, 2), (3, 3, 2, 3)), P2),
    Case("conv2d/dilated_explicit",
         lambda x, w: nn.conv2d(x, w, 1, [[0, 0], [1, 0], [0, 2], [0, 0]], dilations=2),
         fixed((1, 5, 5, 2), (2, 2, 2, 2)), P2),
    Case("conv_bias_act/relu", lambda x, w, b: conv_ops._conv_bias_act(
        x, w, b, ((1, 1), (1, 1), (1, 0), (0, 1)), True),
        fixed((2, 4, 4, 2), (2, 2, 2, 3), (3,), domain=distinct), P3),
    Case("conv_bias_act/linear", lambda x, w, b: conv_ops._conv_bias_act(
        x, w, b, ((2,), (1,), (1,), (1,)), False), fixed((1, 6, 2), (3, 2, 2), (2,)), P3),
    Case("fused_batch_norm/nhwc", lambda x, g, b: nn_ops._fused_batch_norm(x, g, b, 1e-3)[0],
         fixed((2, 3, 2, 3), (3,), (3,)), P3),
    Case("fused_batch_norm/rows", lambda x, g, b: nn_ops._fused_batch_norm(x, g, b, 0.5)[0],
         fixed((5, 2), (2,), (2,)), P3),
    Case("conv2d/grouped", lambda x, w: nn.conv2d(x, w, 1, "SAME"),
         fixed((1, 4, 4, 4), (3, 3, 2, 4)), P2),
    Case("conv2d/nchw", lambda x, w: nn.conv2d(x, w, 1, "SAME", data_format="NCHW"),
         fixed((1, 2, 4, 3), (3, 3, 2, 2)), P2),
    Case("conv1d/causal_like", lambda x, w: nn.conv1d(x, w, 1, [[0, 0], [2, 0], [0, 0]]),
         fixed((2, 6, 2), (3, 2, 3)), P2),
    Case("conv3d/same", lambda x, w: nn.conv3d(x, w, [1, 1, 2, 1, 1], "SAME"),
         fixed((1, 3, 4, 3, 2), (2, 2, 2, 2, 2)), P2),
    Case("depthwise_conv2d/multiplier", lambda x, w: nn.depthwise_conv2d(
        x, w, [1, 1, 1, 1], "SAME"), fixed((1, 4, 4, 2), (3, 3, 2, 2)), P2),
    Case("conv2d_transpose/strided", lambda x, w: nn.conv2d_transpose(
        x, w, [1, 6, 6, 2], 2, "SAME"), fixed((1, 3, 3, 3), (3, 3, 2, 3)), P2),
    Case("max_pool2d/valid", lambda x: nn.max_pool2d(x, 2, 2, "VALID"),
         fixed((2, 4, 5, 3), domain=distinct)),
    Case("max_pool2d/same_overlapping", lambda x: nn.max_pool2d(x, 3, 2, "SAME"),
         fixed((1, 5, 5, 2), domain=distinct)),
    Case("avg_pool2d/same", lambda x: nn.avg_pool2d(x, 3, 2, "SAME"), fixed((1, 5, 4, 2))),
    Case("avg_pool1d/valid", lambda x: nn.avg_pool1d(x, 2, 1, "VALID"), fixed((2, 5, 3))),
    Case("max_pool3d/valid", lambda x: nn.max_pool3d(x, 2, 2, "VALID"),
         fixed((1, 4, 4, 2, 2), domain=distinct)),
)

# reductions with axis / keepdims variants: the differentiable core reductions from
# tests/op_specs.py, then the composite ones
_REDUCE_MAKERS = {"normal": normal, "distinct": distinct, "prod_domain": prod_domain}
REDUCTIONS = {f"reduce_{s.name}": (s.public, _REDUCE_MAKERS[s.grad])
              for s in REDUCE_OPS if s.grad is not None}
REDUCTIONS.update({
    "reduce_mean": (tf.reduce_mean, normal),
    "reduce_variance": (m.reduce_variance, normal),
    "reduce_std": (m.reduce_std, normal),
})
AXIS_VARIANTS = {
    "all": dict(),
    "all_keepdims": dict(keepdims=True),
    "axis1": dict(axis=1),
    "axis_neg1_keepdims": dict(axis=-1, keepdims=True),
    "axes02": dict(axis=[0, 2]),
    "axes12_keepdims": dict(axis=(1, 2), keepdims=True),
}
for _op, (_fn, _dom) in REDUCTIONS.items():
    for _var, _kw in AXIS_VARIANTS.items():
        add(Case(f"{_op}/{_var}", lambda x, _fn=_fn, _kw=_kw: _fn(x, **_kw),
                 lambda rng, seed, _dom=_dom: [_dom(rng, rand_shape(rng, 3, 3, 2, 4))]))
add(
    Case("reduce_sum/vector", tf.reduce_sum, fixed((5,))),
    Case("reduce_sum/tensor_axis", lambda x: tf.reduce_sum(x, axis=tf.constant(1)),
         fixed((2, 3))),
    Case("reduce_mean/size1_axis", lambda x: tf.reduce_mean(x, axis=1),
         fixed((3, 1, 2))),
    Case("reduce_max/size1_axis", lambda x: tf.reduce_max(x, axis=0),
         fixed((1, 4), domain=distinct)),
    Case("reduce_max/axis0_matrix", lambda x: tf.reduce_max(x, axis=0),
         fixed((4, 3), domain=distinct)),
    Case("reduce_prod/one_zero", lambda x: tf.reduce_prod(x, axis=1),
         fixed((2, 3, 4), domain=with_zeros(1))),
    Case("reduce_prod/two_zeros", lambda x: tf.reduce_prod(x, axis=1),
         fixed((2, 3, 4), domain=with_zeros(2))),
    Case("reduce_prod/zeros_all_axes", lambda x: tf.reduce_prod(x[:, :2, :2]),
         fixed((2, 3, 4), domain=with_zeros(1))),
    Case("reduce_prod/zeros_keepdims",
         lambda x: tf.reduce_prod(x, axis=[1, 2], keepdims=True),
         fixed((2, 3, 4), domain=with_zeros(1))),
)

# shapes, joining, splitting, gathering, slicing
add(
    Case("reshape/matrix", lambda x: tf.reshape(x, (6, 4)), fixed((2, 3, 4))),
    Case("reshape/infer", lambda x: tf.reshape(x, [-1, 2, 1]), fixed((2, 3, 2))),
    Case("reshape/chain", lambda x: tf.reshape(tf.reshape(x, [3, 4]) * 2.0, [12]),
         fixed((2, 6))),
    Case("transpose/default", tf.transpose, fixed((2, 3, 4))),
    Case("transpose/perm", lambda x: tf.transpose(x, [1, 2, 0]), fixed((2, 3, 4))),
    Case("transpose/matrix_then_mul", lambda x, y: tf.transpose(x) * y,
         fixed((3, 2), (2, 3)), P2),
    Case("expand_dims/axis0", lambda x: tf.expand_dims(x, 0), fixed((2, 3))),
    Case("expand_dims/axis_neg1", lambda x, y: tf.expand_dims(x, -1) * y,
         fixed((2, 3), (1, 4)), P2),
    Case("squeeze/all", tf.squeeze, fixed((1, 3, 1, 2))),
    Case("squeeze/axis", lambda x: tf.squeeze(x, axis=2), fixed((1, 3, 1, 2))),
    Case("broadcast_to/fn", lambda x: tf.broadcast_to(x, (2, 3, 4)), fixed((3, 1))),
    Case("identity/fn", tf.identity, unary_in(normal)),
    Case("concat/axis0", lambda a, b: tf.concat([a, b], 0), fixed((2, 3), (1, 3)), P2),
    Case("concat/axis1_three", lambda a, b, c: tf.concat([a, b, c], axis=1),
         fixed((2, 1, 2), (2, 3, 2), (2, 2, 2)), P3),
    Case("concat/axis_neg1_repeated", lambda a: tf.concat([a, a * 2.0, a], -1),
         fixed((2, 3))),
    Case("stack/axis0", lambda a, b, c: tf.stack([a, b, c]),
         fixed((2, 3), (2, 3), (2, 3)), P3),
    Case("stack/axis1", lambda a, b: tf.stack([a, b], axis=1),
         fixed((2, 3), (2, 3)), P2),
    Case("stack/scalars", lambda a, b: tf.stack([a, b, a]), fixed((), ()), P2),
    Case("stack/axis_neg1", lambda a, b: tf.stack([a, b], axis=-1),
         fixed((4,), (4,)), P2),
    Case("unstack/axis0", tf.unstack, fixed((3, 2))),
    Case("unstack/axis1", lambda x: tf.unstack(x, axis=1), fixed((2, 3, 2))),
    Case("unstack/vector", tf.unstack, fixed((4,))),
    Case("unstack/partial_use", lambda x: tf.unstack(x)[1], fixed((3, 2))),
    Case("split/num", lambda x: tf.split(x, 3, axis=1), fixed((2, 6))),
    Case("split/sizes", lambda x: tf.split(x, [1, 3, 2], axis=-1), fixed((2, 2, 6))),
    Case("split/sizes_infer", lambda x: tf.split(x, [2, -1], axis=0), fixed((5, 2))),
    Case("split/partial_use", lambda x: tf.split(x, 2)[0], fixed((4, 3))),
    Case("tile/fn", lambda x: tf.tile(x, [2, 1, 3]), fixed((2, 3, 1))),
    Case("tile/matrix", lambda x: tf.tile(x, [3, 2]), fixed((1, 2))),
    Case("pad/constant", lambda x: tf.pad(x, [[1, 0], [2, 1]]), fixed((2, 3))),
    Case("pad/constant_values",
         lambda x: tf.pad(x, [[0, 2], [1, 1], [0, 0]], constant_values=1.5),
         fixed((2, 2, 2))),
    Case("pad/reflect", lambda x: tf.pad(x, [[1, 1], [2, 0]], mode="REFLECT"),
         fixed((3, 3))),
    Case("pad/symmetric", lambda x: tf.pad(x, [[1, 2], [0, 1]], mode="SYMMETRIC"),
         fixed((3, 2))),
    Case("gather/repeated", lambda x: tf.gather(x, [2, 0, 2, 2, 1]), fixed((4, 3))),
    Case("gather/axis1_repeated", lambda x: tf.gather(x, [1, 1, 0], axis=1),
         fixed((2, 3, 2))),
    Case("gather/axis_neg1", lambda x: tf.gather(x, [0, 2, 0], axis=-1), fixed((2, 3))),
    Case("gather/indices_2d", lambda x: tf.gather(x, [[0, 3], [3, 3]]), fixed((4, 2))),
    Case("gather/tensor_indices", lambda x, i: tf.gather(x, i),
         rng_inputs(lambda r: normal(r, (5,)),
                    lambda r: r.integers(0, 5, size=8).astype(np.int32))),
    Case("repeat/axis0", lambda x: tf.repeat(x, 2, axis=0), fixed((2, 3))),
    Case("slice/rows_reversed", lambda x: x[1:, ::-1], fixed((3, 4))),
    Case("slice/ellipsis_index", lambda x: x[..., 0], fixed((2, 3, 2))),
    Case("slice/newaxis", lambda x: x[None], fixed((2, 3))),
    Case("slice/newaxis_middle", lambda x: x[:, tf.newaxis, 1:], fixed((2, 3))),
    Case("slice/column", lambda x: x[:, 1], fixed((3, 4))),
    Case("slice/step2_negative", lambda x: x[::2, -1:0:-2], fixed((5, 6))),
    Case("slice/scalar_element", lambda x: x[1, 2], fixed((3, 4))),
    Case("slice/negative_index", lambda x: x[-1], fixed((3, 4))),
    Case("slice/ellipsis_newaxis_index", lambda x: x[..., None, 1], fixed((2, 3, 2))),
    Case("slice/overlapping_reads", lambda x: x[1:] * x[:-1], fixed((5,))),
    Case("boolean_mask/vector", tf.boolean_mask,
         rng_inputs(lambda r: normal(r, (6,)),
                    const([True, False, True, True, False, True]))),
    Case("boolean_mask/rows", tf.boolean_mask,
         rng_inputs(lambda r: normal(r, (4, 3)), const([True, False, True, True]))),
    Case("boolean_mask/matrix_mask", tf.boolean_mask,
         rng_inputs(lambda r: normal(r, (3, 2, 2)),
                    const([[True, False], [True, True], [False, True]]))),
    Case("boolean_mask/axis1", lambda x, mk: tf.boolean_mask(x, mk, axis=1),
         rng_inputs(lambda r: normal(r, (2, 4)), const([False, True, True, False]))),
    Case("boolean_mask/none_selected", lambda x, mk: tf.boolean_mask(x, mk) * 2.0,
         rng_inputs(lambda r: normal(r, (3,)), const([False, False, False]))),
    Case("boolean_mask/indexing", lambda x, mk: x[mk],
         rng_inputs(lambda r: normal(r, (5,)),
                    const([True, True, False, False, True]))),
)

# selection and clipping
add(
    Case("where/broadcast", tf.where, where_in, (1, 2), BIN_SEEDS),
    Case("where/computed_condition", lambda x: tf.where(x > 0.0, x * x, -x),
         unary_in(nonzero)),
    Case("clip_by_value/scalars", lambda x: tf.clip_by_value(x, -1.0, 1.0),
         unary_in(away, points=(-1.0, 1.0), gap=0.1)),
    Case("clip_by_value/tensor_bounds",
         lambda x: tf.clip_by_value(x, tf.constant([-1.0, 0.0, -0.5], tf.float64),
                                    tf.constant(1.0, tf.float64)),
         rng_inputs(lambda r: away(r, (4, 3), (-1.0, 0.0, -0.5, 1.0), 0.1))),
    Case("maximum/scalar", lambda x: tf.maximum(x, 0.3),
         unary_in(away, points=(0.3,), gap=0.1)),
    Case("minimum/scalar", lambda x: tf.minimum(x, -0.3),
         unary_in(away, points=(-0.3,), gap=0.1)),
)

# elementwise unary math, random shapes (rank 0-3): the core ops from tests/op_specs.py
# (one spec line per op), then other public forms and composite activations
UN_SEEDS = 2
_MAKERS = {"normal": normal, "positive": positive, "nonzero": nonzero, "away": away}
add(*[Case(f"{s.name}/fn", s.public, unary_in(_MAKERS[s.grad[0]], **s.grad[1]),
           seeds=UN_SEEDS) for s in UNARY_OPS if s.grad is not None])
add(
    Case("abs/builtin", lambda x: abs(x), unary_in(nonzero), seeds=UN_SEEDS),
    Case("sigmoid/nn", nn.sigmoid, unary_in(normal, scale=3.0)),
    Case("softplus/nn", nn.softplus, unary_in(normal)),
    Case("elu/fn", nn.elu, unary_in(nonzero)),
    Case("selu/fn", nn.selu, unary_in(nonzero)),
    Case("leaky_relu/fn", lambda x: nn.leaky_relu(x, alpha=0.1), unary_in(nonzero)),
    Case("silu/fn", nn.silu, unary_in(normal)),
    Case("gelu/exact", nn.gelu, unary_in(nonzero)),
    Case("gelu/approximate", lambda x: nn.gelu(x, approximate=True), unary_in(normal)),
    Case("l2_normalize/axis", lambda x: m.l2_normalize(x, axis=-1), fixed((3, 4))),
    Case("l2_loss/fn", nn.l2_loss, fixed((3, 2))),
)


def sigmoid_ce(z: Any, x: Any) -> Any:
    return nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x)


def softmax_ce(z: Any, x: Any) -> Any:
    return nn.softmax_cross_entropy_with_logits(labels=z, logits=x)


def sparse_ce(y: Any, x: Any) -> Any:
    return nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=x)


# softmax family and cross-entropies
add(
    Case("softmax/last_axis", nn.softmax, fixed((3, 4))),
    Case("softmax/axis0", lambda x: nn.softmax(x, axis=0),
         rng_inputs(lambda r: normal(r, (3, 4), scale=3.0))),
    Case("softmax/vector", nn.softmax, fixed((5,))),
    Case("log_softmax/last_axis", nn.log_softmax, fixed((3, 4))),
    Case("log_softmax/axis1_rank3", lambda x: nn.log_softmax(x, axis=1),
         fixed((2, 3, 2))),
    Case("reduce_logsumexp/large_values", lambda x: tf.reduce_logsumexp(x, axis=-1),
         rng_inputs(lambda r: normal(r, (2, 3)) + 50.0)),
    Case("sigmoid_cross_entropy_with_logits/logits", sigmoid_ce,
         rng_inputs(lambda r: r.uniform(0, 1, size=(3, 4)),
                    lambda r: normal(r, (3, 4), scale=3.0)), (1,)),
    Case("sigmoid_cross_entropy_with_logits/binary_labels", sigmoid_ce,
         rng_inputs(lambda r: r.integers(0, 2, size=(5,)).astype(np.float64),
                    lambda r: nonzero(r, (5,))), (1,)),
    Case("sigmoid_cross_entropy_with_logits/labels_and_logits", sigmoid_ce,
         rng_inputs(lambda r: r.uniform(0, 1, size=(2, 3)),
                    lambda r: nonzero(r, (2, 3))), P2),
    Case("softmax_cross_entropy_with_logits/logits", softmax_ce,
         rng_inputs(lambda r: softmax_rows(r, (3, 4)), lambda r: normal(r, (3, 4))),
         (1,)),
    Case("softmax_cross_entropy_with_logits/labels_and_logits", softmax_ce,
         rng_inputs(lambda r: softmax_rows(r, (2, 3)), lambda r: normal(r, (2, 3))),
         P2),
    Case("softmax_cross_entropy_with_logits/one_hot_vector", softmax_ce,
         rng_inputs(const([0.0, 1.0, 0.0]), lambda r: normal(r, (3,))), (1,)),
    Case("sparse_softmax_cross_entropy_with_logits/int32", sparse_ce,
         rng_inputs(lambda r: np.array([0, 3, 1], dtype=np.int32),
                    lambda r: normal(r, (3, 4))), (1,)),
    Case("sparse_softmax_cross_entropy_with_logits/int64_rank2", sparse_ce,
         rng_inputs(lambda r: np.array([[2, 2], [0, 1]], dtype=np.int64),
                    lambda r: normal(r, (2, 2, 3))), (1,)),
)

# casts between float types (the float32 leg limits the finite differences' precision)
F32_TOL = dict(eps=1e-2, rtol=1e-3, atol=1e-3)
add(
    Case("cast/f64_f32_f64",
         lambda x: tf.cast(tf.square(tf.cast(x, tf.float32)), tf.float64),
         fixed((2, 3)), **F32_TOL),
    Case("cast/f64_to_f64", lambda x: tf.cast(x, tf.float64) * 2.0, fixed((3,))),
    Case("cast/via_float32_linear",
         lambda x: tf.cast(tf.cast(x, tf.float32) * 3.0, tf.float64),
         fixed((4,)), **F32_TOL),
)

# norms, einsum, cumsum
add(
    Case("norm/euclidean", tf.norm, fixed((3, 4))),
    Case("norm/axis_keepdims", lambda x: tf.norm(x, axis=1, keepdims=True),
         fixed((3, 4))),
    Case("norm/ord1", lambda x: tf.norm(x, ord=1, axis=-1),
         fixed((2, 3), domain=nonzero)),
    Case("norm/ord_inf", lambda x: tf.norm(x, ord=np.inf),
         fixed((2, 3), domain=distinct_abs)),
    Case("norm/ord3", lambda x: tf.norm(x, ord=3), fixed((4,), domain=nonzero)),
    Case("norm/linalg", lambda x: tf.linalg.norm(x, axis=0), fixed((3, 2))),
    Case("einsum/matmul", lambda a, b: tf.einsum("ij,jk->ik", a, b),
         fixed((2, 3), (3, 4)), P2),
    Case("einsum/batch_matmul", lambda a, b: tf.einsum("bij,bjk->bik", a, b),
         fixed((2, 3, 4), (2, 4, 2)), P2),
    Case("einsum/transpose", lambda a: tf.einsum("ij->ji", a), fixed((2, 3))),
    Case("einsum/dot", lambda a, b: tf.einsum("i,i->", a, b), fixed((5,), (5,)), P2),
    Case("einsum/outer", lambda a, b: tf.einsum("i,j->ij", a, b),
         fixed((3,), (2,)), P2),
    Case("einsum/implicit_output", lambda a, b: tf.einsum("ij,jk", a, b),
         fixed((2, 3), (3, 2)), P2),
    Case("einsum/sum_all", lambda a: tf.einsum("ij->", a), fixed((2, 3))),
    Case("einsum/linalg", lambda a, b: tf.linalg.einsum("ij,kj->ik", a, b),
         fixed((2, 3), (4, 3)), P2),
    Case("cumsum/axis0", tf.cumsum, fixed((4, 3))),
    Case("cumsum/vector", m.cumsum, fixed((5,))),
    Case("cumsum/axis1_exclusive", lambda x: tf.cumsum(x, axis=1, exclusive=True),
         fixed((2, 4, 2))),
    Case("cumsum/reverse", lambda x: tf.cumsum(x, axis=-1, reverse=True),
         fixed((3, 4))),
    Case("cumsum/exclusive_reverse",
         lambda x: tf.cumsum(x, exclusive=True, reverse=True), fixed((4,))),
    Case("cumprod/axis0", tf.math.cumprod, fixed((4, 3), domain=prod_domain)),
    Case("cumprod/axis1_exclusive",
         lambda x: tf.math.cumprod(x, axis=1, exclusive=True),
         fixed((2, 4, 2), domain=prod_domain)),
    Case("cumprod/reverse", lambda x: tf.math.cumprod(x, axis=-1, reverse=True),
         fixed((3, 4), domain=prod_domain)),
    Case("cumprod/exclusive_reverse",
         lambda x: tf.math.cumprod(x, exclusive=True, reverse=True),
         fixed((5,), domain=prod_domain)),
    Case("cumulative_logsumexp/axis0", tf.math.cumulative_logsumexp, fixed((4, 3))),
    # Exclusive outputs start at -inf: exp keeps the weighted loss finite.
    Case("cumulative_logsumexp/axis1_exclusive",
         lambda x: tf.exp(tf.math.cumulative_logsumexp(x, axis=1, exclusive=True)),
         fixed((2, 4, 2))),
    Case("cumulative_logsumexp/reverse",
         lambda x: tf.math.cumulative_logsumexp(x, axis=-1, reverse=True), fixed((3, 4))),
    Case("cumulative_logsumexp/exclusive_reverse",
         lambda x: tf.exp(tf.math.cumulative_logsumexp(x, exclusive=True, reverse=True)),
         fixed((5,))),
)


def _dense_softmax_ce(x: Any, w: Any, b: Any, z: Any) -> Any:
    hidden = tf.tanh(tf.matmul(x, w) + b)
    return softmax_ce(z, tf.matmul(hidden, w, transpose_b=True))


# compositions (a small network and loss, as in a training step)
add(
    Case("mlp/dense_tanh_softmax_ce", _dense_softmax_ce,
         rng_inputs(lambda r: normal(r, (4, 3)), lambda r: normal(r, (3, 5), 0.5),
                    lambda r: normal(r, (5,)), lambda r: softmax_rows(r, (4, 3))), P3),
    Case("mlp/square_loss",
         lambda x, w, b, y: tf.reduce_mean(tf.square(y - (x @ w + b))),
         rng_inputs(lambda r: normal(r, (6, 2)), lambda r: normal(r, (2, 1)),
                    lambda r: normal(r, (1,)), lambda r: normal(r, (6, 1))), (1, 2)),
)

# The issue's coverage list: every name must have at least one case.
COVERAGE = """
    add subtract multiply divide truediv pow matmul
    reduce_sum reduce_mean reduce_max reduce_min reduce_prod reduce_logsumexp
    reshape transpose expand_dims squeeze concat stack unstack split tile pad gather
    slice boolean_mask where clip_by_value maximum minimum
    abs exp log sqrt tanh sigmoid relu softplus square rsqrt reciprocal sin cos log1p
    expm1 softmax log_softmax sigmoid_cross_entropy_with_logits
    softmax_cross_entropy_with_logits sparse_softmax_cross_entropy_with_logits
    cast norm einsum cumsum
""".split()


# ---- machinery ----------------------------------------------------------------------


def _rng(name: str, seed: int) -> Generator:
    return np.random.default_rng([zlib.crc32(name.encode()), seed])


def _as_args(inputs: Inputs) -> List[Any]:
    return [tf.constant(a) if isinstance(a, np.ndarray) else a for a in inputs]


def _outputs(y: Any) -> List[Any]:
    return list(y) if isinstance(y, (list, tuple)) else [y]


def _weighted_sum(outs: List[Any], weights: List[np.ndarray]) -> Any:
    total = None
    for o, w in zip(outs, weights):
        term = tf.reduce_sum(o * tf.constant(w))
        total = term if total is None else total + term
    return total


def _loss_value(fn: Callable[..., Any], inputs: Inputs,
                weights: List[np.ndarray]) -> float:
    return float(_weighted_sum(_outputs(fn(*_as_args(inputs))), weights).numpy())


def numeric_gradient(fn: Callable[..., Any], inputs: Inputs, weights: List[np.ndarray],
                     k: int, eps: float) -> np.ndarray:
    """Central differences of the weighted loss w.r.t. inputs[k], by tapeflow's own
    forward pass."""
    x = inputs[k]
    grad = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        vals = []
        for step in (eps, -eps):
            xp = x.copy()
            xp[idx] += step
            pert = list(inputs)
            pert[k] = xp
            vals.append(_loss_value(fn, pert, weights))
        grad[idx] = (vals[0] - vals[1]) / (2 * eps)
    return grad


def tape_gradient(fn: Callable[..., Any], inputs: Inputs, weights: List[np.ndarray],
                  diff: Sequence[int]) -> List[Any]:
    args = _as_args(inputs)
    with tf.GradientTape() as tape:
        for k in diff:
            tape.watch(args[k])
        loss = _weighted_sum(_outputs(fn(*args)), weights)
    return tape.gradient(loss, [args[k] for k in diff])


def _params() -> List[Any]:
    return [pytest.param(c, s, id=f"{c.name}-{s}")
            for c in CASES for s in range(c.seeds)]


@pytest.mark.parametrize("case,seed", _params())
def test_gradient_matches_finite_differences(case: Case, seed: int) -> None:
    rng = _rng(case.name, seed)
    inputs = case.make(rng, seed)
    for k in case.diff:
        assert isinstance(inputs[k], np.ndarray) and inputs[k].dtype == np.float64
    outs = _outputs(case.fn(*_as_args(inputs)))
    for o in outs:
        assert o.dtype == tf.float64, f"{case.name}: output dtype {o.dtype}"
    weights = [rng.standard_normal(tuple(o.shape)) for o in outs]

    grads = tape_gradient(case.fn, inputs, weights, case.diff)
    assert len(grads) == len(case.diff)
    for k, g in zip(case.diff, grads):
        x = inputs[k]
        assert g is not None, f"{case.name}: no gradient for argument {k}"
        g = tf.convert_to_tensor(g)  # (TF itself gives IndexedSlices for gather)
        assert g.dtype == tf.float64, f"{case.name}: gradient dtype {g.dtype}"
        assert tuple(g.shape) == x.shape, \
            f"{case.name}: gradient shape {g.shape} != {x.shape}"
        expected = numeric_gradient(case.fn, inputs, weights, k, case.eps)
        np.testing.assert_allclose(
            g.numpy(), expected, rtol=case.rtol, atol=case.atol,
            err_msg=f"{case.name} (seed {seed}): d/d arg{k}, shapes "
                    f"{[getattr(a, 'shape', a) for a in inputs]}")


@pytest.mark.parametrize("case,seed", _params())
def test_native_engine_matches_python_rules(case: Case, seed: int) -> None:
    """First-order gradients go through the native engine (csrc/autodiff); every op's
    Python rule is the reference: same kernels in the same order, so the same bits."""
    rng = _rng(case.name, seed)
    inputs = case.make(rng, seed)
    outs = _outputs(case.fn(*_as_args(inputs)))
    weights = [rng.standard_normal(tuple(o.shape)) for o in outs]
    _core.clear_cached_rules()  # the native walk traces each rule now...
    native, python = native_and_python(lambda: tape_gradient(case.fn, inputs, weights, case.diff))
    _check_same_bits(case, native, python, "traced rules")
    # ... and runs the cached rule graphs (fused) from here on, on any values.
    _check_same_bits(case, tape_gradient(case.fn, inputs, weights, case.diff), python,
                     "cached rules")
    again = case.make(_rng(case.name + "/again", seed), seed)
    if [np.shape(a) for a in again] == [np.shape(a) for a in inputs]:
        native, python = native_and_python(
            lambda: tape_gradient(case.fn, again, weights, case.diff))
        _check_same_bits(case, native, python, "cached rules, other values")


def _check_same_bits(case: Case, native: Any, python: Any, what: str) -> None:
    for k, g_native, g_python in zip(case.diff, native, python):
        g_native, g_python = tf.convert_to_tensor(g_native), tf.convert_to_tensor(g_python)
        assert g_native.dtype == g_python.dtype and g_native.shape == g_python.shape
        np.testing.assert_array_equal(g_native.numpy(), g_python.numpy(),
                                      err_msg=f"{case.name} ({what}): d/d arg{k}")


def test_every_rule_is_checked() -> None:
    """The cases above record every op that has a gradient rule (custom gradients are
    tested in test_gradient_tape.py)."""
    from tapeflow.autodiff import tape as _tape

    seen = set()
    for case in CASES:
        inputs = case.make(_rng(case.name, 0), 0)
        args = _as_args(inputs)
        with tf.GradientTape(persistent=True) as tape:
            for k in case.diff:
                tape.watch(args[k])
            outs = _outputs(case.fn(*args))
            # Inside the block, the persistent tape records the backward pass too: the
            # ops of first-order rules (ReluGrad, ScatterAdd...) have rules of their own.
            tape.gradient(outs, [args[k] for k in case.diff])
        seen |= {r.op for r in tape._state.records}
    for name, f, make in SECOND_ORDER:  # rules of rules' ops, recorded by an outer tape
        x = tf.constant(make(_rng("second/" + name, 0)))
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            tape.gradient(_first_gradient(f, x, np.ones(tuple(f(x).shape))), x)
        seen |= {r.op for r in tape._state.records}
    seen.add("ReadVariableOp")  # test_variable_gradients_match_python_rules
    missing = sorted(set(_tape.RULES) - seen - {"CustomGradient"})
    assert not missing, f"gradient rules no case exercises: {missing}"


def test_variable_gradients_match_python_rules() -> None:
    """The chapter's training step (Variables read through ReadVariableOp, a matmul, a
    broadcast bias, a square loss), through the native engine and the Python rules."""
    rng = np.random.default_rng(4)
    x = tf.constant(rng.standard_normal((50, 2)).astype(np.float32))
    y = tf.constant(rng.standard_normal((50, 1)).astype(np.float32))
    W, b = tf.Variable(rng.standard_normal((2, 1)).astype(np.float32)), tf.Variable([0.5])

    def grads() -> List[Any]:
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(y - (tf.matmul(x, W) + b)))
        return tape.gradient(loss, [W, b])

    native, python = native_and_python(grads)
    for g_native, g_python in zip(native, python):
        np.testing.assert_array_equal(g_native.numpy(), g_python.numpy())
    expected_b = -2 * np.mean(y.numpy() - (x.numpy() @ W.numpy() + 0.5))
    np.testing.assert_allclose(native[1].numpy(), [expected_b], rtol=1e-5)


def test_spec_covers_issue_coverage_list() -> None:
    covered = {c.name.split("/")[0] for c in CASES}
    missing = [op for op in COVERAGE if op not in covered]
    assert not missing, f"ops of the issue's coverage list without a case: {missing}"
    # Elementwise binary ops run on broadcasting shape pairs too.
    pairs = [broadcast_pair(_rng("x", s), s) for s in range(BIN_SEEDS)]
    assert sum(a != b for a, b in pairs) >= BIN_SEEDS - 1


def test_spec_names_unique() -> None:
    names = [c.name for c in CASES]
    assert len(names) == len(set(names))


# ---- dtype of gradients through casts ------------------------------------------------


def test_cast_gradient_dtype_is_the_source_dtype() -> None:
    x32 = tf.constant([1.0, 2.0])
    x64 = tf.constant([1.0, 2.0], dtype=tf.float64)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([x32, x64])
        y = tf.reduce_sum(tf.cast(x32, tf.float64) ** 3)
        z = tf.reduce_sum(tf.cast(x64, tf.float32) ** 2)
    g32 = tape.gradient(y, x32)
    g64 = tape.gradient(z, x64)
    assert g32.dtype == tf.float32 and g64.dtype == tf.float64
    np.testing.assert_allclose(g32.numpy(), [3.0, 12.0], rtol=1e-6)
    np.testing.assert_allclose(g64.numpy(), [2.0, 4.0], rtol=1e-6)


def test_float32_gradients_stay_float32() -> None:
    x = tf.constant([[0.5, -1.0], [2.0, 0.25]])
    w = tf.Variable([[1.0], [-2.0]])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(tf.tanh(x @ w))
    gx, gw = tape.gradient(y, [x, w])
    assert gx.dtype == tf.float32 and gw.dtype == tf.float32
    xv, wv = x.numpy().astype(np.float64), w.numpy().astype(np.float64)
    d = 1 - np.tanh(xv @ wv) ** 2
    np.testing.assert_allclose(gx.numpy(), d @ wv.T, rtol=1e-5)
    np.testing.assert_allclose(gw.numpy(), xv.T @ d, rtol=1e-5)


# ---- second order: nested tapes vs finite differences of the first gradient ----------

A_QUAD = np.random.default_rng(7).uniform(-1, 1, size=(3, 3))
W_MLP = np.random.default_rng(8).uniform(-1, 1, size=(3, 2))
W_CONV = np.random.default_rng(9).uniform(-1, 1, size=(2, 2, 2, 2))

SecondOrder = Tuple[str, Callable[[Any], Any], Callable[[Generator], np.ndarray]]


def _quadratic(x: Any) -> Any:
    return tf.matmul(tf.matmul(x, tf.constant(A_QUAD), transpose_a=True), x)


def _sigmoid_ce_fixed_labels(x: Any) -> Any:
    return sigmoid_ce(tf.constant([0.0, 1.0, 0.3], tf.float64), x)


SECOND_ORDER: List[SecondOrder] = [
    ("tanh", tf.tanh, lambda r: normal(r, (2, 3))),
    ("sigmoid", tf.sigmoid, lambda r: normal(r, (2, 3), scale=2.0)),
    ("exp", tf.exp, lambda r: normal(r, (4,))),
    ("cube", lambda x: x ** 3, lambda r: normal(r, (2, 2))),
    ("cube_mul", lambda x: x * x * x, lambda r: normal(r, (3,))),
    ("sin", tf.sin, lambda r: normal(r, (2, 3), scale=2.0)),
    ("softplus", nn.softplus, lambda r: normal(r, (2, 3), scale=2.0)),
    ("quadratic_matmul", _quadratic, lambda r: normal(r, (3, 1))),
    ("log", tf.math.log, lambda r: positive(r, (4,))),
    ("sqrt", tf.sqrt, lambda r: positive(r, (4,))),
    ("rsqrt", m.rsqrt, lambda r: positive(r, (3,))),
    ("reciprocal", m.reciprocal, lambda r: positive(r, (3,))),
    ("cos", tf.cos, lambda r: normal(r, (3,))),
    ("div", lambda x: x / (1.0 + x * x), lambda r: normal(r, (4,))),
    ("pow_exponent", lambda x: tf.pow(tf.constant(1.5, tf.float64), x),
     lambda r: normal(r, (3,))),
    ("pow_base", lambda x: tf.pow(x, 2.5), lambda r: positive(r, (3,))),
    ("softmax", nn.softmax, lambda r: normal(r, (2, 3))),
    ("log_softmax", nn.log_softmax, lambda r: normal(r, (2, 3))),
    ("reduce_logsumexp", lambda x: tf.reduce_logsumexp(x, axis=1),
     lambda r: normal(r, (2, 3))),
    ("reduce_prod", lambda x: tf.reduce_prod(x, axis=0),
     lambda r: prod_domain(r, (3, 2))),
    ("conv2d_tanh", lambda x: tf.tanh(nn.conv2d(x, tf.constant(W_CONV), 1, "SAME")),
     lambda r: normal(r, (1, 3, 3, 2))),
    ("conv2d_transpose_tanh", lambda x: nn.conv2d_transpose(
        tf.tanh(x), tf.constant(W_CONV), [1, 6, 6, 2], 2, "SAME") ** 2,
     lambda r: normal(r, (1, 3, 3, 2))),
    ("avg_pool_tanh", lambda x: tf.tanh(nn.avg_pool2d(tf.tanh(x), 2, 1, "SAME")),
     lambda r: normal(r, (1, 3, 3, 2))),
    ("mlp", lambda x: tf.tanh(tf.matmul(x, tf.constant(W_MLP))),
     lambda r: normal(r, (2, 3))),
    ("norm", tf.norm, lambda r: normal(r, (4,))),
    ("sigmoid_cross_entropy", _sigmoid_ce_fixed_labels, lambda r: nonzero(r, (3,))),
    ("gather_slice_square", lambda x: tf.square(tf.gather(x, [0, 0, 2])[1:]) * x[:2],
     lambda r: normal(r, (3,))),
    ("cumsum_square", lambda x: tf.square(tf.cumsum(x, axis=1, reverse=True)),
     lambda r: normal(r, (2, 3))),
    ("cumprod", lambda x: tf.math.cumprod(x, axis=1), lambda r: prod_domain(r, (2, 4))),
    ("cumprod_exclusive_reverse",
     lambda x: tf.math.cumprod(x, exclusive=True, reverse=True),
     lambda r: prod_domain(r, (4,))),
    ("cumulative_logsumexp", lambda x: tf.math.cumulative_logsumexp(x, axis=1),
     lambda r: normal(r, (2, 4))),
    ("cumulative_logsumexp_exclusive_reverse",
     lambda x: tf.math.cumulative_logsumexp(x, exclusive=True, reverse=True),
     lambda r: normal(r, (4,))),
]


def _first_gradient(f: Callable[[Any], Any], x: Any, w1: np.ndarray) -> Any:
    with tf.GradientTape() as inner:
        inner.watch(x)
        y = tf.reduce_sum(f(x) * tf.constant(w1))
    return tf.convert_to_tensor(inner.gradient(y, x))


@pytest.mark.parametrize("name,f,make", SECOND_ORDER, ids=[s[0] for s in SECOND_ORDER])
def test_second_order_matches_finite_differences(
        name: str, f: Callable[[Any], Any],
        make: Callable[[Generator], np.ndarray]) -> None:
    rng = _rng("second/" + name, 0)
    x0 = make(rng)
    out_shape = tuple(f(tf.constant(x0)).shape)
    w1 = rng.standard_normal(out_shape)
    w2 = rng.standard_normal(x0.shape)

    x = tf.constant(x0)
    with tf.GradientTape() as outer:
        outer.watch(x)
        g = _first_gradient(f, x, w1)
        s = tf.reduce_sum(g * tf.constant(w2))
    hv = outer.gradient(s, x)
    assert hv is not None, f"{name}: no second-order gradient"
    hv = tf.convert_to_tensor(hv)
    assert tuple(hv.shape) == x0.shape and hv.dtype == tf.float64

    def s_of(arr: np.ndarray) -> float:
        return float(tf.reduce_sum(_first_gradient(f, tf.constant(arr), w1)
                                   * tf.constant(w2)).numpy())

    eps = 1e-5
    expected = np.zeros_like(x0)
    for idx in np.ndindex(*x0.shape):
        xp, xm = x0.copy(), x0.copy()
        xp[idx] += eps
        xm[idx] -= eps
        expected[idx] = (s_of(xp) - s_of(xm)) / (2 * eps)
    np.testing.assert_allclose(hv.numpy(), expected, rtol=RTOL, atol=ATOL, err_msg=name)


def test_third_order_matches_analytic_for_elementwise_ops() -> None:
    """d3/dx3 through three nested tapes: tanh, sin, exp, x**4 (analytic)."""
    x0 = np.array([-0.7, 0.2, 1.1])
    funcs = {
        "tanh": (tf.tanh,
                 lambda v: -2 * (1 - np.tanh(v) ** 2) * (1 - 3 * np.tanh(v) ** 2)),
        "sin": (tf.sin, lambda v: -np.cos(v)),
        "exp": (tf.exp, np.exp),
        "x4": (lambda t: t ** 4, lambda v: 24 * v),
    }
    for name, (f, d3) in funcs.items():
        x = tf.constant(x0)
        with tf.GradientTape() as t3:
            t3.watch(x)
            with tf.GradientTape() as t2:
                t2.watch(x)
                with tf.GradientTape() as t1:
                    t1.watch(x)
                    y = f(x)
                g1 = t1.gradient(y, x)
            g2 = t2.gradient(g1, x)
        g3 = t3.gradient(g2, x)
        assert g3 is not None, name
        np.testing.assert_allclose(g3.numpy(), d3(x0), rtol=1e-10, atol=1e-12,
                                   err_msg=name)
