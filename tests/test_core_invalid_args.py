"""Invalid arguments raise TF 2.21's error class (with the gist of its message), never
a silently wrong result or an exception from the machinery underneath (numpy,
pybind11). Every expected class and message below was checked against TF 2.21."""

from __future__ import annotations

import functools

import numpy as np
import pytest

import tapeflow as tf

IA = tf.errors.InvalidArgumentError
RE = tf.errors.ResourceExhaustedError
OUT_OF_RANGE = "out-of-range integer"


def _nested(depth: int):
    return functools.reduce(lambda a, _: [a], range(depth), 1)


# ---- converting Python and numpy values -------------------------------------------
@pytest.mark.parametrize(("value", "exc", "match"), [
    ([1, 2**63], ValueError, OUT_OF_RANGE),
    (2**63, ValueError, OUT_OF_RANGE),
    (-2**63 - 1, ValueError, OUT_OF_RANGE),
    (2**64, ValueError, OUT_OF_RANGE),
    ([[1], [1, 2]], ValueError, "non-rectangular"),
    ([[1], 2], ValueError, "non-rectangular"),
    ([1, [2]], ValueError, "mixed types"),
    ([True, 2], ValueError, "mixed types"),
    ([True, 2.5], ValueError, "mixed types"),
    ([np.bool_(True), 1], ValueError, "mixed types"),
    ([1, None], ValueError, "mixed types"),
    (["a", 1], ValueError, "mixed types"),
    ([None], ValueError, r"Attempt to convert a value \(None\)"),
    ({"a": 1}, ValueError, "unsupported type"),
    (object(), ValueError, "unsupported type"),
    (np.array([object()]), ValueError, "Unsupported object type object"),
    (np.array([1, 2], dtype=object), ValueError, "Unsupported object type int"),
    (_nested(65), IA, "64"),
    (_nested(2000), IA, "64"),  # (TF itself aborts the process here)
    # no string/complex dtype: TF's ops reject these with InvalidArgumentError
    ("abc", IA, "string"),
    (["a", "b"], IA, "string"),
    (np.array(["a"]), IA, "str"),
    (1j, IA, "complex"),
    # no unsigned dtypes: a uint64 above int64's range cannot be represented
    (np.array([2**63], np.uint64), ValueError, "uint64"),
    (np.uint64(2**63), ValueError, "uint64"),
])
def test_constant_refuses_what_tf_refuses(value, exc, match):
    with pytest.raises(exc, match=match):
        tf.constant(value)


@pytest.mark.parametrize(("call", "exc", "match"), [
    (lambda: tf.abs(2**64), ValueError, OUT_OF_RANGE),
    (lambda: tf.abs(2**63), ValueError, OUT_OF_RANGE),
    (lambda: tf.add(tf.constant(1, tf.int64), 2**63), ValueError, OUT_OF_RANGE),
    (lambda: tf.constant(2**63, dtype=tf.int64), ValueError, OUT_OF_RANGE),
    (lambda: tf.constant("a", dtype=tf.float32), TypeError,
     "Cannot convert 'a' to EagerTensor of dtype float"),
    (lambda: tf.convert_to_tensor(["a"], dtype=tf.int32), TypeError, "dtype int32"),
    (lambda: tf.constant(1.) + "a", IA, "string"),
    (lambda: tf.abs("a"), IA, "string"),
    (lambda: tf.constant("abc") + 1, IA, "string"),
])
def test_conversion_errors_in_ops(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parametrize(("value", "kwargs", "expected"), [
    ([1, 2**63 - 1], {}, np.array([1, 2**63 - 1], np.int64)),
    (-2**63, {}, np.int64(-2**63)),
    ([2**64], {"dtype": tf.float32}, np.array([2.0**64], np.float32)),
    ([1.5, 2**64], {}, np.array([1.5, 2.0**64], np.float32)),
    ([2**70], {"dtype": tf.float64}, np.array([2.0**70])),
    (2**31, {"dtype": tf.int32}, np.int32(-2**31)),  # TF wraps an explicit int32 too
    ([np.float64(1.5), 2], {}, np.array([1.5, 2.0])),  # numpy float64 kept, as TF
    (np.array([5], np.uint64), {}, np.array([5], np.int64)),
    (np.array([2**63], np.uint64), {"dtype": tf.int64}, np.array([-2**63], np.int64)),
    (_nested(64), {}, np.ones((1,) * 64, np.int32)),
    ([], {}, np.zeros([0], np.float32)),
])
def test_constant_values_match_tf(value, kwargs, expected):
    got = tf.constant(value, **kwargs)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got.numpy(), expected)


def test_big_python_ints_with_float_tensors():
    """A Python int beyond int64 meets a float tensor as a float, as in TF."""
    got = tf.constant(1.) + 2**64
    assert got.dtype == tf.float32 and float(got) == np.float32(2.0**64)


# ---- shape, axis and count arguments ----------------------------------------------
T = tf.ones([2, 3])


def _jacobian_twice():
    x = tf.constant([1., 2.])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    tape.jacobian(y, x)
    return tape.jacobian(y, x)


def _batch_jacobian_twice():
    x = tf.ones([2, 3])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * 2.
    tape.batch_jacobian(y, x)
    return tape.batch_jacobian(y, x)


def _gradient_of_none():
    x = tf.constant([1., 2.])
    with tf.GradientTape() as tape:
        tape.watch(x)
    return tape.gradient(None, x)


def _batch_jacobian_mismatch():
    x = tf.ones([2, 3])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.ones([3, 3]) * tf.reduce_sum(x)
    return tape.batch_jacobian(y, x)


INVALID = [
    # (id, call, TF's class, the gist of TF's message)
    ("split-axis", lambda: tf.split(tf.ones([4]), 2, axis=3), IA,
     r"-input rank\(-1\) <= split_dim < input rank \(1\), but got 3"),
    ("split-axis-neg", lambda: tf.split(tf.ones([4]), 2, axis=-2), IA, "but got -2"),
    ("split-sizes-axis", lambda: tf.split(T, [1, 2], axis=3), IA, "split_dim"),
    ("split-scalar", lambda: tf.split(tf.constant(1.), 1), IA, "split_dim"),
    ("split-zero", lambda: tf.split(T, 0, axis=1), IA, "num_split' of 0"),
    ("split-neg-size", lambda: tf.split(T, [-2, 5], axis=1), IA, "must be >= 0"),
    ("split-two-unknown", lambda: tf.split(T, [-1, -1, 3], axis=1), IA, "only be one -1"),
    ("split-float-num", lambda: tf.split(T, 3.0, axis=1), ValueError, "Rank-0"),
    ("split-float-axis", lambda: tf.split(T, 3, axis=1.0), TypeError, "dtype int32"),
    ("repeat-axis", lambda: tf.repeat(T, 2, axis=3), ValueError,
     "axis=3 out of bounds: expected -2<=axis<2"),
    ("repeat-neg", lambda: tf.repeat(T, -1, axis=0), IA, ">= 0"),
    ("repeat-float", lambda: tf.repeat(T, 2.0, axis=0), TypeError, "must be of type integer"),
    ("repeat-float-axis", lambda: tf.repeat(T, 2, axis=1.0), TypeError, "must be an int"),
    ("repeat-counts", lambda: tf.repeat(T, [1, 2, 3], axis=0), ValueError, "not compatible"),
    ("pad-reflect", lambda: tf.pad([1., 2.], [[3, 3]], "REFLECT"), IA,
     "paddings must be less than the dimension size: 3, 3 not less than 2"),
    ("pad-reflect-equal", lambda: tf.pad([1., 2.], [[2, 0]], "REFLECT"), IA,
     "2, 0 not less than 2"),
    ("pad-symmetric", lambda: tf.pad([1., 2.], [[3, 3]], "SYMMETRIC"), IA,
     "no greater than the dimension size: 3, 3 greater than 2"),
    ("pad-reflect-empty", lambda: tf.pad(tf.zeros([0]), [[1, 1]], "REFLECT"), IA,
     "not less than 0"),
    ("pad-mode", lambda: tf.pad([1., 2.], [[1, 0]], "FOO"), ValueError, "`mode` = FOO"),
    ("pad-rank", lambda: tf.pad([1., 2.], [[1, 0], [1, 1]]), IA, "rank of inputs"),
    ("pad-columns", lambda: tf.pad(T, [1, 1]), IA, "matrix with 2 columns"),
    ("pad-float", lambda: tf.pad(T, [[1.0, 0], [0, 0]]), IA, "'Tpaddings' of float"),
    ("index-true", lambda: T[True], ValueError, "mask cannot be scalar"),
    ("index-false", lambda: T[False], ValueError, "mask cannot be scalar"),
    ("index-bool-tensor", lambda: T[tf.constant(True)], ValueError, "mask cannot be scalar"),
    ("index-2**63", lambda: T[2**63], ValueError, OUT_OF_RANGE),
    ("index--2**63-1", lambda: T[-2**63 - 1], ValueError, OUT_OF_RANGE),
    ("slice-2**63", lambda: T[2**63:], ValueError, OUT_OF_RANGE),
    ("slice-step-2**63", lambda: T[::2**63], ValueError, OUT_OF_RANGE),
    ("index-2**40", lambda: T[2**40], IA, "out of bounds"),
    ("zeros-float", lambda: tf.zeros([2.9]), TypeError,
     r"Cannot convert \[2.9\] to EagerTensor of dtype int32"),
    ("zeros-float-scalar", lambda: tf.zeros(2.5), TypeError, "dtype int32"),
    ("ones-float", lambda: tf.ones((2.0, 1)), TypeError, "dtype int32"),
    ("zeros-str", lambda: tf.zeros(["a"]), TypeError, "dtype int32"),
    ("zeros-none", lambda: tf.zeros([None]), ValueError, "None"),
    ("zeros-nested", lambda: tf.zeros([[2]]), IA, "vector"),
    ("zeros-float-tensor", lambda: tf.zeros(tf.constant([2.0])), IA, "of float"),
    ("zeros-neg", lambda: tf.zeros([-1]), IA, "Dimension -1 must be >= 0"),
    ("zeros-2**63", lambda: tf.zeros([2**63]), ValueError, OUT_OF_RANGE),
    ("zeros-too-many", lambda: tf.zeros([2**40, 2**40]), IA,
     r"would have more than 2\*\*63 - 1 elements"),
    ("reshape-float", lambda: tf.reshape(T, [6.0]), IA, "'Tshape' of float"),
    ("reshape-2**63", lambda: tf.reshape(T, [2**63]), ValueError, OUT_OF_RANGE),
    ("fill-float", lambda: tf.fill([2.5], 1.), IA, "'index_type' of float"),
    ("broadcast-float", lambda: tf.broadcast_to(1., [2.0]), IA, "'Tidx' of float"),
    ("tile-float", lambda: tf.tile(T, [1.0, 1.0]), IA, "'Tmultiples' of float"),
    ("transpose-float", lambda: tf.transpose(T, [1.0, 0.0]), IA, "'Tperm' of float"),
    ("gather-float-axis", lambda: tf.gather(T, [0], axis=1.0), IA, "'Taxis' of float"),
    ("expand-float-axis", lambda: tf.expand_dims(T, 1.0), TypeError, "dtype int32"),
    ("concat-float-axis", lambda: tf.concat([T, T], 1.0), TypeError, "dtype int32"),
    ("one-hot-float-depth", lambda: tf.one_hot([1], 2.0), TypeError, "dtype int32"),
    ("one-hot-neg-depth", lambda: tf.one_hot([1], -1), IA, "depth must be non-negative"),
    ("unstack-axis", lambda: tf.unstack(T, axis=5), ValueError,
     r"Argument `axis` = 5 not in range \[-2, 2\)"),
    ("unstack-num", lambda: tf.unstack(T, num=5), IA, "must equal 5"),
    ("eye-float", lambda: tf.eye(2.0), TypeError, "must be positive integer values"),
    ("eye-neg", lambda: tf.eye(-1), IA, "Dimension -1 must be >= 0"),
    ("eye-batch-neg", lambda: tf.eye(2, batch_shape=[-1]), IA, "must be >= 0"),
    ("linspace-float-num", lambda: tf.linspace(0., 1., 3.0), TypeError,
     "must be of type integer"),
    ("linspace-neg", lambda: tf.linspace(0., 1., -1), IA, "-1"),
    ("range-neg-delta", lambda: tf.range(0, 5, -1), IA,
     "Requires start >= limit when delta < 0: 0/5"),
    ("range-zero-delta", lambda: tf.range(0, 5, 0), IA, "Requires delta != 0"),
    ("range-nan", lambda: tf.range(0., float("nan")), IA, "Requires start <= limit"),
    ("range-inf", lambda: tf.range(0., float("inf")), IA, "9223372036854775807"),
    ("range-float-as-int", lambda: tf.range(0.5, 3, dtype=tf.int32), TypeError,
     "Cannot convert 0.5 to EagerTensor of dtype int32"),
    ("range-2**63", lambda: tf.range(2**63), ValueError, OUT_OF_RANGE),
    ("tensorshape-neg", lambda: tf.TensorShape([-5]), ValueError,
     "Dimension -5 must be >= 0"),
    ("tensorshape-float", lambda: tf.TensorShape([2.5]), TypeError,
     "Dimension value must be integer or None"),
    ("tensorshape-float-scalar", lambda: tf.TensorShape(2.0), TypeError,
     "Dimension value must be integer"),
    ("tensorshape-str", lambda: tf.TensorShape(["a"]), TypeError, "Dimension value"),
    ("tensorshape-nested", lambda: tf.TensorShape([[2]]), TypeError, "Dimension value"),
    ("constant-shape-float", lambda: tf.constant(1., shape=[2.0]), TypeError,
     "Dimension value"),
    ("constant-shape-neg", lambda: tf.constant(1., shape=[-2]), ValueError,
     "Dimension -2 must be >= 0"),
    ("bias-2d", lambda: tf.nn.bias_add(T, tf.ones([1, 3])), IA, r"Biases must be 1D: \[1,3\]"),
    ("bias-scalar", lambda: tf.nn.bias_add(T, 1.), IA, "Biases must be 1D"),
    ("bias-mismatch", lambda: tf.nn.bias_add(T, tf.ones([2])), IA,
     r"as many biases as the last dimension of the input tensor: \[2\] vs. \[2,3\]"),
    ("bias-nchw-mismatch", lambda: tf.nn.bias_add(tf.ones([2, 3, 4]), tf.ones([4]),
                                                  data_format="NCHW"), IA, "as many biases"),
    ("bias-1d-value", lambda: tf.nn.bias_add(tf.ones([3]), tf.ones([3])), IA,
     "at least 2D"),
    ("bias-format", lambda: tf.nn.bias_add(T, tf.ones([3]), data_format="XYZ"), ValueError,
     "data_format"),
    ("clip-bounds-beyond-t", lambda: tf.clip_by_value(tf.ones([3]), tf.zeros([2, 3]), 2.),
     ValueError, r"Shapes \(3,\) and \(2, 3\) are incompatible"),
    ("transpose-short-perm", lambda: tf.transpose(tf.ones([2]), []), IA,
     "expects a vector of size 1"),
    ("transpose-perm-range", lambda: tf.transpose(tf.ones([2]), [-2]), IA, "out of range"),
    ("pad-constant-str", lambda: tf.pad(T, [[1, 1], [1, 1]], constant_values="a"),
     TypeError, "Cannot convert 'a' to EagerTensor of dtype float"),
    ("jacobian-twice", _jacobian_twice, RuntimeError, "non-persistent GradientTape"),
    ("batch-jacobian-twice", _batch_jacobian_twice, RuntimeError, "non-persistent"),
    ("gradient-none", _gradient_of_none, TypeError, "received None"),
    ("batch-jacobian-mismatch", _batch_jacobian_mismatch, ValueError,
     r"Need first dimension of target shape \(\(3, 3\)\) and source shape \(\(2, 3\)\)"),
]


@pytest.mark.parametrize(("call", "exc", "match"),
                         [pytest.param(*c[1:], id=c[0]) for c in INVALID])
def test_invalid_arguments_raise_tf_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# ---- sizes beyond memory: TF's OOM class, not numpy's MemoryError ----------------
@pytest.mark.parametrize("call", [
    lambda: tf.fill([2**63 - 1], 1.),
    lambda: tf.fill([2**40], 1.),
    lambda: tf.broadcast_to(1., [2**40]),
    lambda: tf.broadcast_to(1., [2**63 - 1]),
    lambda: tf.constant(1., shape=[2**40]),
    lambda: tf.repeat(tf.ones([2]), 2**40),  # (TF overflows to an empty result)
    lambda: tf.linspace(0., 1., 2**40),  # (TF overflows to an empty result)
    lambda: tf.eye(2**20, 2**20),
    lambda: tf.range(0, 2**62),
    lambda: tf.zeros([2**62]),
], ids=["fill-2**63", "fill-2**40", "broadcast-2**40", "broadcast-2**63", "constant",
        "repeat", "linspace", "eye", "range", "zeros"])
def test_sizes_beyond_memory_raise_resource_exhausted(call):
    with pytest.raises(RE):
        call()


# ---- valid edge cases keep TF's values -----------------------------------------------
@pytest.mark.parametrize(("call", "expected"), [
    # TF infers int64 when a bound needs it (2**53 does not wrap to [0, 1, 2, 3])
    (lambda: tf.range(2**53, 2**53 + 4), np.arange(2**53, 2**53 + 4, dtype=np.int64)),
    (lambda: tf.range(2**31 - 2, 2**31 + 1), np.array([2**31 - 2, 2**31 - 1, 2**31])),
    (lambda: tf.range(0, 2**40, 2**39), np.array([0, 2**39])),
    (lambda: tf.range(-2**40, -2**40 + 2), np.array([-2**40, -2**40 + 1])),
    (lambda: tf.range(tf.constant(3, tf.int64)), np.arange(3, dtype=np.int64)),
    (lambda: tf.range(0, 3, dtype=tf.float64), np.arange(3, dtype=np.float64)),
    (lambda: tf.range(5, 0, -2), np.array([5, 3, 1], np.int32)),
    (lambda: tf.range(0., 1., 0.25), np.arange(0, 1, 0.25, dtype=np.float32)),
    # TF's clip_by_value takes min(t, max) first: where min > max, the result is min
    (lambda: tf.clip_by_value(tf.constant([1., 5.]), 4, 2), np.array([4., 4.], np.float32)),
    (lambda: tf.clip_by_value(tf.constant([1, 5]), 4, 2), np.array([4, 4], np.int32)),
    (lambda: tf.clip_by_value(tf.constant([1., 5.]), tf.constant([4., 0.]),
                              tf.constant([2., 3.])), np.array([4., 3.], np.float32)),
    (lambda: tf.pad([1., 2.], [[1, 1]], "REFLECT"), np.array([2., 1., 2., 1.], np.float32)),
    (lambda: tf.pad([1., 2.], [[2, 2]], "SYMMETRIC"),
     np.array([2., 1., 1., 2., 2., 1.], np.float32)),
    (lambda: tf.pad([1., 2.], [[1, 1]], "symmetric"), np.array([1., 1., 2., 2.], np.float32)),
    (lambda: tf.repeat(tf.constant(1.), 2, axis=0), np.array([1., 1.], np.float32)),
    (lambda: tf.repeat(tf.constant([[1., 2.], [3., 4.]]), [1, 2], axis=0),
     np.array([[1., 2.], [3., 4.], [3., 4.]], np.float32)),
    (lambda: tf.squeeze(tf.ones([1, 2]), 0.0), np.ones([2], np.float32)),
    (lambda: tf.zeros(tf.constant([2], tf.int64)), np.zeros([2], np.float32)),
    (lambda: tf.zeros([2**31, 0]), np.zeros([2**31, 0], np.float32)),
    (lambda: tf.linspace(0., 1., 0), np.zeros([0], np.float32)),
    (lambda: tf.eye(0), np.zeros([0, 0], np.float32)),
    (lambda: tf.nn.bias_add(tf.ones([2, 3, 4]), tf.constant([1., 2., 3.]),
                            data_format="NCHW"),
     np.ones([2, 3, 4], np.float32) + np.array([1., 2., 3.], np.float32)[:, None]),
    (lambda: T[0, True], np.float32(1.0)),  # a bool inside a tuple is the index 1
    # TF infers the -1 of an empty reshape from the input's nonzero dims (rounded down)
    (lambda: tf.reshape(tf.zeros([0, 2]), [0, -1]), np.zeros([0, 2], np.float32)),
    (lambda: tf.reshape(tf.zeros([0, 2, 3]), [0, -1, 4]), np.zeros([0, 1, 4], np.float32)),
])
def test_edge_cases_match_tf(call, expected):
    got = call()
    expected = np.asarray(expected)
    assert got.dtype == expected.dtype, (got.dtype, expected.dtype)
    np.testing.assert_array_equal(got.numpy(), expected)


def test_tensorshape_accepts_what_tf_accepts():
    assert tf.TensorShape([None, 3]).as_list() == [None, 3]
    assert tf.TensorShape(np.array([2, 3])) == (2, 3)
    assert tf.TensorShape(tf.constant([2, 3])) == (2, 3)
    assert tf.TensorShape(5) == (5,)
    assert tf.TensorShape([2**63]).as_list() == [2**63]
