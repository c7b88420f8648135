"""tf.math.cumsum, cumprod and cumulative_logsumexp: native scans along one axis.

Forward values against numpy references (every dtype, axis, exclusive/reverse
combination, empty and length-1 axes, strided inputs, the threaded paths), special
values and errors as TensorFlow 2.21 gives them (values hard-coded below were checked
against TF), and gradients against numpy and TF. Finite-difference and second-order
checks of the three ops live in test_gradients.py's spec tables.
"""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest

import tapeflow as tf
from tapeflow import _core
from core_utils import native_and_python

INF, NAN = np.inf, np.nan
OPS = ("cumsum", "cumprod", "cumulative_logsumexp")
DTYPES = (np.float32, np.float64, np.int32, np.int64)
SHAPES = ((0,), (1,), (7,), (3, 0, 2), (2, 1, 3), (3, 4, 5), (2, 3, 1), (1, 6))
IDENTITY = {"cumsum": 0, "cumprod": 1, "cumulative_logsumexp": -INF}


def tf_op(name: str):
    return getattr(tf.math, name)


def reference(name: str, x: np.ndarray, axis: int, exclusive: bool,
              reverse: bool) -> np.ndarray:
    """numpy's sequential accumulate (the same order as TF's scan), in x's dtype."""
    r = np.flip(x, axis) if reverse else x
    if name == "cumsum":
        out = np.cumsum(r, axis, dtype=x.dtype)
    elif name == "cumprod":
        out = np.cumprod(r, axis, dtype=x.dtype)
    else:
        out = np.logaddexp.accumulate(r, axis)
    if exclusive and out.shape[axis]:
        first = np.full_like(np.take(out, [0], axis), IDENTITY[name])
        rest = np.take(out, range(out.shape[axis] - 1), axis)
        out = np.concatenate([first, rest], axis)
    return np.flip(out, axis) if reverse else out


def data(name: str, shape, dtype, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if np.issubdtype(dtype, np.integer):
        return rng.integers(-3 if name == "cumsum" else -2, 4, size=shape).astype(dtype)
    if name == "cumprod":
        return rng.uniform(0.5, 1.5, size=shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def check(name: str, x: np.ndarray, got, axis: int, exclusive: bool,
          reverse: bool) -> None:
    want = reference(name, x, axis, exclusive, reverse)
    got = np.asarray(got)
    assert got.dtype == x.dtype and got.shape == x.shape
    if name == "cumulative_logsumexp":  # float exp/log1p differ from numpy's by an ulp
        tol = 1e-5 if x.dtype == np.float32 else 1e-13
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
    else:  # the same sequential order in the same dtype: the same bits
        np.testing.assert_array_equal(got, want)


# ---- forward -----------------------------------------------------------------------


@pytest.mark.parametrize("name", OPS)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_matches_numpy_on_every_axis_and_flag(name: str, dtype) -> None:
    if name == "cumulative_logsumexp" and np.issubdtype(dtype, np.integer):
        pytest.skip("float only (errors tested below)")
    for seed, shape in enumerate(SHAPES):
        x = data(name, shape, dtype, seed)
        for axis in range(-len(shape), len(shape)):
            for exclusive, reverse in itertools.product((False, True), repeat=2):
                got = tf_op(name)(x, axis=axis, exclusive=exclusive, reverse=reverse)
                check(name, x, got.numpy(), axis, exclusive, reverse)


@pytest.mark.parametrize("name", OPS)
def test_strided_inputs(name: str) -> None:
    x = data(name, (6, 5, 4), np.float64, 3)
    t = tf.constant(x)
    views = [(tf.transpose(t, [2, 0, 1]), x.transpose(2, 0, 1)),
             (t[::2, :, ::-1], x[::2, :, ::-1]), (t[:, 1:4, 1], x[:, 1:4, 1])]
    for tv, xv in views:
        for axis in range(xv.ndim):
            check(name, xv, tf_op(name)(tv, axis=axis).numpy(), axis, False, False)
            y = tf_op(name)(tv, axis=axis, exclusive=True, reverse=True)
            check(name, xv, y.numpy(), axis, True, True)


@pytest.mark.parametrize("name", OPS)
@pytest.mark.parametrize("shape,axis", [((1, 64, 2048), 1), ((300, 400), 1),
                                        ((300, 400), 0), ((4, 100, 700), -2)])
def test_threaded_paths_match_numpy_and_one_thread(name: str, shape, axis: int) -> None:
    x = data(name, shape, np.float32, 9)
    many = tf_op(name)(x, axis=axis, reverse=True).numpy()
    n = _core.num_threads()
    _core.set_num_threads(1)
    try:
        one = tf_op(name)(x, axis=axis, reverse=True).numpy()
    finally:
        _core.set_num_threads(0)
    assert _core.num_threads() == n
    np.testing.assert_array_equal(many, one)
    check(name, x, many, axis, False, True)


def test_int_overflow_wraps_as_tf() -> None:
    # TF: cumsum([2**31 - 1, 1]) -> [2147483647, -2147483648];
    # cumprod([2**20] * 3) -> [1048576, 0, 0].
    np.testing.assert_array_equal(tf.cumsum(tf.constant([2**31 - 1, 1])).numpy(),
                                  [2147483647, -2147483648])
    np.testing.assert_array_equal(tf.math.cumprod(tf.constant([2**20] * 3)).numpy(),
                                  [1048576, 0, 0])


def test_inf_stays_inf_and_python_lists() -> None:
    # The old triangular-matmul cumsum gave [nan, nan, inf, inf] here (0 * inf).
    y = tf.cumsum([1.0, 2.0, INF, 3.0])
    assert y.dtype == tf.float32
    np.testing.assert_array_equal(y.numpy(), [1, 3, INF, INF])
    # TF: cumsum([inf, -inf, 1]) -> [inf, nan, nan];
    # cumprod([0, inf, 1]) -> [0, nan, nan]
    np.testing.assert_array_equal(tf.cumsum([INF, -INF, 1.0]).numpy(), [INF, NAN, NAN])
    np.testing.assert_array_equal(tf.math.cumprod([0.0, INF, 1.0]).numpy(),
                                  [0, NAN, NAN])
    np.testing.assert_array_equal(tf.math.cumprod([1.0, 2.0, INF, 3.0]).numpy(),
                                  [1, 2, INF, INF])
    assert tf.cumsum([1, 2, 3]).dtype == tf.int32


def test_exclusive_identities_as_tf() -> None:
    # Values from TF 2.21.
    x = [1.0, 2.0, 3.0]
    np.testing.assert_array_equal(tf.cumsum(x, exclusive=True).numpy(), [0, 1, 3])
    np.testing.assert_array_equal(tf.cumsum(x, exclusive=True, reverse=True).numpy(),
                                  [5, 3, 0])
    np.testing.assert_array_equal(tf.math.cumprod(x, exclusive=True).numpy(), [1, 1, 2])
    np.testing.assert_array_equal(
        tf.math.cumprod(x, exclusive=True, reverse=True).numpy(), [6, 3, 1])
    np.testing.assert_allclose(tf.math.cumulative_logsumexp(x, exclusive=True).numpy(),
                               [-INF, 1.0, 2.3132617], rtol=1e-7)
    np.testing.assert_allclose(
        tf.math.cumulative_logsumexp(x, exclusive=True, reverse=True).numpy(),
        [3.3132617, 3.0, -INF], rtol=1e-7)
    assert tf.math.cumprod(tf.zeros([0, 3]), exclusive=True).shape == (0, 3)


# (input, inclusive, exclusive) as TF 2.21's CPU kernel gives them:
# max + log1p(exp(min - max)) with std::min/max of (running value, x), so a NaN next to
# a number keeps the number, and inf with inf is NaN.
LSE_SPECIAL = [
    ([INF, INF], [INF, NAN], [-INF, INF]),
    ([-INF, -INF, 1.0], [-INF, -INF, 1.0], [-INF, -INF, -INF]),
    ([NAN, 1.0], [-INF, 1.0], [-INF, -INF]),
    ([1.0, NAN, 2.0], [1.0, 1.6931472, 2.5514448], [-INF, 1.0, 1.6931472]),
    ([INF, 1.0, -INF], [INF, INF, INF], [-INF, INF, INF]),
    ([1.0, INF, NAN], [1.0, INF, NAN], [-INF, 1.0, INF]),
    ([-INF, NAN], [-INF, -INF], [-INF, -INF]),
    ([INF, -INF, INF], [INF, INF, NAN], [-INF, INF, INF]),
]


@pytest.mark.parametrize("dtype", (np.float32, np.float64), ids=("float32", "float64"))
@pytest.mark.parametrize("x,inclusive,exclusive", LSE_SPECIAL)
def test_cumulative_logsumexp_special_values_as_tf(x, inclusive, exclusive,
                                                   dtype) -> None:
    t = tf.constant(np.array(x, dtype))
    np.testing.assert_allclose(tf.math.cumulative_logsumexp(t).numpy(), inclusive,
                               rtol=1e-6)
    np.testing.assert_allclose(tf.math.cumulative_logsumexp(t, exclusive=True).numpy(),
                               exclusive, rtol=1e-6)
    # Along a leading axis (the row kernel) too.
    cols = tf.constant(np.tile(np.array(x, dtype)[:, None], (1, 3)))
    np.testing.assert_allclose(tf.math.cumulative_logsumexp(cols, axis=0).numpy(),
                               np.tile(np.array(inclusive)[:, None], (1, 3)), rtol=1e-6)


def test_long_cumsum_is_fast_and_exact() -> None:
    # The matmul version asked for a 100000 x 100000 matrix (74.5 GiB).
    start = time.perf_counter()
    y = tf.cumsum(tf.ones([100000]))
    assert time.perf_counter() - start < 1.0
    np.testing.assert_array_equal(y.numpy(), np.arange(1, 100001, dtype=np.float32))
    y = tf.math.cumprod(tf.ones([100000], tf.float64), reverse=True)
    assert float(y[0]) == 1.0
    y = tf.math.cumulative_logsumexp(tf.zeros([100000], tf.float64))
    np.testing.assert_allclose(y.numpy()[[0, 9, 99999]], np.log([1, 10, 100000]),
                               rtol=1e-12)


def test_float32_cumsum_accumulates_in_float32_sequentially() -> None:
    # TF's float32 cumsum is numpy's sequential float32 accumulate, bit for bit (checked
    # on this seed's 1000 values); a float64 or pairwise sum would differ.
    x = np.random.default_rng(0).standard_normal(1000).astype(np.float32)
    got = tf.cumsum(x).numpy()
    np.testing.assert_array_equal(got, np.cumsum(x, dtype=np.float32))
    assert not np.array_equal(got, np.cumsum(x.astype(np.float64)).astype(np.float32))


# ---- arguments ---------------------------------------------------------------------


@pytest.mark.parametrize("name", OPS)
def test_axis_forms(name: str) -> None:
    x = np.arange(1.0, 7.0).reshape(2, 3)
    want = tf_op(name)(x, axis=1).numpy()
    # TF reads bools as ints and truncates numpy floats (a Python float is an error).
    for axis in (-1, np.int64(1), np.int32(-1), tf.constant(1),
                 tf.constant(-1, tf.int64), True, np.bool_(True), np.float64(1.5),
                 np.array(1.0)):
        np.testing.assert_array_equal(tf_op(name)(x, axis=axis).numpy(), want)
    np.testing.assert_array_equal(tf_op(name)(x).numpy(),
                                  tf_op(name)(x, axis=0).numpy())


@pytest.mark.parametrize("name", OPS)
def test_errors_as_tf(name: str) -> None:
    f = tf_op(name)
    # TF: InvalidArgumentError
    # "ScanOp: Expected scan axis in the range [0, 0), but got 0"
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"Expected scan axis in the range \[0, 0\), but got 0"):
        f(tf.constant(1.0))
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"Expected scan axis in the range \[-1, 1\), but got 1"):
        f([1.0, 2.0], axis=1)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"Expected scan axis in the range \[-2, 2\), but got -3"):
        f([[1.0, 2.0]], axis=tf.constant(-3))
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Value for attr 'T' of bool is not in the list"):
        f(tf.constant([True, False]))
    # TF: a Python float axis is a TypeError, a float tensor or a vector an
    # InvalidArgumentError, None a ValueError.
    with pytest.raises(TypeError,
                       match="Cannot convert 1.0 to EagerTensor of dtype int32"):
        f([1.0], axis=1.0)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Value for attr 'Tidx' of float is not in the list of "
                             "allowed values: int32, int64"):
        f([1.0], axis=tf.constant(0.0))
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"ScanOp: axis must be a scalar, not \[1\]"):
        f([1.0], axis=tf.constant([0]))
    with pytest.raises(ValueError):
        f([1.0], axis=None)


@pytest.mark.parametrize("dtype", (tf.int32, tf.int64))
def test_cumulative_logsumexp_is_float_only(dtype) -> None:
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=f"Value for attr 'T' of {dtype.name} is not in the "
                             "list of allowed values: float, double"):
        tf.math.cumulative_logsumexp(tf.constant([1, 2], dtype))


# ---- gradients -----------------------------------------------------------------------


def grad(fn, x, dy):
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = fn(x)
    return tape.gradient(y, x, output_gradients=tf.constant(dy)).numpy()


@pytest.mark.parametrize("axis", (0, 1, -1))
@pytest.mark.parametrize("exclusive,reverse", list(itertools.product((False, True),
                                                                      repeat=2)))
def test_cumsum_gradient_is_the_reverse_scan(axis: int, exclusive: bool,
                                             reverse: bool) -> None:
    rng = np.random.default_rng(1)
    x, dy = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    g = grad(lambda t: tf.cumsum(t, axis, exclusive, reverse), x, dy)
    np.testing.assert_allclose(g, reference("cumsum", dy, axis, exclusive, not reverse),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("x,exclusive,reverse,want", [
    # TF 2.21, output_gradients [1, 2, 3, 4][:n]; 0 where x == 0 (TF's div_no_nan).
    ([1.0, 0.0, 3.0, 4.0], False, False, [1.0, 0.0, 0.0, 0.0]),
    ([1.0, 0.0, 3.0, 0.0], False, False, [1.0, 0.0, 0.0, 0.0]),
    ([0.0, 2.0, 3.0], True, False, [0.0, 0.0, 0.0]),
    ([2.0, 0.0, 3.0], False, True, [0.0, 0.0, 3.0]),
    ([2.0, 0.0, 3.0], True, True, [0.0, 0.0, 2.0]),
])
def test_cumprod_gradient_as_tf_at_zeros(x, exclusive, reverse, want) -> None:
    dy = np.array([1.0, 2.0, 3.0, 4.0][:len(x)], np.float32)
    g = grad(lambda t: tf.math.cumprod(t, exclusive=exclusive, reverse=reverse),
             np.array(x, np.float32), dy)
    np.testing.assert_array_equal(g, want)


@pytest.mark.parametrize("exclusive,reverse", list(itertools.product((False, True),
                                                                      repeat=2)))
def test_cumprod_gradient_matches_numpy_away_from_zero(exclusive: bool,
                                                       reverse: bool) -> None:
    rng = np.random.default_rng(2)
    x, dy = rng.uniform(0.5, 2.0, (3, 5)) * rng.choice([-1, 1], (3, 5)), \
        rng.standard_normal((3, 5))
    g = grad(lambda t: tf.math.cumprod(t, 1, exclusive, reverse), x, dy)
    # d/dx_i sum_k dy_k y_k = sum over outputs k that include x_i of dy_k y_k / x_i.
    y = reference("cumprod", x, 1, exclusive, reverse)
    want = reference("cumsum", y * dy, 1, exclusive, not reverse) / x
    np.testing.assert_allclose(g, want, rtol=1e-12)


@pytest.mark.parametrize("exclusive,reverse,dy,want", [
    # TF 2.21 on x = [1, -2, 3] (float32).
    (False, False, [1.0, 2.0, 3.0], [3.2606475, 0.1125510, 2.6268020]),
    (False, False, [1.0, -2.0, 0.0], [-0.9051483, -0.0948517, 0.0]),
    (True, False, [1.0, 2.0, 3.0], [4.8577228, 0.1422776, 0.0]),
    (True, False, [1.0, -2.0, 0.0], [-2.0, 0.0, 0.0]),
    (True, True, [1.0, 2.0, 3.0], [0.0, 0.0066929, 2.9933071]),
    (True, True, [1.0, -2.0, 0.0], [0.0, 0.0066929, -1.0066929]),
])
def test_cumulative_logsumexp_gradient_as_tf(exclusive, reverse, dy, want) -> None:
    g = grad(lambda t: tf.math.cumulative_logsumexp(t, exclusive=exclusive,
                                                     reverse=reverse),
             np.array([1.0, -2.0, 3.0], np.float32), np.array(dy, np.float32))
    np.testing.assert_allclose(g, want, rtol=2e-6, atol=1e-6)


@pytest.mark.parametrize("name", OPS)
def test_native_walk_uses_the_python_rules(name: str) -> None:
    x = tf.constant(np.random.default_rng(3).uniform(0.5, 1.5, (2, 4)))

    def grads():
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reduce_sum(tf.square(tf_op(name)(x, axis=1, reverse=True)))
        return tape.gradient(y, x)

    native, python = native_and_python(grads)
    np.testing.assert_array_equal(native.numpy(), python.numpy())


def test_integer_scans_record_nothing() -> None:
    x = tf.constant([1, 2, 3])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.cumsum(x)
    assert tape.gradient(y, x) is None


# ---- GPU -----------------------------------------------------------------------------


@pytest.mark.skipif(_core.cuda_device_count() == 0, reason="no GPU")
@pytest.mark.parametrize("name", OPS)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_gpu_matches_cpu(name: str, dtype) -> None:
    if name == "cumulative_logsumexp" and np.issubdtype(dtype, np.integer):
        pytest.skip("float only")
    fn = getattr(_core, name)
    for seed, shape in enumerate(SHAPES + ((3, 50, 70),)):
        x = data(name, shape, dtype, seed)
        for axis in range(len(shape)):
            for exclusive, reverse in itertools.product((False, True), repeat=2):
                want = np.asarray(fn(_core.from_numpy(x), axis, exclusive, reverse))
                out = fn(_core.to_device(_core.from_numpy(x), "GPU:0"), axis, exclusive,
                         reverse)
                got = np.asarray(_core.to_device(out, "CPU:0"))
                if name == "cumulative_logsumexp":  # the device's libm
                    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
                else:
                    np.testing.assert_array_equal(got, want)
