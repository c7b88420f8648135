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
