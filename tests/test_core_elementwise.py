"""Elementwise ops of the native core (opdefs/op_list.h) against numpy.

Every unary op is driven from tests/op_specs.py and every binary op from the list below,
so adding an op to csrc/opdefs/op_list.h means adding one spec line
(test_spec_lists_cover_every_op fails until then). Inputs are any shape of rank 0-4 (0-sized dims included), any supported
dtype, and contiguous or strided views (offset, transposed, reversed, step-2,
broadcast; see core_utils.as_layout).
"""

from __future__ import annotations

import hypothesis.strategies as st
import numpy as np
import pytest
from core_utils import (
    ALL,
    FLOATS,
    INTS,
    LAYOUTS,
    SHAPES,
    arrays,
    as_layout,
    assert_matches,
    dtype_id,
    errors,
    flush_denormals,
    to_core,
    trunc_div,
)
from hypothesis import given
from hypothesis.extra import numpy as hnp

from op_specs import (BINARY_OPS, INF, NAN, SPECIALS, UNARY_BY_NAME, UNARY_OPS,
                      WITH_SPECIALS, BinaryOp, UnaryOp, _floordiv, _floormod)
from tapeflow import _core


# ---- reference functions (numpy, in the dtype they are given) ----------------------


# ---- spec lists: tests/op_specs.py ------------------------------------------------

UNARY = UNARY_OPS
BINARY = BINARY_OPS

UNARY_CASES = [pytest.param(s, d, id=f"{s.name}-{d}") for s in UNARY for d in s.dtypes]
BINARY_CASES = [
    pytest.param(s, d, id=f"{s.name}-{d}") for s in BINARY for d in s.dtypes
]


def unary_expected(spec: UnaryOp, x: np.ndarray) -> np.ndarray:
    x = flush_denormals(x)  # what the kernel reads (TF's CPU kernels flush them too)
    wide = x.astype(np.float64) if x.dtype == np.float32 else x
    with np.errstate(all="ignore"):
        r = np.asarray(spec.ref(wide))
        return r if r.dtype == np.bool_ else r.astype(x.dtype)


def binary_expected(spec: BinaryOp, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = flush_denormals(a), flush_denormals(b)
    with np.errstate(all="ignore"):
        r = np.asarray(spec.ref(a, b))
        return r if r.dtype == np.bool_ else r.astype(a.dtype)


def test_spec_lists_cover_every_op():
    """The spec lists name exactly the ops the core exports, in op_list.h order."""
    assert [s.name for s in UNARY] == list(_core.unary_ops())
    assert [s.name for s in BINARY] == list(_core.binary_ops())


# ---- unary ------------------------------------------------------------------------


@pytest.mark.parametrize(("spec", "dtype"), UNARY_CASES)
@given(data=st.data())
def test_unary_matches_numpy(spec, dtype, data):
    """Each unary op equals its numpy ufunc on any shape, dtype and layout (subnormal
    inputs: test_unary_special_values and the flush test)."""
    x = flush_denormals(data.draw(arrays(dtype, data.draw(SHAPES), spec.domain), label="x"))
    arr, ref = as_layout(x, data.draw(st.sampled_from(LAYOUTS), label="layout"))
    assert_matches(getattr(_core, spec.name)(arr), unary_expected(spec, ref))


@pytest.mark.parametrize(
    ("spec", "dtype"),
    [c for c in UNARY_CASES if c.values[1] in FLOATS],
)
def test_unary_special_values(spec, dtype):
    """nan/inf/-0/halves/subnormals behave as numpy (sign(nan) = nan, relu(nan) = nan,
    round half to even, sigmoid(-inf) = 0, ...)."""
    x = np.array(
        [NAN, INF, -INF, 0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, 2.5, -3.5, 1e-40, 88.0],
        dtype,
    )
    assert_matches(getattr(_core, spec.name)(to_core(x)), unary_expected(spec, x))


@pytest.mark.parametrize(
    ("spec", "dtype"),
    [c for c in UNARY_CASES if c.values[1] in INTS],
)
def test_unary_integer_edges_wrap(spec, dtype):
    """Integer neg/abs/square wrap at the limits exactly as numpy (two's complement)."""
    info = np.iinfo(dtype)
    x = np.array([info.min, info.min + 1, -7, -1, 0, 1, 7, info.max], dtype)
    assert_matches(getattr(_core, spec.name)(to_core(x)), unary_expected(spec, x))


@pytest.mark.parametrize(
    ("spec", "dtype"),
    [
        pytest.param(s, d, id=f"{s.name}-{dtype_id(d)}")
        for s in UNARY
        for d in ALL
        if d not in s.dtypes
    ],
)
def test_unary_rejects_unsupported_dtype(spec, dtype):
    """exp of an int or neg of a bool is an InvalidArgumentError naming the op."""
    with pytest.raises(errors.InvalidArgumentError, match=rf"^\[{spec.name}\] "):
        getattr(_core, spec.name)(to_core(np.zeros(3, dtype)))


def test_round_is_half_to_even():
    """tf.round rounds halves to even, unlike C's round()."""
    x = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5], np.float32)
    assert np.asarray(_core.round(to_core(x))).tolist() == [-2, -2, -0, 0, 2, 2, 4]


# ---- binary -----------------------------------------------------------------------


@pytest.mark.parametrize(("spec", "dtype"), BINARY_CASES)
@given(data=st.data())
def test_binary_matches_numpy(spec, dtype, data):
    """Each binary op equals numpy, with numpy broadcasting, on any layouts."""
    shapes = data.draw(
        hnp.mutually_broadcastable_shapes(
            num_shapes=2, min_dims=0, max_dims=4, min_side=0, max_side=4
        ),
        label="shapes",
    ).input_shapes
    a = data.draw(arrays(dtype, shapes[0], spec.a), label="a")
    b = data.draw(arrays(dtype, shapes[1], spec.b), label="b")
    ca, ra = as_layout(a, data.draw(st.sampled_from(LAYOUTS), label="layout_a"))
    cb, rb = as_layout(b, data.draw(st.sampled_from(LAYOUTS), label="layout_b"))
    assert_matches(getattr(_core, spec.name)(ca, cb), binary_expected(spec, ra, rb))


@pytest.mark.parametrize(
    ("spec", "dtype"),
    [c for c in BINARY_CASES if c.values[1] in FLOATS],
)
def test_binary_special_values(spec, dtype):
    """All pairs of nan/inf/-inf/±0/±1/±2.5: IEEE results, NaN-propagating
    maximum/minimum."""
    v = np.array([NAN, INF, -INF, 0.0, -0.0, 1.0, -1.0, 2.5, -2.5], dtype)
    a, b = v[:, None], v[None, :]
    assert_matches(
        getattr(_core, spec.name)(to_core(a), to_core(b)), binary_expected(spec, a, b)
    )


@pytest.mark.parametrize("dtype", INTS, ids=dtype_id)
def test_integer_division_edges(dtype):
    """div truncates (C), floordiv floors, mod has the divisor's sign; MIN / -1
    wraps."""
    lo, hi = np.iinfo(dtype).min, np.iinfo(dtype).max
    a = np.array([-7, 7, -7, 7, 0, lo, lo, hi, hi, lo + 1, 6], dtype)
    b = np.array([2, -2, -2, 2, 3, -1, 1, -1, lo, -1, 3], dtype)
    ca, cb = to_core(a), to_core(b)
    div, fdiv, mod = (
        np.asarray(f(ca, cb)) for f in (_core.div, _core.floordiv, _core.mod)
    )
    assert div[:5].tolist() == [-3, -3, 3, 3, 0]
    assert fdiv[:5].tolist() == [-4, -4, 3, 3, 0]
    assert mod[:5].tolist() == [1, -1, -1, 1, 0]
    assert div[5] == lo and fdiv[5] == lo and mod[5] == 0  # wraps, as numpy
    assert_matches(div, trunc_div(a, b))
    assert_matches(fdiv, _floordiv(a, b))
    assert_matches(mod, _floormod(a, b))


@pytest.mark.parametrize("dtype", INTS, ids=dtype_id)
def test_integer_overflow_wraps(dtype):
    """add/sub/mul/pow wrap modulo 2**bits, as numpy's integer arrays."""
    info = np.iinfo(dtype)
    a = np.array([info.max, info.min, info.max, 3], dtype)
    b = np.array([1, 1, 2, 45], dtype)
    ca, cb = to_core(a), to_core(b)
    with np.errstate(all="ignore"):
        assert_matches(_core.add(ca, cb), a + b)
        assert_matches(_core.sub(cb, ca), b - a)
        assert_matches(_core.mul(ca, cb), a * b)
        assert_matches(_core.pow(ca, cb), np.power(a, b))
    assert np.asarray(_core.add(ca, cb))[0] == info.min


@pytest.mark.parametrize("dtype", FLOATS, ids=dtype_id)
def test_float_floordiv_and_mod_follow_tensorflow(dtype):
    """tf.math.floordiv(1.0, 0.1) == 10 (floor(a / b)); numpy's floor_divide gives 9.
    tf.math.floormod takes the divisor's sign."""
    one, tenth = to_core(np.array(1.0, dtype)), to_core(np.array(0.1, dtype))
    assert float(np.asarray(_core.floordiv(one, tenth))) == 10.0
    a = to_core(np.array([-7.5, 7.5, -7.5, 7.5], dtype))
    b = to_core(np.array([2.0, -2.0, -2.0, 2.0], dtype))
    assert np.asarray(_core.mod(a, b)).tolist() == [0.5, -0.5, -1.5, 1.5]
    assert np.asarray(_core.floordiv(a, b)).tolist() == [-4.0, -4.0, 3.0, 3.0]


@pytest.mark.parametrize("op", ["div", "floordiv", "mod"])
@pytest.mark.parametrize("dtype", INTS, ids=dtype_id)
def test_integer_division_by_zero_raises(op, dtype):
    """TF: 'Integer division by zero' (InvalidArgument), even via a broadcast zero."""
    a = to_core(np.arange(6, dtype=dtype).reshape(2, 3))
    zero_in_row = to_core(np.array([1, 0, 2], dtype))
    for b in (zero_in_row, to_core(np.array(0, dtype))):
        with pytest.raises(errors.InvalidArgumentError, match="division by zero"):
            getattr(_core, op)(a, b)
    # An empty result divides nothing.
    empty = to_core(np.zeros((0, 3), dtype))
    assert getattr(_core, op)(empty, zero_in_row).shape == (0, 3)


@pytest.mark.parametrize("dtype", FLOATS, ids=dtype_id)
def test_float_division_by_zero_is_ieee(dtype):
    """Float division by zero gives inf/nan, no error."""
    a = to_core(np.array([1.0, -1.0, 0.0], dtype))
    got = np.asarray(_core.div(a, to_core(np.zeros(3, dtype))))
    assert got[0] == np.inf and got[1] == -np.inf and np.isnan(got[2])


@pytest.mark.parametrize("dtype", INTS, ids=dtype_id)
def test_integer_pow_negative_exponent_raises(dtype):
    """TF: 'Integers to negative integer powers are not allowed'."""
    a, b = to_core(np.array([2, 3], dtype)), to_core(np.array([1, -1], dtype))
    with pytest.raises(errors.InvalidArgumentError, match=r"^\[pow\] .*negative"):
        _core.pow(a, b)


@pytest.mark.parametrize(
    ("spec", "dtype"),
    [
        pytest.param(s, d, id=f"{s.name}-{dtype_id(d)}")
        for s in BINARY
        for d in ALL
        if d not in s.dtypes
    ],
)
def test_binary_rejects_unsupported_dtype(spec, dtype):
    """add of bools or logical_and of floats is an InvalidArgumentError."""
    x = to_core(np.zeros(3, dtype))
    with pytest.raises(errors.InvalidArgumentError, match=rf"^\[{spec.name}\] "):
        getattr(_core, spec.name)(x, x)


@pytest.mark.parametrize("name", _core.binary_ops())
@pytest.mark.parametrize(
    ("da", "db"), [(np.float32, np.float64), (np.int32, np.int64), (np.bool_, np.int32)]
)
def test_binary_rejects_mixed_dtypes(name, da, db):
    """No implicit promotion, as TF: both operands must share a dtype."""
    a, b = to_core(np.ones(3, da)), to_core(np.ones(3, db))
    with pytest.raises(errors.InvalidArgumentError, match=rf"^\[{name}\] dtypes must"):
        getattr(_core, name)(a, b)


@pytest.mark.parametrize("spec", BINARY, ids=lambda s: s.name)
def test_binary_rejects_incompatible_shapes(spec):
    """TF: 'Incompatible shapes: [2,3] vs. [4]'."""
    dtype = spec.dtypes[0]
    a, b = to_core(np.ones((2, 3), dtype)), to_core(np.ones(4, dtype))
    with pytest.raises(errors.InvalidArgumentError, match="Incompatible shapes"):
        getattr(_core, spec.name)(a, b)


# ---- where ------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ALL, ids=dtype_id)
@given(data=st.data())
def test_where_matches_numpy(dtype, data):
    """tf.where(cond, x, y) with three-way broadcasting equals np.where."""
    shapes = data.draw(
        hnp.mutually_broadcastable_shapes(
            num_shapes=3, min_dims=0, max_dims=4, min_side=0, max_side=4
        )
    ).input_shapes
    cond = data.draw(arrays(np.bool_, shapes[0]), label="cond")
    a = data.draw(arrays(dtype, shapes[1], WITH_SPECIALS), label="a")
    b = data.draw(arrays(dtype, shapes[2], WITH_SPECIALS), label="b")
    layouts = st.sampled_from(LAYOUTS)
    cc, rc = as_layout(cond, data.draw(layouts))
    ca, ra = as_layout(a, data.draw(layouts))
    cb, rb = as_layout(b, data.draw(layouts))
    assert_matches(_core.where(cc, ca, cb), np.where(rc, ra, rb))


def test_where_rejects_bad_arguments():
    """cond must be bool, x and y share a dtype, shapes broadcast."""
    f = to_core(np.ones(3, np.float32))
    c = to_core(np.ones(3, bool))
    with pytest.raises(errors.InvalidArgumentError, match=r"^\[where\] condition"):
        _core.where(f, f, f)
    with pytest.raises(errors.InvalidArgumentError, match=r"^\[where\] x and y"):
        _core.where(c, f, to_core(np.ones(3)))
    with pytest.raises(errors.InvalidArgumentError, match=r"^\[where\] Incompatible"):
        _core.where(to_core(np.ones(4, bool)), f, f)


# ---- large arrays: several threads, chunk boundaries inside rows -------------------


@pytest.mark.parametrize("threads", [1, 2, 5])
def test_large_strided_elementwise_across_threads(threads, num_threads):
    """Loops of > 2 * 32768 elements split across threads, chunks starting mid-row,
    on reversed / transposed / broadcast operands."""
    num_threads(threads)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((130, 611))
    row = rng.standard_normal((1, 611))
    cx, rx = as_layout(x, "reversed")
    ct, rt = as_layout(x, "transposed")
    assert_matches(_core.exp(cx), np.exp(rx))
    assert_matches(_core.add(cx, to_core(row)), rx + row)
    assert_matches(_core.mul(ct, to_core(row)), rt * row)
    cs, rs = as_layout(x[:, :300].astype(np.float32), "strided")
    assert_matches(_core.sigmoid(cs), unary_expected(UNARY_BY_NAME["sigmoid"], rs))
    cond = x > 0
    assert_matches(
        _core.where(to_core(cond), cx, to_core(row)), np.where(cond, rx, row)
    )
    xi = rng.integers(-1000, 1000, (3, 40000)).astype(np.int64)
    ci, ri = as_layout(xi, "strided")
    three = to_core(np.array([[3], [-3], [7]], np.int64))
    assert_matches(_core.mod(ci, three), np.mod(ri, [[3], [-3], [7]]))


@pytest.mark.host_only


def test_vectorised_exp_is_within_one_ulp_everywhere() -> None:
    """The CPU float32 exp is a vectorised polynomial, not libm: check it over the whole
    range (normal, subnormal, overflow, specials) against float64 numpy."""
    x = np.concatenate([np.linspace(-110, 95, 400_001, dtype=np.float32),
                        np.float32([np.nan, np.inf, -np.inf, 0.0, -0.0, 88.72283, 88.7229])])
    got = np.asarray(_core.exp(_core.from_numpy(x)))
    ref = np.exp(x.astype(np.float64))
    with np.errstate(over="ignore"):
        ref32 = ref.astype(np.float32)
    normal = np.isfinite(ref32) & (ref32 >= np.finfo(np.float32).tiny)
    ulps = np.abs(got[normal] - ref[normal]) / np.spacing(ref32[normal]).astype(np.float64)
    assert ulps.max() <= 1.0
    sub = (ref32 > 0) & (ref32 < np.finfo(np.float32).tiny)
    assert (got[sub] == 0).all()  # subnormal results flush to zero, as TF's kernels
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref32))
    np.testing.assert_array_equal(np.isinf(got), np.isinf(ref32))
    np.testing.assert_array_equal(got == 0, flush_denormals(ref32) == 0)


def test_vectorised_log_is_within_one_ulp_everywhere() -> None:
    """The CPU float32 log is a vectorised polynomial: check subnormals to the largest
    float, the [0.5, 2] core, and 0, negatives, inf and NaN, against float64 numpy."""
    pos = np.concatenate([np.geomspace(1e-45, 3.4e38, 300_000).astype(np.float32),
                          np.linspace(0.5, 2.0, 100_001, dtype=np.float32)])
    x = np.concatenate([pos, np.float32([0.0, -0.0, -1.0, np.inf, -np.inf, np.nan, 1.0])])
    got = np.asarray(_core.log(_core.from_numpy(x)))
    with np.errstate(divide="ignore", invalid="ignore"):  # subnormals read as 0 (TF)
        ref = np.log(flush_denormals(x).astype(np.float64))
    ref32 = ref.astype(np.float32)
    ok = np.isfinite(ref32) & (ref32 != 0)
    ulps = np.abs(got[ok] - ref[ok]) / np.spacing(np.abs(ref32[ok])).astype(np.float64)
    assert ulps.max() <= 1.0
    np.testing.assert_array_equal(got[~ok], ref32[~ok])  # -inf, nan, inf, 0 exactly


def test_vectorised_tanh_is_within_two_ulp() -> None:
    """The CPU float32 tanh is a vectorised polynomial/exp form: <= 2 ulp, exact signs of
    zero and saturation, NaN kept."""
    x = np.concatenate([np.linspace(-12, 12, 400_001, dtype=np.float32),
                        np.geomspace(1e-40, 1, 50_000).astype(np.float32),
                        np.float32([0.0, -0.0, np.inf, -np.inf, np.nan, 0.625, -0.625])])
    got = np.asarray(_core.tanh(_core.from_numpy(x)))
    ref = np.tanh(x.astype(np.float64))
    ref32 = ref.astype(np.float32)
    ok = np.isfinite(ref32) & (ref32 != 0)
    ulps = np.abs(got[ok] - ref[ok]) / np.spacing(np.abs(ref32[ok])).astype(np.float64)
    assert ulps.max() <= 2.0
    np.testing.assert_array_equal(np.signbit(got[~ok]), np.signbit(ref32[~ok]))
    np.testing.assert_array_equal(got[~ok], ref32[~ok])


def test_kernels_flush_denormals_as_tf_and_leave_numpy_alone() -> None:
    """TF's CPU kernels flush subnormals (results to zero, inputs read as zero) while
    constants keep them; tapeflow's kernels do the same (csrc/core/denormal.h), eagerly and
    in a traced function, and restore the thread's mode: numpy still computes 1e-40.
    Values checked against TF 2.21."""
    import tapeflow as tf

    tiny = tf.constant(1e-20)
    assert (tiny * tiny).numpy() == 0.0  # numpy: 1e-40
    assert tf.multiply(tiny, tiny).numpy() == 0.0
    assert tf.constant(1e-39).numpy() == np.float32(1e-39)  # a constant is not a kernel
    assert tf.fill([2], 1e-39).numpy().tolist() == [np.float32(1e-39)] * 2
    assert (tf.constant(1e-39) + tf.constant(0.0)).numpy() == 0.0  # read as zero
    assert tf.cast(tf.constant(1e-39, tf.float64), tf.float32).numpy() == 0.0
    assert tf.reduce_sum(tf.constant([1e-39, 1e-39])).numpy() == 0.0
    assert tf.math.exp(tf.constant(-100.0)).numpy() == 0.0
    assert tf.function(lambda x: x * x)(tiny).numpy() == 0.0
    assert np.float32(1e-20) * np.float32(1e-20) == np.float32(1e-40)
