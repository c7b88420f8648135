"""Bad input of every kind raises tf.errors-style exceptions, never crashes.

The core raises ``tapeflow.errors`` classes (InvalidArgumentError for bad shapes,
dtypes, axes and values; ResourceExhaustedError, also a MemoryError, when memory runs
out) with messages starting with "[op]". Argument-type mistakes caught by the
bindings are TypeErrors. The fuzz tests at the end check that view ops and reductions
fail exactly when numpy does.
"""

from __future__ import annotations

import hypothesis.strategies as st
import numpy as np
import pytest
from core_utils import DT, SHAPES, assert_matches, errors, to_core
from hypothesis import given

from tapeflow import _core

IA, RE = errors.InvalidArgumentError, errors.ResourceExhaustedError

MAT = to_core(np.arange(6, dtype=np.float32).reshape(2, 3))
BOOLS = to_core(np.ones((2, 3), bool))
IDX = to_core(np.array([0, 1]))
SCALAR = to_core(np.float32(1.0))

# (id, call, exception, message regex)
BAD_CALLS = [
    (
        "reduce-repeated-axis",
        lambda: _core.reduce("sum", MAT, [0, -2]),
        IA,
        r"^\[sum\] .*repeated",
    ),
    (
        "reduce-axis-range",
        lambda: _core.reduce("max", MAT, [2]),
        IA,
        r"^\[max\] axis 2 is out",
    ),
    (
        "reduce-axis-neg",
        lambda: _core.reduce("min", MAT, [-3]),
        IA,
        r"^\[min\] axis -3",
    ),
    (
        "reduce-scalar-axis",
        lambda: _core.reduce("sum", SCALAR, [0]),
        IA,
        r"^\[sum\] axis 0",
    ),
    ("reduce-unknown", lambda: _core.reduce("median", MAT), IA, r"^\[reduce\] unknown"),
    ("sum-bool", lambda: _core.reduce("sum", BOOLS), IA, r"^\[sum\] does not support"),
    ("prod-bool", lambda: _core.reduce("prod", BOOLS, [0]), IA, r"^\[prod\] does not"),
    ("any-float", lambda: _core.reduce("any", MAT), IA, r"^\[any\] does not support"),
    ("all-int", lambda: _core.reduce("all", IDX), IA, r"^\[all\] does not support"),
    ("logsumexp-int", lambda: _core.reduce("logsumexp", IDX), IA, r"^\[logsumexp\] "),
    ("mean-bool", lambda: _core.mean(BOOLS), IA, r"^\[mean\] does not support"),
    ("mean-axis", lambda: _core.mean(MAT, [5]), IA, r"^\[\w+\] axis 5"),
    (
        "argmax-bool",
        lambda: _core.argmax(BOOLS, 0),
        IA,
        r"^\[argmax\] does not support",
    ),
    (
        "argmax-scalar",
        lambda: _core.argmax(SCALAR, 0),
        IA,
        r"^\[argmax\] needs .*rank >= 1",
    ),
    ("argmax-axis", lambda: _core.argmax(MAT, 2), IA, r"^\[argmax\] axis 2"),
    (
        "argmax-empty-axis",
        lambda: _core.argmax(to_core(np.zeros((3, 0))), 1),
        IA,
        r"^\[argmax\] Reduction axis is empty",
    ),
    (
        "argmin-output-type",
        lambda: _core.argmin(MAT, 0, output_type=DT.float32),
        IA,
        r"^\[argmin\] output_type must be int32 or int64",
    ),
    ("full-negative-dim", lambda: _core.full([2, -1], DT.float32, 0), IA, r"^\[\w+\] "),
    (
        "random-negative-dim",
        lambda: _core.random_uniform([-1], DT.float32, [0, 0], [0] * 4),
        IA,
        r"^\[\w+\] ",
    ),
    (
        "broadcast-negative",
        lambda: _core.broadcast_to(MAT, [-1, 3]),
        IA,
        r"^\[broadcast_to\] ",
    ),
    ("full-huge", lambda: _core.full([10**12], DT.float32, 0), RE, r"^\[\w+\] "),
    (
        "full-overflow",
        lambda: _core.full([2**40, 2**40], DT.float32, 0),
        RE,
        r"too many",
    ),
    ("tile-huge", lambda: _core.tile(MAT, [10**6, 10**6]), RE, r"^\[\w+\] "),
    ("pad-huge", lambda: _core.pad(MAT, [(0, 10**12), (0, 0)]), RE, r"^\[\w+\] "),
    ("one-hot-huge", lambda: _core.one_hot(IDX, 10**12), RE, r"^\[\w+\] "),
    (
        "copy-of-huge-broadcast",
        lambda: _core.copy(_core.broadcast_to(SCALAR, [10**6, 10**7])),
        RE,
        r"^\[\w+\] ",
    ),
    (
        "from-numpy-huge-broadcast",
        lambda: _core.from_numpy(np.broadcast_to(np.float32(1), (10**6, 10**7))),
        RE,
        r"^\[\w+\] ",
    ),
    (
        "reshape-overflow",
        lambda: _core.reshape(MAT, [2**62, 4]),
        (IA, RE),
        r"^\[\w+\] ",
    ),
    (
        "pad-overflow",
        lambda: _core.pad(MAT, [(2**62, 2**62), (0, 0)]),
        (IA, RE),
        r"^\[",
    ),
    ("tile-overflow", lambda: _core.tile(MAT, [2**62, 1]), (IA, RE), r"^\[\w+\] "),
    (
        "expand-dims-huge-axis",
        lambda: _core.expand_dims(MAT, 2**62),
        IA,
        r"^\[expand_dims\]",
    ),
    (
        "gather-min-axis",
        lambda: _core.gather(MAT, IDX, -(2**63)),
        IA,
        r"^\[gather\] axis",
    ),
    ("concat-min-axis", lambda: _core.concat([MAT], -(2**63)), IA, r"^\[concat\] axis"),
    (
        "squeeze-min-axis",
        lambda: _core.squeeze(MAT, [-(2**63)]),
        IA,
        r"^\[squeeze\] axis",
    ),
    (
        "transpose-min",
        lambda: _core.transpose(MAT, [-(2**63), 0]),
        IA,
        r"^\[transpose\] ",
    ),
]


@pytest.mark.parametrize(
    ("call", "exc", "match"), [pytest.param(*c[1:], id=c[0]) for c in BAD_CALLS]
)
def test_bad_calls_raise_op_errors(call, exc, match):
    """Each bad call raises the expected tf.errors class with an "[op] ..." message."""
    with pytest.raises(exc, match=match) as info:
        call()
    assert isinstance(info.value, errors.OpError)
    assert info.value.message == str(info.value)


@pytest.mark.parametrize(
    "call",
    [
        lambda: _core.add(1, 2),
        lambda: _core.add(MAT, np.ones((2, 3), np.float32)),
        lambda: _core.reduce("sum", MAT, "a"),
        lambda: _core.transpose(MAT, [0.5, 1]),
        lambda: _core.full([2**70], DT.float32, 0),
        lambda: _core.full([2], "float32", 0),
        lambda: _core.slice(MAT, [1]),
        lambda: _core.concat(MAT, 0),
        lambda: _core.philox([0, 0, 0], [0, 0]),
        lambda: _core.philox([2**32, 0, 0, 0], [0, 0]),
    ],
    ids=[
        "add-ints",
        "add-ndarray",
        "reduce-axes-str",
        "transpose-float-perm",
        "full-dim-overflow",
        "full-dtype-str",
        "slice-list",
        "concat-not-list",
        "philox-short-counter",
        "philox-word-overflow",
    ],
)
def test_wrong_argument_types_are_type_errors(call):
    """pybind11 rejects wrongly typed arguments with TypeError, before any op runs."""
    with pytest.raises(TypeError):
        call()


def test_slice_rejects_non_integer_items_with_type_error():
    """x["a"] is an IndexError in numpy, a TypeError in TF; the binding must not leak
    pybind11's "Unable to cast" RuntimeError."""
    with pytest.raises((TypeError, IndexError, errors.OpError)):
        _core.slice(MAT, ("a",))


def test_error_classes_follow_tf_errors():
    """InvalidArgumentError / ResourceExhaustedError carry TF's codes and attributes;
    ResourceExhaustedError is also a MemoryError."""
    with pytest.raises(IA) as info:
        _core.add(MAT, IDX)
    e = info.value
    assert e.error_code == errors.INVALID_ARGUMENT
    assert e.op is None and e.node_def is None
    assert isinstance(e, errors.OpError) and not isinstance(e, MemoryError)
    with pytest.raises(MemoryError) as info:
        _core.full([10**12], DT.float64, 0)
    assert isinstance(info.value, RE)
    assert info.value.error_code == errors.RESOURCE_EXHAUSTED


# ---- fuzz: fail exactly when numpy fails ------------------------------------------

int_lists = st.lists(st.integers(-5, 5), max_size=5)


def _agree(core_call, numpy_call) -> None:
    """Either both succeed with equal results, or numpy fails and the core raises
    InvalidArgumentError."""
    try:
        want = numpy_call()
    except (ValueError, IndexError, TypeError):
        with pytest.raises(IA):
            core_call()
        return
    assert_matches(core_call(), want)


@given(shape=SHAPES, axes=int_lists, keepdims=st.booleans())
def test_reduce_axes_fail_like_numpy(shape, axes, keepdims):
    """Any list of axes (repeats, out of range): tf.reduce_sum fails exactly when
    np.sum does."""
    x = np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)
    _agree(
        lambda: _core.reduce("sum", to_core(x), axes, keepdims),
        lambda: np.sum(x, axis=tuple(axes), keepdims=keepdims),
    )


@given(shape=SHAPES, perm=int_lists)
def test_transpose_perm_fails_like_numpy(shape, perm):
    """Any perm (wrong length, repeats, out of range) fails exactly when numpy does."""
    x = np.arange(int(np.prod(shape))).reshape(shape)
    if not perm and x.ndim:
        perm = list(range(x.ndim))[::-1]  # empty perm means "reverse" in the core
    _agree(lambda: _core.transpose(to_core(x), perm), lambda: np.transpose(x, perm))


@given(shape=SHAPES, target=st.lists(st.integers(-1, 6), max_size=5))
def test_reshape_fails_like_numpy(shape, target):
    """Any target shape (several -1, wrong size, -1 beside a 0) fails exactly when
    numpy does. (numpy also takes -2 as "unknown"; TF and the core refuse it.)"""
    x = np.arange(int(np.prod(shape))).reshape(shape)
    _agree(lambda: _core.reshape(to_core(x), target), lambda: x.reshape(target))


@given(shape=SHAPES, target=st.lists(st.integers(-1, 4), max_size=5))
def test_broadcast_to_fails_like_numpy(shape, target):
    """Any target (fewer dims, mismatched, negative) fails exactly when numpy does."""
    x = np.arange(int(np.prod(shape))).reshape(shape)
    _agree(
        lambda: _core.broadcast_to(to_core(x), target),
        lambda: np.broadcast_to(x, tuple(target)),
    )


@given(shape=SHAPES, axis=st.integers(-7, 7))
def test_expand_dims_fails_like_numpy(shape, axis):
    x = np.arange(int(np.prod(shape))).reshape(shape)
    _agree(lambda: _core.expand_dims(to_core(x), axis), lambda: np.expand_dims(x, axis))


@given(
    sa=st.lists(st.integers(0, 3), min_size=2, max_size=4),
    sb=st.lists(st.integers(0, 3), min_size=2, max_size=4),
)
def test_matmul_shapes_fail_like_numpy(sa, sb):
    """Rank >= 2 operands of any shapes: tf.matmul fails exactly when np.matmul does
    (mismatched K, unbroadcastable batches)."""
    a = np.ones(sa, np.float64)
    b = np.ones(sb, np.float64)
    _agree(lambda: _core.matmul(to_core(a), to_core(b)), lambda: np.matmul(a, b))
