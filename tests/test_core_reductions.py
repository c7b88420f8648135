"""Reductions of the native core (reduce, mean, argmax, argmin) against numpy.

Mirrors tf.reduce_* semantics: axes=None reduces everything, negative axes count from
the end, empty reductions give the identity (sum 0, prod 1, max -inf / int min,
min +inf / int max, any False, all True, logsumexp -inf).
"""

from __future__ import annotations

import hypothesis.strategies as st
import numpy as np
import pytest
from core_utils import (
    flush_denormals,
    BOOL,
    FLOATS,
    INTS,
    LAYOUTS,
    NUMERIC,
    SHAPES,
    Domain,
    arrays,
    as_layout,
    assert_matches,
    core_dtype,
    dtype_id,
    errors,
    to_core,
    trunc_div,
)
from hypothesis import given
from op_specs import REDUCE_OPS, _highest, _lowest

from tapeflow import _core

NEG_INF = float("-inf")

# op -> (dtypes, input domain, numpy reference): tests/op_specs.py's REDUCE_OPS
REDUCTIONS = {s.name: (s.dtypes, s.domain, s.ref) for s in REDUCE_OPS}
CASES = [
    pytest.param(op, d, id=f"{op}-{d}")
    for op, (dtypes, _, _) in REDUCTIONS.items()
    for d in dtypes
]


def reduce_expected(op: str, x: np.ndarray, axis, keepdims: bool) -> np.ndarray:
    ref = REDUCTIONS[op][2]
    x = flush_denormals(x)  # what the kernel reads, as TF's CPU kernels
    if x.dtype.kind == "f":
        out = ref(x.astype(np.float64), axis=axis, keepdims=keepdims)
    elif x.dtype.kind == "i":
        with np.errstate(all="ignore"):
            out = ref(x, axis=axis, keepdims=keepdims)
    else:
        out = ref(x, axis=axis, keepdims=keepdims)
    with np.errstate(over="ignore"):
        return np.asarray(out).astype(x.dtype)


def reduce_tolerance(op: str, x: np.ndarray, axis) -> dict:
    """Rounding-error bound of a float reduction of up to n terms."""
    n = x.size if axis is None else int(np.prod([x.shape[a] for a in axis]))
    eps = np.finfo(x.dtype).eps if x.dtype.kind == "f" else 0.0
    scale = float(np.max(np.abs(x), initial=1.0, where=np.isfinite(x)))
    if op in ("max", "min"):
        return dict(rtol=0, atol=0)
    if op == "sum":  # both sums (ours and numpy's reference) carry up to that error; the
        # relative part grows with the depth of the summation (250 equal float64 values
        # differed by 20 eps, a case the local hypothesis search found)
        return dict(rtol=4 * eps * max(1.0, float(np.log2(n + 1))),
                    atol=8 * max(n, 1) * eps * scale)
    if op == "logsumexp":  # m + log(sum(exp(x - m))): absolute error ~ eps * |terms|
        return dict(rtol=4 * eps, atol=8 * eps * (scale + np.log(n + 1) + 1))
    return dict(rtol=4 * max(n, 1) * eps + 4 * eps, atol=1e-30)


@st.composite
def axes_for(draw, ndim: int):
    """None, or distinct axes in any order, each possibly written negatively."""
    if draw(st.booleans()):
        return None
    if ndim == 0:
        return []
    axes = draw(st.lists(st.integers(0, ndim - 1), unique=True, max_size=ndim))
    return [a - ndim if draw(st.booleans()) else a for a in axes]


def _norm(axes, ndim):
    return None if axes is None else tuple(a % ndim for a in axes)


@pytest.mark.parametrize(("op", "dtype"), CASES)
@given(data=st.data())
def test_reduce_matches_numpy(op, dtype, data):
    """tf.reduce_{op} over any axes subset, keepdims, on any layout."""
    x = data.draw(arrays(dtype, data.draw(SHAPES), REDUCTIONS[op][1]), label="x")
    axes = data.draw(axes_for(x.ndim), label="axes")
    keepdims = data.draw(st.booleans(), label="keepdims")
    arr, ref = as_layout(x, data.draw(st.sampled_from(LAYOUTS), label="layout"))
    got = _core.reduce(op, arr, axes, keepdims)
    axis = _norm(axes, x.ndim)
    assert_matches(
        got, reduce_expected(op, ref, axis, keepdims), **reduce_tolerance(op, ref, axis)
    )


@pytest.mark.parametrize(("op", "dtype"), CASES)
def test_empty_reduction_gives_identity(op, dtype):
    """Reducing a 0-sized axis gives the op's identity (TF and numpy agree)."""
    identity = {
        "sum": lambda: 0,
        "prod": lambda: 1,
        "max": lambda: _lowest(dtype),
        "min": lambda: _highest(dtype),
        "any": lambda: False,
        "all": lambda: True,
        "logsumexp": lambda: -np.inf,
    }[op]()
    x = to_core(np.zeros((3, 0), dtype))
    assert_matches(_core.reduce(op, x, [1]), np.full(3, identity, dtype))
    assert_matches(_core.reduce(op, x), np.array(identity, dtype))
    assert _core.reduce(op, x, [0]).shape == (0,)
    assert _core.reduce(op, x, [0], keepdims=True).shape == (1, 0)


@pytest.mark.parametrize("dtype", NUMERIC + BOOL, ids=dtype_id)
def test_reduce_empty_axes_list_is_identity_map(dtype):
    """tf.reduce_sum(x, axis=[]) returns x unchanged (numpy axis=())."""
    x = np.arange(6).reshape(2, 3).astype(dtype)
    op = "any" if dtype == np.bool_ else "sum"
    assert_matches(_core.reduce(op, to_core(x), []), x)
    assert_matches(_core.reduce(op, to_core(x), [], keepdims=True), x)
    scalar = np.array(5, dtype)
    assert_matches(_core.reduce(op, to_core(scalar), None, keepdims=True), scalar)


@pytest.mark.parametrize("op", ["sum", "prod", "max", "min"])
@pytest.mark.parametrize(
    ("shape", "axes"),
    [((7, 3), [0]), ((50, 1000), [0]), ((5, 4, 3), [0, 1]), ((1, 6, 1, 5), [1])],
)
def test_reduce_leading_axes_column_path(op, shape, axes):
    """Reducing leading axes of a contiguous array (the column kernel, split over
    columns between threads) equals numpy."""
    axis = tuple(axes)
    x = np.random.default_rng(1).uniform(0.9, 1.1, shape)
    for dtype in FLOATS:
        xd = x.astype(dtype)
        want = reduce_expected(op, xd, axis, False)
        tol = reduce_tolerance(op, xd, axis)
        assert_matches(_core.reduce(op, to_core(xd), axes), want, **tol)
    xi = np.random.default_rng(2).integers(-9, 9, shape, dtype=np.int64)
    want = reduce_expected(op, xi, axis, False)
    assert_matches(_core.reduce(op, to_core(xi), axes), want)


N_LARGE = 100_003  # > 65536: one long row is reduced in two blocks, one per thread


@pytest.mark.parametrize("threads", [1, 0, 3])
def test_large_1d_reductions_split_over_threads(threads, num_threads):
    """A single row of 100k elements reduces in fixed blocks; results equal numpy
    (exactly for ints, bools, max, min)."""
    num_threads(threads)
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, N_LARGE)
    x[77_777] = 5.0  # the max sits in the second chunk
    x[12] = -5.0
    for dtype in FLOATS:
        xd = x.astype(dtype)
        cx = to_core(xd)
        for op in ("sum", "max", "min", "logsumexp"):
            assert_matches(
                _core.reduce(op, cx),
                reduce_expected(op, xd, None, False),
                **reduce_tolerance(op, xd, None),
            )
        signs = np.where(xd < 0, -1.0, 1.0).astype(dtype)
        assert_matches(_core.reduce("prod", to_core(signs)), np.prod(signs))
        assert_matches(_core.argmax(cx, 0), np.int64(77_777))
        assert_matches(_core.argmin(cx, 0), np.int64(12))
    for dtype in INTS:
        xi = rng.integers(np.iinfo(dtype).min, np.iinfo(dtype).max, N_LARGE, dtype)
        odd = xi | 1  # products of odd numbers stay nonzero modulo 2**bits
        for op, v in (("sum", xi), ("prod", odd), ("max", xi), ("min", xi)):
            want = reduce_expected(op, v, None, False)
            assert_matches(_core.reduce(op, to_core(v)), want)
    flags = np.ones(N_LARGE, bool)
    flags[-1] = False
    assert_matches(_core.reduce("all", to_core(flags)), np.bool_(False))
    assert_matches(_core.reduce("any", to_core(~flags)), np.bool_(True))
    assert_matches(_core.reduce("any", to_core(np.zeros(N_LARGE, bool))), np.False_)


def test_large_reduction_does_not_depend_on_threads(num_threads):
    """Sums over 100k elements are bit-identical at any thread count (fixed blocks;
    tests/test_determinism.py checks many more ops and shapes, one process each)."""
    rng = np.random.default_rng(4)
    xf = to_core(rng.standard_normal(N_LARGE).astype(np.float32))
    xi = to_core(rng.integers(-(2**40), 2**40, N_LARGE))
    results = []
    for t in (1, 2, 4):
        num_threads(t)
        results.append((_core.reduce("sum", xf), _core.reduce("sum", xi)))
    assert len({np.asarray(f).tobytes() for f, _ in results}) == 1
    assert len({int(np.asarray(i)) for _, i in results}) == 1


def test_logsumexp_handles_infinities():
    """Rows of all -inf give -inf, any +inf gives +inf, nan propagates; large values
    do not overflow (tf.reduce_logsumexp)."""
    x = np.array(
        [
            [NEG_INF, NEG_INF, NEG_INF],
            [NEG_INF, 0.0, NEG_INF],
            [1000.0, 1000.0, NEG_INF],
            [np.inf, 1.0, NEG_INF],
            [np.nan, 1.0, 2.0],
            [-1000.0, -1000.0, -1000.0],
        ]
    )
    for dtype in FLOATS:
        got = np.asarray(_core.reduce("logsumexp", to_core(x.astype(dtype)), [1]))
        want = [-np.inf, 0.0, 1000.0 + np.log(2), np.inf, np.nan, -1000 + np.log(3)]
        np.testing.assert_allclose(got, np.array(want, dtype), rtol=1e-6)


@pytest.mark.parametrize("dtype", FLOATS, ids=dtype_id)
def test_max_min_propagate_nan(dtype):
    """tf.reduce_max / np.max: any NaN in the reduced set gives NaN."""
    x = np.array([[1.0, np.nan, 3.0], [np.nan, 0.0, 0.0], [1.0, 2.0, 3.0]], dtype)
    for op, ref in (("max", np.max), ("min", np.min)):
        for axes in ([0], [1], None):
            axis = None if axes is None else tuple(axes)
            assert_matches(_core.reduce(op, to_core(x), axes), ref(x, axis=axis))


# ---- mean -------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", NUMERIC, ids=dtype_id)
@given(data=st.data())
def test_mean_matches_numpy(dtype, data):
    """tf.reduce_mean: float mean, integer mean truncated toward zero."""
    x = data.draw(arrays(dtype, data.draw(SHAPES), Domain(-100, 100)), label="x")
    axes = data.draw(axes_for(x.ndim), label="axes")
    keepdims = data.draw(st.booleans())
    arr, ref = as_layout(x, data.draw(st.sampled_from(LAYOUTS)))
    got = _core.mean(arr, axes, keepdims)
    axis = _norm(axes, x.ndim)
    wide = ref.astype(np.float64) if x.dtype.kind == "f" else ref
    with np.errstate(all="ignore"):
        s = np.asarray(np.sum(wide, axis=axis, keepdims=keepdims, dtype=wide.dtype))
    count = ref.size // s.size if s.size else 0
    if x.dtype.kind == "f":  # 0 / 0 = nan for an empty mean, as numpy and TF
        with np.errstate(all="ignore"):
            want = (s / np.float64(count)).astype(dtype)
        assert_matches(got, want, **reduce_tolerance("sum", ref, axis))
    else:
        want = trunc_div(s, np.asarray(count, dtype)) if count else np.zeros_like(s)
        assert_matches(got, want)


def test_integer_mean_truncates():
    """tf.reduce_mean([-3, -4]) on int32 is -3 (truncation), not -4 (floor)."""
    x = to_core(np.array([[-3, -4], [3, 4]], np.int32))
    assert np.asarray(_core.mean(x, [1])).tolist() == [-3, 3]


# ---- argmax / argmin --------------------------------------------------------------


@pytest.mark.parametrize("fn", ["argmax", "argmin"])
@pytest.mark.parametrize("dtype", NUMERIC, ids=dtype_id)
@given(data=st.data())
def test_argmax_argmin_match_numpy(fn, dtype, data):
    """tf.argmax/argmin: first index of the extreme (ties -> first, NaN counts as the
    extreme as in numpy), int64 by default or int32 on request."""
    shape = data.draw(SHAPES.filter(lambda s: len(s) > 0), label="shape")
    grid = Domain(-2, 2, step=0.5, int_lo=-2, int_hi=2, extra=(float("nan"),))
    x = data.draw(arrays(dtype, shape, grid), label="x")
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1), label="axis")
    out_type = data.draw(st.sampled_from([None, np.int32, np.int64]), label="out")
    arr, ref = as_layout(x, data.draw(st.sampled_from(LAYOUTS)))
    kwargs = {} if out_type is None else {"output_type": core_dtype(out_type)}
    call = getattr(_core, fn)
    if x.shape[axis] == 0:  # tf: "Reduction axis is empty" unless nothing is left
        rest = x.shape[: axis % x.ndim] + x.shape[axis % x.ndim + 1 :]
        if 0 not in rest:
            with pytest.raises(errors.InvalidArgumentError, match="empty"):
                call(arr, axis, **kwargs)
        else:
            assert call(arr, axis, **kwargs).shape == rest
        return
    want = getattr(np, fn)(ref, axis=axis).astype(out_type or np.int64)
    assert_matches(call(arr, axis, **kwargs), want)


@pytest.mark.parametrize("fn", ["argmax", "argmin"])
def test_arg_reduce_over_all_axes_is_flat_index(fn):
    """reduce('argmax', x) over every axis gives numpy's flat argmax."""
    x = np.random.default_rng(5).integers(0, 4, (3, 4, 5)).astype(np.float32)
    assert_matches(_core.reduce(fn, to_core(x)), np.int64(getattr(np, fn)(x)))


def test_argmax_ties_pick_first():
    """tf.argmax([[1, 3, 3], [2, 2, 2]], axis=1) == [1, 0]."""
    x = to_core(np.array([[1, 3, 3], [2, 2, 2]], np.int32))
    got = _core.argmax(x, 1, output_type=_core.DType.int32)
    assert got.dtype == _core.DType.int32
    assert np.asarray(got).tolist() == [1, 0]
    assert np.asarray(_core.argmin(x, 0)).tolist() == [0, 1, 1]


def test_float32_sum_of_10m_values_is_within_1e6_of_float64() -> None:
    """Blocked pairwise summation (issue #6's accuracy bar), over both cores."""
    rng = np.random.default_rng(7)
    for x in (rng.random(10_000_000, dtype=np.float32),
              (rng.random(10_000_000) - 0.3).astype(np.float32)):
        got = float(np.asarray(_core.reduce("sum", _core.from_numpy(x))))
        want = float(x.astype(np.float64).sum())
        assert abs(got - want) <= 1e-6 * abs(want)
