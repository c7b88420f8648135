"""The tf-style Tensor API (issue 3): creation, dtype inference, Tensor protocol, numpy
interop, operators with TF's type rules, indexing, namespaces, errors/config/device.

Expected values are numpy references or literals read off TensorFlow 2.21 (the oracle);
TensorFlow itself is not imported.
"""

from __future__ import annotations

import operator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tapeflow as tf

errors = tf.errors


def check(t, expected, dtype):
    """t is a tapeflow Tensor of `dtype` whose value equals `expected` exactly."""
    assert isinstance(t, tf.Tensor), type(t)
    assert t.dtype == dtype, (t.dtype, dtype)
    expected = np.asarray(expected)
    assert tuple(t.shape) == expected.shape
    np.testing.assert_array_equal(t.numpy(), expected)


def close(t, expected, dtype=tf.float32, rtol=2e-6, atol=1e-6):
    assert isinstance(t, tf.Tensor), type(t)
    assert t.dtype == dtype, (t.dtype, dtype)
    expected = np.asarray(expected)
    assert tuple(t.shape) == expected.shape
    np.testing.assert_allclose(t.numpy(), expected, rtol=rtol, atol=atol, equal_nan=True)


# ====================================================================================
# Creation and dtype inference
# ====================================================================================
class TestConstant:
    def test_list(self):
        check(tf.constant([1, 2, 3]), [1, 2, 3], tf.int32)

    def test_float_list(self):
        check(tf.constant([1.0, 2.0, 3.0]), np.float32([1, 2, 3]), tf.float32)

    def test_nested(self):
        check(tf.constant([[1, 2], [3, 4]]), [[1, 2], [3, 4]], tf.int32)
        t = tf.constant([[[1.0], [2.0]], [[3.0], [4.0]]])
        assert t.shape == (2, 2, 1)

    def test_scalars(self):
        check(tf.constant(3.0), np.float32(3.0), tf.float32)
        check(tf.constant(3), np.int32(3), tf.int32)
        check(tf.constant(True), True, tf.bool)
        assert tf.constant(3.0).shape == ()

    def test_bool_list(self):
        check(tf.constant([True, False]), [True, False], tf.bool)

    def test_numpy_arrays_keep_dtype(self):
        check(tf.constant(np.array([1.0, 2.0])), [1.0, 2.0], tf.float64)
        check(tf.constant(np.array([1.0, 2.0], dtype=np.float32)), [1.0, 2.0], tf.float32)
        check(tf.constant(np.array([1, 2])), [1, 2], tf.int64)
        check(tf.constant(np.array([1, 2], dtype=np.int32)), [1, 2], tf.int32)
        check(tf.constant(np.array([True, False])), [True, False], tf.bool)

    def test_numpy_input_is_copied(self):
        a = np.array([1.0, 2.0], dtype=np.float32)
        t = tf.constant(a)
        a[0] = 100.0
        np.testing.assert_array_equal(t.numpy(), [1.0, 2.0])

    def test_dtype_argument(self):
        check(tf.constant([1, 2], dtype=tf.float32), [1.0, 2.0], tf.float32)
        check(tf.constant([1, 2], dtype="float64"), [1.0, 2.0], tf.float64)
        check(tf.constant(np.array([1.7, -1.7]), dtype=tf.int32), [1, -1], tf.int32)

    def test_float_list_to_int_dtype_is_type_error(self):
        with pytest.raises(TypeError, match="Cannot convert"):
            tf.constant([1.5, 2], dtype=tf.int32)

    def test_shape_broadcasts_a_scalar(self):
        check(tf.constant(1.0, shape=(2, 3)), np.ones((2, 3), np.float32), tf.float32)
        check(tf.constant(7, shape=[3]), [7, 7, 7], tf.int32)

    def test_shape_reshapes(self):
        check(tf.constant([1, 2, 3, 4, 5, 6], shape=[2, 3]), [[1, 2, 3], [4, 5, 6]], tf.int32)

    def test_shape_mismatch_is_type_error(self):
        # TF: "Eager execution of tf.constant with unsupported shape..."
        with pytest.raises(TypeError, match="unsupported shape"):
            tf.constant([1, 2, 3], shape=[2, 2])

    def test_empty(self):
        t = tf.constant([])
        assert t.dtype == tf.float32 and t.shape == (0,)

    def test_from_tensor(self):
        t = tf.constant([1.0, 2.0])
        check(tf.constant(t), [1.0, 2.0], tf.float32)

    def test_from_tensor_with_other_dtype_is_type_error(self):
        # TF 2.21: TypeError "Expected tensor [1 2] with dtype tf.float32, but got dtype
        # tf.int32." (tf.constant does not cast Tensors).
        with pytest.raises(TypeError, match="Expected tensor"):
            tf.constant(tf.constant([1, 2]), dtype=tf.float32)

    def test_none_is_value_error(self):
        with pytest.raises(ValueError, match="None"):
            tf.constant(None)

    def test_ragged_is_value_error(self):
        with pytest.raises(ValueError, match="non-rectangular"):
            tf.constant([[1, 2], [3]])


@pytest.mark.parametrize(
    "make, dtype",
    [
        (lambda: tf.constant(1.5), tf.float32),
        (lambda: tf.constant([1.5, 2.5]), tf.float32),
        (lambda: tf.constant(1), tf.int32),
        (lambda: tf.constant([1, 2]), tf.int32),
        (lambda: tf.constant(2**31 - 1), tf.int32),
        (lambda: tf.constant(2**31), tf.int64),
        (lambda: tf.constant(2**40), tf.int64),
        (lambda: tf.constant([1, 2**40]), tf.int64),
        (lambda: tf.constant(-(2**31) - 1), tf.int64),
        (lambda: tf.constant([1, 2.5]), tf.float32),
        (lambda: tf.constant([[1, 2], [3.0, 4]]), tf.float32),
        (lambda: tf.constant(True), tf.bool),
        (lambda: tf.constant(np.array([1.0])), tf.float64),
        (lambda: tf.constant(np.float64(1.0)), tf.float64),
        (lambda: tf.constant(np.array([1])), tf.int64),
        (lambda: tf.convert_to_tensor(1.0), tf.float32),
        (lambda: tf.convert_to_tensor([1, 2]), tf.int32),
        (lambda: tf.convert_to_tensor(np.zeros(2)), tf.float64),
        (lambda: tf.linspace(0, 1, 5), tf.float64),
        (lambda: tf.linspace(0.0, 1.0, 5), tf.float32),
        (lambda: tf.range(5), tf.int32),
        (lambda: tf.range(0.0, 1.0, 0.25), tf.float32),
        (lambda: tf.range(3, dtype=tf.float64), tf.float64),
        (lambda: tf.ones((2,)), tf.float32),
        (lambda: tf.zeros((2,)), tf.float32),
        (lambda: tf.eye(2), tf.float32),
        (lambda: tf.fill([2], 9), tf.int32),
        (lambda: tf.fill([2], 1.5), tf.float32),
    ],
)
def test_dtype_inference(make, dtype):
    t = make()
    assert isinstance(t, tf.Tensor)
    assert t.dtype == dtype


class TestConvertToTensor:
    def test_list(self):
        check(tf.convert_to_tensor([1.0, 2.0]), [1.0, 2.0], tf.float32)

    def test_tensor_is_returned_as_is(self):
        t = tf.constant([1.0])
        assert tf.convert_to_tensor(t) is t

    def test_tensor_with_other_dtype_is_value_error(self):
        with pytest.raises(ValueError, match="Tensor conversion requested dtype float32 "
                                             "for Tensor with dtype int32"):
            tf.convert_to_tensor(tf.constant([1, 2]), dtype=tf.float32)

    def test_python_float_to_int_is_type_error(self):
        with pytest.raises(TypeError, match="Cannot convert 1.5 to EagerTensor of dtype int32"):
            tf.convert_to_tensor(1.5, dtype=tf.int32)

    def test_python_int_to_float(self):
        check(tf.convert_to_tensor(1, dtype=tf.float32), np.float32(1.0), tf.float32)

    def test_variable(self):
        v = tf.Variable([1.0, 2.0])
        t = tf.convert_to_tensor(v)
        assert type(t) is tf.Tensor or isinstance(t, tf.Tensor)
        check(t, [1.0, 2.0], tf.float32)

    def test_list_of_tensors_is_stacked(self):
        check(tf.convert_to_tensor([tf.constant(1.0), tf.constant(2.0)]), [1.0, 2.0], tf.float32)
        check(tf.convert_to_tensor([tf.constant([1, 2]), tf.constant([3, 4])]),
              [[1, 2], [3, 4]], tf.int32)

    def test_dtype_hint(self):
        check(tf.convert_to_tensor([1, 2], dtype_hint=tf.float32), [1.0, 2.0], tf.float32)
        # A hint the value cannot take is dropped.
        check(tf.convert_to_tensor([1.5], dtype_hint=tf.int32), [1.5], tf.float32)

    def test_none(self):
        with pytest.raises(ValueError):
            tf.convert_to_tensor(None)


class TestCreationOps:
    def test_ones_zeros(self):
        check(tf.ones((2, 3)), np.ones((2, 3), np.float32), tf.float32)
        check(tf.ones([2], dtype=tf.int32), [1, 1], tf.int32)
        check(tf.zeros(shape=(2, 1)), np.zeros((2, 1), np.float32), tf.float32)
        check(tf.zeros(3), np.zeros(3, np.float32), tf.float32)
        check(tf.zeros([2], dtype=tf.bool), [False, False], tf.bool)
        check(tf.ones(tf.constant([2, 2])), np.ones((2, 2), np.float32), tf.float32)
        check(tf.zeros(tf.TensorShape([1, 2])), np.zeros((1, 2), np.float32), tf.float32)
        check(tf.ones(()), np.float32(1), tf.float32)

    def test_like(self):
        check(tf.ones_like(tf.constant([[1, 2]])), [[1, 1]], tf.int32)
        check(tf.zeros_like(tf.constant([1.5, 2.0])), [0.0, 0.0], tf.float32)
        check(tf.ones_like(tf.constant([1, 2]), dtype=tf.float64), [1.0, 1.0], tf.float64)
        check(tf.zeros_like(np.ones((2, 2))), np.zeros((2, 2)), tf.float64)
        check(tf.ones_like(tf.Variable([1.0, 2.0, 3.0])), [1.0, 1.0, 1.0], tf.float32)

    def test_fill(self):
        check(tf.fill([2, 3], 9), np.full((2, 3), 9), tf.int32)
        check(tf.fill((2,), 1.5), [1.5, 1.5], tf.float32)
        check(tf.fill([2], tf.constant(2.0, tf.float64)), [2.0, 2.0], tf.float64)

    @pytest.mark.parametrize("args", [(5,), (1, 10, 3), (10, 1, -3), (-3, 3), (0, 0)])
    def test_range_int(self, args):
        check(tf.range(*args), np.arange(*args), tf.int32)

    def test_range_float(self):
        close(tf.range(0.0, 1.0, 0.25), [0.0, 0.25, 0.5, 0.75])
        check(tf.range(3, dtype=tf.float64), [0.0, 1.0, 2.0], tf.float64)
        check(tf.range(tf.constant(4)), [0, 1, 2, 3], tf.int32)

    def test_range_zero_delta(self):
        with pytest.raises(errors.InvalidArgumentError, match="Requires delta != 0"):
            tf.range(0, 5, 0)

    def test_linspace(self):
        close(tf.linspace(0, 1, 5), np.linspace(0, 1, 5), tf.float64, rtol=1e-12)
        close(tf.linspace(0.0, 1.0, 5), np.linspace(0, 1, 5))
        close(tf.linspace(-1.0, 4.0, 100), np.linspace(-1, 4, 100), rtol=1e-6)
        close(tf.linspace(tf.constant(0.0, tf.float64), 2.0, 3), [0.0, 1.0, 2.0], tf.float64)

    def test_eye(self):
        check(tf.eye(3), np.eye(3, dtype=np.float32), tf.float32)
        check(tf.eye(2, 3, dtype=tf.int32), np.eye(2, 3, dtype=np.int32), tf.int32)
        check(tf.eye(2, batch_shape=[2]), np.stack([np.eye(2)] * 2).astype(np.float32),
              tf.float32)

    def test_identity(self):
        t = tf.constant([1, 2])
        check(tf.identity(t), [1, 2], tf.int32)
        v = tf.Variable([1.0, 2.0])
        snap = tf.identity(v)
        v.assign([5.0, 6.0])
        check(snap, [1.0, 2.0], tf.float32)


# ====================================================================================
# TensorShape and DType
# ====================================================================================
class TestTensorShape:
    t = None

    def setup_method(self):
        self.t = tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])

    def test_equality_with_tuples_and_lists(self):
        s = self.t.shape
        assert isinstance(s, tf.TensorShape)
        assert s == (2, 3)
        assert s == [2, 3]
        assert s == tf.TensorShape([2, 3])
        assert s != (3, 2)
        assert not (s == (2,))
        assert s != [2, 3, 1]

    def test_accessors(self):
        s = self.t.shape
        assert s.rank == 2 and s.ndims == 2
        assert s.as_list() == [2, 3]
        assert s[0] == 2 and s[-1] == 3
        assert s[1:] == (3,) and isinstance(s[1:], tf.TensorShape)
        assert len(s) == 2 and list(s) == [2, 3] and tuple(s) == (2, 3)
        assert s.num_elements() == 6 and s.is_fully_defined()
        assert self.t.get_shape() == s

    def test_text(self):
        assert str(self.t.shape) == "(2, 3)"
        assert repr(self.t.shape) == "TensorShape([2, 3])"
        assert str(tf.constant(1.0).shape) == "()"
        assert repr(tf.constant(1.0).shape) == "TensorShape([])"
        assert str(tf.constant([1]).shape) == "(1,)"
        assert repr(tf.constant([1]).shape) == "TensorShape([1])"
        assert repr(self.t.shape[1:]) == "TensorShape([3])"
        assert str(tf.TensorShape([None, 3])) == "(None, 3)"
        assert repr(tf.TensorShape([None, 3])) == "TensorShape([None, 3])"
        assert str(tf.TensorShape(None)) == "<unknown>"
        assert repr(tf.TensorShape(None)) == "TensorShape(None)"

    def test_partial(self):
        s = tf.TensorShape([None, 3])
        assert s.rank == 2 and not s.is_fully_defined() and s.num_elements() is None
        assert tf.TensorShape(None).rank is None
        assert s.is_compatible_with((5, 3)) and not s.is_compatible_with((5, 4))

    def test_hashable(self):
        assert {tf.TensorShape([2, 3]): 1}[tf.TensorShape([2, 3])] == 1


class TestDType:
    def test_text(self):
        for d, name in [(tf.float32, "float32"), (tf.float64, "float64"), (tf.int32, "int32"),
                        (tf.int64, "int64"), (tf.bool, "bool")]:
            assert repr(d) == f"tf.{name}"
            assert str(d) == f"<dtype: '{name}'>"
            assert d.name == name
        assert tf.double is tf.float64 or tf.double == tf.float64

    def test_comparisons(self):
        d = tf.constant([1.0]).dtype
        assert d == tf.float32
        assert d == "float32"
        assert d == np.float32
        assert d != tf.float64
        assert d != "int32"
        assert not (d == None)  # noqa: E711
        assert d.is_floating and not d.is_integer
        assert d.as_numpy_dtype is np.float32
        assert d.size == 4
        assert tf.int32.is_integer
        assert len({tf.float32, tf.float32, tf.int32}) == 2

    def test_as_dtype(self):
        assert tf.as_dtype("float32") == tf.float32
        assert tf.as_dtype(np.int64) == tf.int64
        assert tf.as_dtype(np.dtype("float64")) == tf.float64
        assert tf.dtypes.as_dtype("bool") == tf.bool

    def test_min_max(self):
        assert tf.int32.min == -(2**31) and tf.int32.max == 2**31 - 1


# ====================================================================================
# The Tensor protocol
# ====================================================================================
class TestTensorProtocol:
    def setup_method(self):
        self.t = tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])

    def test_numpy_is_a_writable_copy(self):
        a = self.t.numpy()
        assert type(a) is np.ndarray and a.dtype == np.float32
        assert a.flags.writeable
        a[0, 0] = 99.0
        assert self.t.numpy()[0, 0] == 1.0

    def test_numpy_of_scalar_is_numpy_scalar(self):
        a = tf.constant(3.0).numpy()
        assert type(a) is np.float32 and a == 3.0
        b = tf.constant(3).numpy()
        assert type(b) is np.int32 and b == 3
        assert type(tf.constant(True).numpy()) is np.bool_

    def test_ndim_len(self):
        assert self.t.ndim == 2
        assert tf.constant(1.0).ndim == 0
        assert len(self.t) == 2
        assert len(tf.zeros((0, 3))) == 0

    def test_len_of_scalar(self):
        with pytest.raises(TypeError, match="Scalar tensor has no `len\\(\\)`"):
            len(tf.constant(1.0))

    def test_iteration(self):
        rows = list(self.t)
        assert len(rows) == 2
        assert all(isinstance(r, tf.Tensor) for r in rows)
        np.testing.assert_array_equal(rows[1].numpy(), [4.0, 5.0, 6.0])
        a, b = tf.constant([7, 8])
        assert int(a) == 7 and int(b) == 8

    def test_iteration_of_scalar(self):
        with pytest.raises(TypeError, match="Cannot iterate over a scalar tensor"):
            list(tf.constant(1.0))

    def test_python_scalars(self):
        assert float(tf.constant(2.5)) == 2.5
        assert int(tf.constant(7)) == 7
        assert int(tf.constant(2.7)) == 2
        assert int(tf.constant(-2.7)) == -2
        assert bool(tf.constant(0.0)) is False
        assert bool(tf.constant([3])) is True
        assert bool(tf.constant([[0.0]])) is False
        assert type(float(tf.constant(1))) is float

    def test_float_of_non_scalar(self):
        msg = "only 0-dimensional arrays can be converted to Python scalars"
        with pytest.raises(TypeError, match=msg):
            float(self.t)
        with pytest.raises(TypeError, match=msg):
            int(self.t)
        # As TF 2.21 with numpy 2: even one-element tensors of rank >= 1 refuse.
        with pytest.raises(TypeError, match=msg):
            float(tf.constant([2.5]))
        with pytest.raises(TypeError, match=msg):
            int(tf.constant([[2]]))

    def test_bool_of_multi_element(self):
        with pytest.raises(ValueError, match="ambiguous"):
            bool(self.t)
        with pytest.raises(ValueError, match="ambiguous"):
            if tf.constant([True, False]):
                pass

    def test_bool_of_empty_tensor_is_false(self):
        # TF 2.21: bool(tf.constant([])) and bool(tf.zeros((0, 3))) are False.
        assert bool(tf.constant([])) is False
        assert bool(tf.zeros((0, 3))) is False

    def test_index_protocol(self):
        assert [10, 20, 30][tf.constant(1)] == 20
        assert list(range(5))[tf.constant(1):tf.constant(3)] == [1, 2]

    def test_hash_is_type_error(self):
        with pytest.raises(TypeError, match="Tensor is unhashable. Instead, use tensor.ref"):
            hash(self.t)
        with pytest.raises(TypeError):
            {self.t: 1}  # noqa: B018
        with pytest.raises(TypeError):
            set([self.t])

    def test_ref_as_dict_key(self):
        t, u = self.t, tf.constant(1.0)
        d = {t.ref(): 1, u.ref(): 2}
        assert d[t.ref()] == 1 and d[u.ref()] == 2
        assert t.ref().deref() is t
        assert t.ref() == t.ref()
        assert t.ref() != u.ref()
        # Equal values, different tensors: different keys.
        w = tf.constant(1.0)
        assert w.ref() not in d

    def test_item_assignment_is_type_error(self):
        with pytest.raises(TypeError, match="object does not support item assignment"):
            self.t[0, 0] = 0.0
        np.testing.assert_array_equal(self.t.numpy()[0, 0], 1.0)

    def test_is_tensor(self):
        assert tf.is_tensor(self.t)
        assert tf.is_tensor(tf.Variable(1.0))
        assert not tf.is_tensor(np.ones(2))
        assert not tf.is_tensor(1.0)
        assert isinstance(self.t, tf.Tensor)
        assert not isinstance(tf.Variable(1.0), tf.Tensor)

    @pytest.mark.host_only

    def test_device(self):
        assert self.t.device == "/job:localhost/replica:0/task:0/device:CPU:0"

    def test_copy(self):
        import copy

        assert copy.copy(self.t) is self.t
        assert copy.deepcopy(self.t) is self.t

    def test_cannot_construct_directly(self):
        with pytest.raises(TypeError):
            tf.Tensor([1])


class TestNumpyInterop:
    def setup_method(self):
        self.t = tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])

    @pytest.mark.host_only

    def test_asarray_is_read_only_zero_copy(self):
        a = np.asarray(self.t)
        assert a.dtype == np.float32 and a.tolist() == [[1, 2, 3], [4, 5, 6]]
        assert not a.flags.writeable
        assert np.shares_memory(np.asarray(self.t), np.asarray(self.t))
        with pytest.raises(ValueError):
            a[0, 0] = 5.0

    def test_array_copy_true_is_writable(self):
        a = np.array(self.t, copy=True)
        assert a.flags.writeable
        a[0, 0] = 5.0
        assert self.t.numpy()[0, 0] == 1.0
        assert not np.shares_memory(a, np.asarray(self.t))

    def test_array_default_copies(self):
        a = np.array(self.t)
        assert a.flags.writeable and not np.shares_memory(a, np.asarray(self.t))

    @pytest.mark.host_only

    def test_array_copy_false(self):
        a = np.array(self.t, copy=False)
        assert np.shares_memory(a, np.asarray(self.t))

    def test_dunder_array_keywords(self):
        assert self.t.__array__().dtype == np.float32
        np.testing.assert_array_equal(self.t.__array__(np.int32), [[1, 2, 3], [4, 5, 6]])
        assert self.t.__array__(np.int32).dtype == np.int32
        assert self.t.__array__(copy=True).flags.writeable
        assert np.asarray(self.t, dtype=np.float64).dtype == np.float64

    def test_ufuncs_return_ndarrays(self):
        r = np.exp(self.t)
        assert type(r) is np.ndarray and r.dtype == np.float32
        np.testing.assert_allclose(r, np.exp(self.t.numpy()), rtol=1e-6)
        r = np.add(self.t, 1)
        assert type(r) is np.ndarray and r.dtype == np.float32
        np.testing.assert_array_equal(np.maximum(self.t, 3.0), [[3, 3, 3], [4, 5, 6]])

    def test_numpy_functions(self):
        assert float(np.sum(self.t)) == 21.0
        np.testing.assert_array_equal(np.mean(self.t, axis=0), [2.5, 3.5, 4.5])
        assert np.concatenate([self.t, self.t]).shape == (4, 3)
        assert np.array([self.t, self.t]).shape == (2, 2, 3)


# ====================================================================================
# Operators and TF's dtype rules
# ====================================================================================
A = np.array([[1.0, -2.0], [3.0, 4.0]], np.float32)
B = np.array([[0.5, 2.0], [-1.0, 3.0]], np.float32)
IA = np.array([7, -7, 5, -5], np.int32)
IB = np.array([2, 2, -3, -3], np.int32)

BINARY = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "//": operator.floordiv, "%": operator.mod, "**": operator.pow,
}


def np_ref(op, x, y):
    with np.errstate(all="ignore"):
        return BINARY[op](x, y)


@pytest.mark.parametrize("op", list(BINARY))
class TestBinaryOperators:
    def test_tensor_tensor_float(self, op):
        r = BINARY[op](tf.constant(A), tf.constant(B))
        close(r, np_ref(op, A, B), tf.float32)

    def test_tensor_tensor_int(self, op):
        if op == "**":
            ib = np.abs(IB)
            r = BINARY[op](tf.constant(IA), tf.constant(ib))
            check(r, IA ** ib, tf.int32)
            return
        r = BINARY[op](tf.constant(IA), tf.constant(IB))
        if op == "/":  # int32 / int32 is true division to float64
            close(r, IA.astype(np.float64) / IB, tf.float64, rtol=1e-15)
        else:
            check(r, np_ref(op, IA, IB), tf.int32)

    def test_float_tensor_with_python_float(self, op):
        # A Python float never promotes a float32 tensor to float64.
        close(BINARY[op](tf.constant(A), 2.5), np_ref(op, A, np.float32(2.5)))
        close(BINARY[op](2.5, tf.constant(A)), np_ref(op, np.float32(2.5), A))

    def test_float_tensor_with_python_int(self, op):
        close(BINARY[op](tf.constant(A), 2), np_ref(op, A, np.float32(2)))
        close(BINARY[op](2, tf.constant(A)), np_ref(op, np.float32(2), A))

    def test_int_tensor_with_python_int(self, op):
        if op == "**":
            check(tf.constant(IA) ** 3, IA ** 3, tf.int32)
            check(3 ** tf.constant(np.abs(IB)), 3 ** np.abs(IB), tf.int32)
            return
        if op == "/":
            close(tf.constant(IA) / 3, IA / 3.0, tf.float64, rtol=1e-15)
            close(3 / tf.constant(IB), 3.0 / IB, tf.float64, rtol=1e-15)
            return
        check(BINARY[op](tf.constant(IA), 3), np_ref(op, IA, np.int32(3)), tf.int32)
        check(BINARY[op](3, tf.constant(IB)), np_ref(op, np.int32(3), IB), tf.int32)

    def test_float32_tensor_with_float64_ndarray(self, op):
        # The ndarray takes the tensor's dtype, on either side; the result is a Tensor.
        c = np.array([[1.0, 2.0], [3.0, 4.0]])
        r = BINARY[op](tf.constant(A), c)
        close(r, np_ref(op, A, c.astype(np.float32)))
        r = BINARY[op](c, tf.constant(A))
        close(r, np_ref(op, c.astype(np.float32), A))

    def test_with_numpy_scalar(self, op):
        close(BINARY[op](tf.constant(A), np.float32(2.0)), np_ref(op, A, np.float32(2.0)))

    def test_int_tensor_with_int64_ndarray(self, op):
        if op in ("**", "/"):
            return
        c = np.array([1, 2, 3, 4])
        check(BINARY[op](tf.constant(IA), c), np_ref(op, IA, c.astype(np.int32)), tf.int32)


def test_matmul_operator():
    close(tf.constant(A) @ tf.constant(B), A @ B)
    close(tf.constant(A) @ np.eye(2, dtype=np.float32), A)
    r = np.eye(2, dtype=np.float32) @ tf.constant(A)
    close(r, A)
    r = np.eye(2) @ tf.constant(A)  # float64 ndarray takes the tensor's dtype
    close(r, A)
    check(tf.constant([[1, 2]]) @ tf.constant([[3], [4]]), [[11]], tf.int32)


def test_int32_true_division_is_float64():
    r = tf.constant([1, 2, 3]) / tf.constant([2, 2, 2])
    check(r, [0.5, 1.0, 1.5], tf.float64)
    r = tf.constant([1], tf.int64) / tf.constant([4], tf.int64)
    check(r, [0.25], tf.float64)


def test_float_division_by_zero():
    check(tf.constant([1.0, -1.0]) / 0.0, [np.inf, -np.inf], tf.float32)
    assert np.isnan((tf.constant([0.0]) / 0.0).numpy()[0])


def test_integer_division_by_zero_is_invalid_argument():
    with pytest.raises(errors.InvalidArgumentError, match="Integer division by zero"):
        tf.constant([1]) // tf.constant([0])
    with pytest.raises(errors.InvalidArgumentError, match="Integer division by zero"):
        tf.constant([1]) % tf.constant([0])


def test_integer_to_negative_power_is_invalid_argument():
    with pytest.raises(errors.InvalidArgumentError,
                       match="Integers to negative integer powers are not allowed"):
        tf.constant([2]) ** -1


class TestTypeRules:
    def test_float32_plus_python_float_stays_float32(self):
        r = tf.constant([1.0, 2.0]) + 0.1
        assert r.dtype == tf.float32
        np.testing.assert_array_equal(r.numpy(), np.float32([1, 2]) + np.float32(0.1))

    def test_float32_plus_int32_tensor(self):
        with pytest.raises(errors.InvalidArgumentError,
                           match=r"cannot compute AddV2 as input #1\(zero-based\) was expected "
                                 r"to be a float tensor but is a int32 tensor"):
            tf.constant([1.0, 2.0, 3.0]) + tf.constant([1, 2, 3])
        with pytest.raises(errors.InvalidArgumentError,
                           match="expected to be a int32 tensor but is a float tensor"):
            tf.constant([1, 2, 3]) + tf.constant([1.0, 2.0, 3.0])

    def test_float32_plus_float64_tensor(self):
        with pytest.raises(errors.InvalidArgumentError,
                           match="expected to be a float tensor but is a double tensor"):
            tf.constant([1.0]) + tf.constant([1.0], dtype=tf.float64)

    def test_int32_plus_int64_tensor(self):
        with pytest.raises(errors.InvalidArgumentError,
                           match="expected to be a int32 tensor but is a int64 tensor"):
            tf.constant([1]) + tf.constant([1], dtype=tf.int64)

    def test_int32_tensor_plus_python_float(self):
        with pytest.raises(errors.InvalidArgumentError,
                           match="expected to be a int32 tensor but is a float tensor"):
            tf.constant([1, 2]) + 1.5

    def test_python_float_times_int32_tensor(self):
        with pytest.raises(TypeError, match="Cannot convert 1.5 to EagerTensor of dtype int32"):
            1.5 * tf.constant([1, 2])

    def test_int32_tensor_times_python_float(self):
        # TF 2.21: TypeError "Cannot convert 1.5 to EagerTensor of dtype int32" (unlike +).
        with pytest.raises(TypeError, match="Cannot convert 1.5 to EagerTensor of dtype int32"):
            tf.constant([1, 2]) * 1.5

    def test_int32_tensor_equals_python_float(self):
        # TF 2.21: TypeError "Cannot convert 1.5 to EagerTensor of dtype int32".
        with pytest.raises(TypeError, match="Cannot convert 1.5"):
            tf.constant([1, 2]) == 1.5

    def test_bool_arithmetic_is_invalid_argument(self):
        with pytest.raises(errors.InvalidArgumentError):
            tf.constant([True]) + tf.constant([False])

    def test_list_operands(self):
        check(tf.constant([1, 2]) + [10, 20], [11, 22], tf.int32)
        check([10, 20] + tf.constant([1, 2]), [11, 22], tf.int32)

    def test_broadcasting(self):
        r = tf.constant([[1.0], [2.0]]) + tf.constant([10.0, 20.0, 30.0])
        check(r, np.float32([[11, 21, 31], [12, 22, 32]]), tf.float32)

    def test_broadcast_mismatch(self):
        with pytest.raises(errors.InvalidArgumentError, match="Incompatible shapes"):
            tf.constant([1.0, 2.0]) + tf.constant([1.0, 2.0, 3.0])

    def test_matmul_mismatch(self):
        with pytest.raises(errors.InvalidArgumentError, match="Matrix size-incompatible"):
            tf.ones((2, 3)) @ tf.ones((2, 3))

    def test_reshape_mismatch(self):
        with pytest.raises(errors.InvalidArgumentError,
                           match="Input to reshape is a tensor with 6 values, but the "
                                 "requested shape has 8"):
            tf.reshape(tf.range(6), (4, 2))


class TestUnaryAndLogical:
    def test_neg_abs(self):
        check(-tf.constant(A), -A, tf.float32)
        check(-tf.constant(IA), -IA, tf.int32)
        check(abs(tf.constant(A)), np.abs(A), tf.float32)
        check(abs(tf.constant(IA)), np.abs(IA), tf.int32)

    @pytest.mark.parametrize("op", ["<", "<=", ">", ">=", "==", "!="])
    def test_comparisons(self, op):
        fn = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
              "==": operator.eq, "!=": operator.ne}[op]
        check(fn(tf.constant(A), tf.constant(B)), fn(A, B), tf.bool)
        check(fn(tf.constant(A), 1.0), fn(A, np.float32(1)), tf.bool)
        check(fn(1.0, tf.constant(A)), fn(np.float32(1), A), tf.bool)
        r = fn(np.ones((2, 2)), tf.constant(A))
        check(r, fn(np.ones((2, 2), np.float32), A), tf.bool)
        check(fn(tf.constant(IA), 5), fn(IA, 5), tf.bool)

    def test_eq_with_incompatible_shapes_is_scalar_false(self):
        r = tf.constant([1.0, 2.0]) == tf.constant([1.0, 2.0, 3.0])
        check(r, False, tf.bool)
        r = tf.constant([1.0, 2.0]) != tf.constant([1.0, 2.0, 3.0])
        check(r, True, tf.bool)

    def test_less_with_incompatible_shapes_raises(self):
        with pytest.raises(errors.InvalidArgumentError, match="Incompatible shapes"):
            tf.constant([1.0, 2.0]) < tf.constant([1.0, 2.0, 3.0])

    def test_eq_none(self):
        assert (tf.constant([1.0, 2.0]) == None) is False  # noqa: E711
        assert (tf.constant([1.0, 2.0]) != None) is True  # noqa: E711

    def test_eq_broadcasts(self):
        r = tf.constant([[1.0], [2.0]]) == tf.constant([1.0, 2.0])
        check(r, [[True, False], [False, True]], tf.bool)

    def test_eq_dtype_mismatch(self):
        with pytest.raises(errors.InvalidArgumentError, match="cannot compute Equal"):
            tf.constant([1.0, 2.0]) == tf.constant([1, 2])

    def test_bool_operators(self):
        p = tf.constant([True, True, False, False])
        q = tf.constant([True, False, True, False])
        pn, qn = p.numpy(), q.numpy()
        check(p & q, pn & qn, tf.bool)
        check(p | q, pn | qn, tf.bool)
        check(p ^ q, pn ^ qn, tf.bool)
        check(~p, ~pn, tf.bool)
        check(p & True, pn, tf.bool)
        check(False | p, pn, tf.bool)
        check((tf.constant(A) > 0) & (tf.constant(B) > 0), (A > 0) & (B > 0), tf.bool)

    def test_invert_int_is_bitwise(self):
        check(~tf.constant(IA), ~IA, tf.int32)

    def test_and_on_ints_is_bitwise(self):
        # TF 2.21: `&` on int32 tensors is bitwise_and -> [2, 0, 5].
        check(tf.constant([7, -7, 5]) & tf.constant([2, 2, -3]), [2, 0, 5], tf.int32)


# ====================================================================================
# Indexing
# ====================================================================================
X = np.arange(24, dtype=np.int32).reshape(2, 3, 4)


@pytest.mark.parametrize(
    "key",
    [
        0, -1, (1, 2), (0, -1, -2), (slice(None), 1), (Ellipsis, 1), (1, Ellipsis),
        slice(None, None, -1), (slice(None), slice(None, None, -2)),
        (slice(None), slice(None), slice(1, 3)), (slice(None), None), (None, 0),
        (None, Ellipsis, None), (0, slice(None), None), (slice(1, None), slice(1, None),
                                                         slice(None, None, 3)),
        (slice(None), slice(-1, 0, -1)), slice(5, 10), (slice(None), slice(10, None)),
        slice(-10, None), (Ellipsis, slice(None, None, -1), 0), (0, 0, 0), Ellipsis,
        slice(None), np.int64(1), (np.int32(1), np.int64(-1)),
    ],
    ids=repr,
)
def test_indexing_matches_numpy(key):
    t = tf.constant(X)
    r = t[key]
    assert isinstance(r, tf.Tensor)
    check(r, X[key], tf.int32)


def test_newaxis():
    t = tf.constant(X)
    assert tf.newaxis is None
    assert t[tf.newaxis, 0].shape == (1, 3, 4)
    assert t[..., tf.newaxis].shape == (2, 3, 4, 1)


def test_scalar_tensor_index():
    t = tf.constant(X)
    check(t[tf.constant(1)], X[1], tf.int32)
    check(t[tf.constant(1), tf.constant(-1)], X[1, -1], tf.int32)
    check(t[tf.constant(1, tf.int64)], X[1], tf.int32)
    check(t[:, tf.constant(1):tf.constant(3)], X[:, 1:3], tf.int32)


def test_bool_mask_index():
    x = tf.constant([1, 2, 3, 4])
    check(x[tf.constant([True, False, True, False])], [1, 3], tf.int32)
    check(x[np.array([True, False, True, False])], [1, 3], tf.int32)
    check(tf.constant(X)[tf.constant([False, True])], X[[1]], tf.int32)
    check(x[x > 2], [3, 4], tf.int32)


@pytest.mark.parametrize("key", [2, (0, 3), (0, 0, 4), -3, (0, 0, 0, 0)], ids=repr)
def test_index_out_of_range(key):
    with pytest.raises(errors.InvalidArgumentError, match="out of bounds|out of range"):
        tf.constant(X)[key]


def test_index_a_scalar():
    with pytest.raises(errors.InvalidArgumentError):
        tf.constant(5.0)[0]


def test_index_errors_messages():
    with pytest.raises(errors.InvalidArgumentError,
                       match="slice index 2 of dimension 0 out of bounds"):
        tf.constant(X)[2]
    with pytest.raises(errors.InvalidArgumentError,
                       match="Index out of range using input dim 3; input has only 3 dims"):
        tf.constant(X)[0, 0, 0, 0]


def test_boolean_mask():
    t = tf.constant([[1, 2], [3, 4], [5, 6]])
    check(tf.boolean_mask(t, [True, False, True]), [[1, 2], [5, 6]], tf.int32)
    check(tf.boolean_mask(tf.constant([[1, 2], [3, 4]]),
                          tf.constant([[True, False], [False, True]])), [1, 4], tf.int32)
    check(tf.boolean_mask(tf.constant([[1, 2, 3], [4, 5, 6]]), [True, False, True], axis=1),
          [[1, 3], [4, 6]], tf.int32)
    check(tf.boolean_mask(t, [False, False, False]), np.zeros((0, 2), np.int32), tf.int32)
    with pytest.raises(ValueError):
        tf.boolean_mask(tf.constant([1, 2, 3]), [True, False])


def test_gather():
    check(tf.gather(tf.constant([10, 20, 30, 40]), [3, 0, 0]), [40, 10, 10], tf.int32)
    m = tf.constant([[1, 2, 3], [4, 5, 6]])
    check(tf.gather(m, [2, 0], axis=1), [[3, 1], [6, 4]], tf.int32)
    check(tf.gather(m, [1], axis=-1), [[2], [5]], tf.int32)
    check(tf.gather(tf.constant([10.0, 20.0, 30.0]), [[0, 1], [2, 2]]),
          np.float32([[10, 20], [30, 30]]), tf.float32)
    check(tf.gather(m, [[0, 1], [2, 2]], axis=1), m.numpy()[:, [[0, 1], [2, 2]]], tf.int32)
    check(tf.gather(tf.constant([10, 20, 30]), tf.constant([2, 1], tf.int64)), [30, 20],
          tf.int32)


def test_gather_out_of_range():
    with pytest.raises(errors.InvalidArgumentError, match=r"indices\[0\] = 3 is not in \[0, 3\)"):
        tf.gather(tf.constant([10, 20, 30]), [3])
    with pytest.raises(errors.InvalidArgumentError, match=r"indices\[0\] = -1 is not in \[0, 3\)"):
        tf.gather(tf.constant([10, 20, 30]), [-1])


@st.composite
def array_and_key(draw):
    shape = draw(st.lists(st.integers(1, 5), min_size=1, max_size=3))
    ndim = len(shape)
    n_real = draw(st.integers(0, ndim))
    use_ellipsis = draw(st.booleans())
    items = []
    for d in shape[:n_real]:
        kind = draw(st.sampled_from(["int", "slice", "slice"]))
        if kind == "int":
            items.append(draw(st.integers(-d, d - 1)))
        else:
            bound = st.none() | st.integers(-d - 2, d + 2)
            step = draw(st.none() | st.integers(-3, 3).filter(lambda s: s != 0))
            items.append(slice(draw(bound), draw(bound), step))
    if use_ellipsis:  # after the real items, which index the leading dimensions
        items.append(Ellipsis)
    n_new = draw(st.integers(0, 2))
    for _ in range(n_new):
        items.insert(draw(st.integers(0, len(items))), None)
    return shape, tuple(items)


@settings(max_examples=30, deadline=None)
@given(array_and_key())
def test_indexing_hypothesis(case):
    shape, key = case
    a = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    r = tf.constant(a)[key]
    assert isinstance(r, tf.Tensor)
    check(r, a[key], tf.float32)


# ====================================================================================
# Namespaces
# ====================================================================================
XM = np.array([[0.5, -1.5, 2.0], [3.0, 0.25, -4.0]], np.float32)
YM = np.array([[1.0, 2.0, -0.5], [0.75, -3.0, 2.0]], np.float32)
PM = np.abs(XM)
X64 = XM.astype(np.float64)


@pytest.mark.parametrize(
    "name, ref",
    [
        ("add", np.add), ("subtract", np.subtract), ("multiply", np.multiply),
        ("divide", np.divide), ("truediv", np.divide), ("maximum", np.maximum),
        ("minimum", np.minimum), ("floordiv", np.floor_divide), ("floormod", np.mod),
        ("squared_difference", lambda x, y: (x - y) ** 2),
    ],
)
def test_math_binary(name, ref):
    close(getattr(tf.math, name)(tf.constant(XM), tf.constant(YM)), ref(XM, YM))


def test_math_pow():
    close(tf.math.pow(tf.constant(PM), tf.constant(YM)), np.power(PM, YM), rtol=5e-6)
    check(tf.math.pow(tf.constant([2, 3]), 2), [4, 9], tf.int32)
    close(tf.pow(tf.constant([4.0, 9.0]), 0.5), [2.0, 3.0])


@pytest.mark.parametrize(
    "name, ref",
    [
        ("equal", np.equal), ("not_equal", np.not_equal), ("greater", np.greater),
        ("greater_equal", np.greater_equal), ("less", np.less),
        ("less_equal", np.less_equal),
    ],
)
def test_math_comparisons(name, ref):
    check(getattr(tf.math, name)(tf.constant(XM), tf.constant(YM)), ref(XM, YM), tf.bool)
    check(getattr(tf.math, name)(tf.constant(XM), 0.5), ref(XM, np.float32(0.5)), tf.bool)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


@pytest.mark.parametrize(
    "name, ref, arg",
    [
        ("square", np.square, XM), ("sqrt", np.sqrt, PM), ("exp", np.exp, XM),
        ("log", np.log, PM), ("abs", np.abs, XM), ("tanh", np.tanh, XM),
        ("sigmoid", _sigmoid, XM), ("sign", np.sign, XM), ("floor", np.floor, XM),
        ("ceil", np.ceil, XM), ("negative", np.negative, XM),
        ("reciprocal", np.reciprocal, XM), ("rsqrt", lambda x: 1 / np.sqrt(x), PM),
        ("log1p", np.log1p, PM), ("expm1", np.expm1, XM), ("sin", np.sin, XM),
        ("cos", np.cos, XM), ("softplus", lambda x: np.log1p(np.exp(x)), XM),
    ],
)
def test_math_unary(name, ref, arg):
    r = getattr(tf.math, name)(tf.constant(arg))
    close(r, ref(arg.astype(np.float64)), rtol=2e-6, atol=1e-7)
    r64 = getattr(tf.math, name)(tf.constant(arg.astype(np.float64)))
    close(r64, ref(arg.astype(np.float64)), tf.float64, rtol=1e-13, atol=1e-15)


def test_math_round_is_half_to_even():
    check(tf.math.round(tf.constant([0.5, 1.5, 2.5, -0.5, -1.5, 2.7])),
          np.float32([0.0, 2.0, 2.0, -0.0, -2.0, 3.0]), tf.float32)


def test_math_predicates():
    v = tf.constant([1.0, np.nan, np.inf, -np.inf])
    check(tf.math.is_nan(v), [False, True, False, False], tf.bool)
    check(tf.math.is_finite(v), [True, False, False, False], tf.bool)
    check(tf.math.is_inf(v), [False, False, True, True], tf.bool)


REDUCTIONS = {
    "reduce_sum": np.sum, "reduce_mean": np.mean, "reduce_max": np.max,
    "reduce_min": np.min, "reduce_prod": np.prod,
    "reduce_logsumexp": lambda x, axis=None, keepdims=False: np.log(
        np.sum(np.exp(x), axis=axis, keepdims=keepdims)),
    "reduce_std": np.std, "reduce_variance": np.var,
}


@pytest.mark.parametrize("name", list(REDUCTIONS))
@pytest.mark.parametrize("axis, keepdims", [(None, False), (0, False), (1, True),
                                            ([-1, 0], False), (-1, False)])
def test_math_reductions(name, axis, keepdims):
    ref = REDUCTIONS[name](X64, axis=tuple(axis) if isinstance(axis, list) else axis,
                           keepdims=keepdims)
    r = getattr(tf.math, name)(tf.constant(XM), axis=axis, keepdims=keepdims)
    close(r, ref, rtol=3e-6)
    top = getattr(tf, name, None)
    if top is not None:
        close(top(tf.constant(XM), axis, keepdims), ref, rtol=3e-6)


def test_reduce_logsumexp_oracle():
    # TF 2.21 values.
    close(tf.math.reduce_logsumexp(tf.constant(XM)), np.float32(3.422593116760254))
    close(tf.math.reduce_logsumexp(tf.constant(XM), axis=0),
          np.float32([3.078889846801758, 0.41022419929504395, 2.0024757385253906]))
    close(tf.math.reduce_logsumexp(tf.constant([1000.0, 1000.0])), 1000.0 + np.log(2.0))


def test_reduce_mean_of_ints_truncates():
    check(tf.reduce_mean(tf.constant([1, 2, 4])), np.int32(2), tf.int32)
    check(tf.reduce_mean(tf.constant([[1, 2], [4, 7]]), axis=1), [1, 5], tf.int32)
    check(tf.reduce_sum(tf.constant([[1, 2], [4, 7]])), np.int32(14), tf.int32)
    check(tf.reduce_max(tf.constant([[1, 5], [3, 2]]), axis=0), [3, 5], tf.int32)


def test_reductions_of_empty():
    check(tf.reduce_sum(tf.zeros((0,))), np.float32(0), tf.float32)
    check(tf.reduce_max(tf.zeros((0,))), np.float32(-np.inf), tf.float32)
    assert np.isnan(tf.reduce_mean(tf.zeros((0,))).numpy())


def test_reduce_bad_axis():
    with pytest.raises(errors.InvalidArgumentError,
                       match=r"Invalid reduction dimension \(2 for input with 1 dimension"):
        tf.reduce_sum(tf.constant([1.0, 2.0]), axis=2)


def test_reduce_all_any():
    b = tf.constant([[True, False], [True, True]])
    check(tf.reduce_all(b, axis=1), [False, True], tf.bool)
    check(tf.reduce_any(b, axis=1), [True, True], tf.bool)
    check(tf.math.reduce_all(b), False, tf.bool)


def test_argmax_argmin():
    check(tf.math.argmax(tf.constant(XM)), np.argmax(XM, axis=0), tf.int64)
    check(tf.math.argmax(tf.constant(XM), axis=1), [2, 0], tf.int64)
    check(tf.math.argmin(tf.constant(XM), axis=1), [1, 2], tf.int64)
    check(tf.argmax(tf.constant(XM), axis=1, output_type=tf.int32), [2, 0], tf.int32)
    check(tf.argmin(tf.constant([3, 1, 2])), np.int64(1), tf.int64)


def test_math_misc():
    close(tf.math.add_n([tf.constant(XM), tf.constant(YM), tf.constant(XM)]), 2 * XM + YM)
    close(tf.math.cumsum(tf.constant(XM), axis=1), np.cumsum(XM, axis=1))
    check(tf.math.count_nonzero(tf.constant([0, 1, 2, 0])), np.int64(2), tf.int64)
    close(tf.math.l2_normalize(tf.constant(XM), axis=1),
          XM / np.linalg.norm(X64, axis=1, keepdims=True))
    check(tf.math.logical_xor(tf.constant([True, False]), tf.constant([True, True])),
          [False, True], tf.bool)
    close(tf.math.divide_no_nan(tf.constant([1.0, 2.0]), tf.constant([0.0, 4.0])), [0.0, 0.5])


# ---- tf.nn --------------------------------------------------------------------------
def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def test_nn_activations():
    x = tf.constant(XM * 3)
    x64 = X64 * 3
    close(tf.nn.relu(x), np.maximum(x64, 0))
    check(tf.nn.relu(tf.constant([-1, 0, 2])), [0, 0, 2], tf.int32)
    close(tf.nn.sigmoid(x), _sigmoid(x64))
    close(tf.nn.tanh(x), np.tanh(x64))
    close(tf.nn.softmax(x), _softmax(x64), atol=1e-7)
    close(tf.nn.softmax(tf.constant(XM), axis=0), _softmax(X64, axis=0))
    close(tf.nn.log_softmax(x), np.log(_softmax(x64)), rtol=1e-5, atol=1e-6)
    close(tf.nn.relu6(x), np.clip(x64, 0, 6))
    close(tf.nn.elu(x), np.where(x64 > 0, x64, np.expm1(x64)))
    close(tf.nn.leaky_relu(x), np.where(x64 > 0, x64, 0.2 * x64))
    close(tf.nn.softplus(x), np.log1p(np.exp(x64)))


def test_nn_softmax_oracle():
    # TF 2.21: tf.nn.softmax / log_softmax of XM * 3.
    x = tf.constant(XM * 3)
    close(tf.nn.softmax(x),
          [[0.01098664291203022, 2.7233167202211916e-05, 0.9889861345291138],
           [0.9997387528419495, 0.00026119028916582465, 7.580578942345539e-10]],
          rtol=1e-5, atol=1e-12)
    close(tf.nn.log_softmax(x),
          [[-4.511075019836426, -10.511075019836426, -0.011074976995587349],
           [-0.00026127262390218675, -8.250261306762695, -21.000261306762695]],
          rtol=1e-5, atol=1e-6)


def test_sigmoid_cross_entropy_with_logits():
    labels = np.array([[1.0, 0.0, 1.0], [0.0, 0.5, 1.0]], np.float32)
    r = tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.constant(labels),
                                                logits=tf.constant(XM))
    # TF 2.21
    close(r, [[0.4740769863128662, 0.20141328871250153, 0.12692800164222717],
              [3.0485873222351074, 0.700939416885376, 4.0181498527526855]], rtol=2e-6)
    ref = np.maximum(X64, 0) - X64 * labels + np.log1p(np.exp(-np.abs(X64)))
    close(r, ref, rtol=2e-6)


def test_softmax_cross_entropy_with_logits():
    labels = tf.constant([[0.0, 1.0, 0.0], [0.2, 0.3, 0.5]])
    r = tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=tf.constant(XM))
    close(r, [3.725802183151245, 4.387824058532715], rtol=2e-6)  # TF 2.21


def test_sparse_softmax_cross_entropy_with_logits():
    r = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.constant([2, 0]),
                                                       logits=tf.constant(XM))
    close(r, [0.22580209374427795, 0.0628242939710617], rtol=2e-6)  # TF 2.21
    with pytest.raises(errors.InvalidArgumentError,
                       match=r"Received a label value of 3 which is outside the valid range "
                             r"of \[0, 3\)"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.constant([3, 0]),
                                                       logits=tf.constant(XM))


def test_nn_misc():
    close(tf.nn.l2_loss(tf.constant(XM)), np.sum(X64 ** 2) / 2)
    mean, var = tf.nn.moments(tf.constant(XM), axes=[0])
    close(mean, [1.75, -0.625, -1.0])
    close(var, [1.5625, 0.765625, 9.0])
    close(tf.nn.bias_add(tf.constant(XM), tf.constant([1.0, 2.0, 3.0])), XM + [1, 2, 3])


# ---- top-level aliases ------------------------------------------------------------
def test_top_level_elementwise():
    x = tf.constant(XM)
    close(tf.square(x), XM ** 2)
    close(tf.abs(x), np.abs(XM))
    close(tf.exp(x), np.exp(X64))
    close(tf.sqrt(tf.constant(PM)), np.sqrt(PM))
    close(tf.add_n([x, tf.constant(YM)]), XM + YM)
    close(tf.add(x, 1.0), XM + 1)
    close(tf.sigmoid(x), _sigmoid(X64))
    close(tf.maximum(x, 0.0), np.maximum(XM, 0))
    close(tf.clip_by_value(x, -1.0, 1.0), np.clip(XM, -1, 1))


def test_matmul():
    x, y = tf.constant(XM), tf.constant(YM)
    close(tf.matmul(x, y, transpose_b=True), X64 @ YM.T.astype(np.float64))
    close(tf.matmul(x, y, transpose_a=True), X64.T @ YM)
    close(tf.matmul(tf.transpose(x), y, transpose_a=True, transpose_b=True), X64 @ YM.T)
    a = np.arange(12, dtype=np.float32).reshape(2, 2, 3)
    b = np.arange(12, dtype=np.float32).reshape(2, 3, 2)
    close(tf.matmul(a, b), a @ b)
    close(tf.matmul(tf.constant(a), tf.constant(b[0])), a @ b[0])
    close(tf.matmul(tf.constant(a), tf.constant(a), transpose_b=True),
          a @ a.transpose(0, 2, 1))
    close(tf.linalg.matmul(x, y, transpose_b=True), X64 @ YM.T)
    check(tf.matmul(tf.constant([[1, 2]]), tf.constant([[3], [4]])), [[11]], tf.int32)
    with pytest.raises(errors.InvalidArgumentError):
        tf.matmul(tf.constant([1.0, 2.0]), tf.constant([[3.0], [4.0]]))


def test_shape_ops():
    x = tf.constant(XM)
    check(tf.reshape(x, [3, -1]), XM.reshape(3, -1), tf.float32)
    check(tf.reshape(x, tf.constant([6])), XM.reshape(6), tf.float32)
    check(tf.transpose(x), XM.T, tf.float32)
    z = np.arange(24).reshape(2, 3, 4).astype(np.int32)
    check(tf.transpose(z, perm=[1, 2, 0]), z.transpose(1, 2, 0), tf.int32)
    assert tf.expand_dims(x, -1).shape == (2, 3, 1)
    assert tf.expand_dims(x, 0).shape == (1, 2, 3)
    assert tf.squeeze(tf.zeros((1, 2, 1, 3))).shape == (2, 3)
    assert tf.squeeze(tf.zeros((1, 2, 1, 3)), axis=[2]).shape == (1, 2, 3)
    with pytest.raises(errors.InvalidArgumentError,
                       match=r"Can not squeeze dim\[1\], expected a dimension of 1, got 2"):
        tf.squeeze(tf.zeros((1, 2, 1, 3)), axis=1)
    check(tf.broadcast_to(tf.constant([1, 2, 3]), [2, 3]), [[1, 2, 3], [1, 2, 3]], tf.int32)
    with pytest.raises(errors.InvalidArgumentError, match="Incompatible shapes"):
        tf.broadcast_to(tf.constant([1, 2, 3]), [2, 2])


def test_shape_size_rank():
    x = tf.constant(XM)
    check(tf.shape(x), [2, 3], tf.int32)
    check(tf.size(x), np.int32(6), tf.int32)
    check(tf.rank(x), np.int32(2), tf.int32)
    check(tf.shape(tf.constant(1.0)), np.zeros((0,), np.int32), tf.int32)


def test_join_and_split():
    x, y = tf.constant(XM), tf.constant(YM)
    check(tf.concat([x, y], axis=0), np.concatenate([XM, YM], 0), tf.float32)
    check(tf.concat([x, y], axis=-1), np.concatenate([XM, YM], -1), tf.float32)
    check(tf.stack([x, y]), np.stack([XM, YM]), tf.float32)
    check(tf.stack([x, y], axis=1), np.stack([XM, YM], axis=1), tf.float32)
    check(tf.stack([1, 2, 3]), [1, 2, 3], tf.int32)
    parts = tf.unstack(x)
    assert len(parts) == 2
    check(parts[1], XM[1], tf.float32)
    parts = tf.unstack(x, axis=1)
    assert [p.numpy().tolist() for p in parts] == XM.T.tolist()
    parts = tf.split(x, 3, axis=1)
    assert [p.numpy().tolist() for p in parts] == [XM[:, i:i + 1].tolist() for i in range(3)]
    parts = tf.split(x, [1, 2], axis=1)
    assert [p.shape for p in parts] == [(2, 1), (2, 2)]
    check(parts[1], XM[:, 1:], tf.float32)
    parts = tf.split(x, [1, -1], axis=1)
    check(parts[1], XM[:, 1:], tf.float32)
    with pytest.raises(errors.InvalidArgumentError,
                       match="Number of ways to split should evenly divide the split "
                             "dimension"):
        tf.split(x, 4, axis=1)


def test_tile_pad():
    check(tf.tile(tf.constant(XM), [2, 1]), np.tile(XM, [2, 1]), tf.float32)
    check(tf.tile(tf.constant([[1, 2]]), [2, 3]), np.tile([[1, 2]], [2, 3]), tf.int32)
    m = np.array([[1, 2], [3, 4]], np.int32)
    check(tf.pad(tf.constant(m), [[1, 0], [0, 2]]), np.pad(m, [[1, 0], [0, 2]]), tf.int32)
    check(tf.pad(tf.constant([[1.0, 2.0]]), [[1, 1], [1, 1]], constant_values=-1.0),
          np.pad(np.float32([[1, 2]]), 1, constant_values=-1), tf.float32)
    m = np.array([[1, 2, 3], [4, 5, 6]], np.int32)
    # TF 2.21 values
    check(tf.pad(tf.constant(m), [[1, 1], [2, 2]], mode="REFLECT"),
          [[6, 5, 4, 5, 6, 5, 4], [3, 2, 1, 2, 3, 2, 1], [6, 5, 4, 5, 6, 5, 4],
           [3, 2, 1, 2, 3, 2, 1]], tf.int32)
    check(tf.pad(tf.constant(m), [[1, 1], [2, 2]], mode="SYMMETRIC"),
          [[2, 1, 1, 2, 3, 3, 2], [2, 1, 1, 2, 3, 3, 2], [5, 4, 4, 5, 6, 6, 5],
           [5, 4, 4, 5, 6, 6, 5]], tf.int32)


def test_one_hot():
    check(tf.one_hot([0, 2, -1, 3], 3),
          np.float32([[1, 0, 0], [0, 0, 1], [0, 0, 0], [0, 0, 0]]), tf.float32)
    check(tf.one_hot(tf.constant([1, 0]), 3, on_value=5, off_value=-1),
          [[-1, 5, -1], [5, -1, -1]], tf.int32)
    check(tf.one_hot([0, 2], 3, axis=0), np.float32([[1, 0], [0, 0], [0, 1]]), tf.float32)


def test_where():
    x, y = tf.constant(XM), tf.constant(YM)
    check(tf.where(x > 0, x, y), np.where(XM > 0, XM, YM), tf.float32)
    check(tf.where(x > 0, x, 0.0), np.where(XM > 0, XM, 0), tf.float32)
    check(tf.where(x > 0), np.argwhere(XM > 0), tf.int64)


def test_cast():
    x = tf.constant(XM)
    check(tf.cast(x, tf.int32), XM.astype(np.int32), tf.int32)
    check(tf.cast(x, tf.bool), XM != 0, tf.bool)
    check(tf.cast(tf.constant([1, 2]), "float32"), [1.0, 2.0], tf.float32)
    check(tf.cast(tf.constant([True, False]), tf.float32), [1.0, 0.0], tf.float32)
    check(tf.dtypes.cast(tf.constant([1.7, -1.7]), tf.int32), [1, -1], tf.int32)
    check(tf.cast(x, tf.float64), X64, tf.float64)


def test_norm():
    x = tf.constant(XM)
    close(tf.norm(x), np.linalg.norm(X64))
    close(tf.norm(x, axis=1), np.linalg.norm(X64, axis=1))
    close(tf.norm(x, ord=1, axis=0), [3.5, 1.75, 6.0])


def test_einsum():
    x, y = tf.constant(XM), tf.constant(YM)
    close(tf.einsum("ij,kj->ik", x, y), X64 @ YM.T)
    close(tf.einsum("ij,jk", x, tf.transpose(y)), X64 @ YM.T)
    a = np.arange(12, dtype=np.float32).reshape(2, 2, 3)
    b = np.arange(12, dtype=np.float32).reshape(2, 3, 2)
    close(tf.einsum("bij,bjk->bik", a, b), np.einsum("bij,bjk->bik", a, b))
    close(tf.einsum("i,j->ij", tf.constant([1.0, 2.0]), tf.constant([3.0, 4.0, 5.0])),
          np.outer([1, 2], [3, 4, 5]))
    close(tf.einsum("i,i->", tf.constant([1.0, 2.0]), tf.constant([3.0, 4.0])),
          np.float32(11.0))
    close(tf.einsum("ij->ji", x), XM.T)
    close(tf.einsum("ij->i", x), XM.sum(1))


def test_variables_work_in_ops():
    v = tf.Variable(XM)
    close(tf.reduce_sum(v), XM.sum())
    close(tf.matmul(v, tf.constant(YM), transpose_b=True), X64 @ YM.T)
    close(tf.nn.relu(v), np.maximum(XM, 0))
    assert tf.concat([v, v], 0).shape == (4, 3)


# ====================================================================================
# tf.errors, tf.config, tf.device, tf.__version__
# ====================================================================================
ERROR_CLASSES = [
    "InvalidArgumentError", "OutOfRangeError", "ResourceExhaustedError",
    "UnimplementedError", "NotFoundError", "InternalError", "UnknownError",
    "CancelledError", "AlreadyExistsError", "FailedPreconditionError", "AbortedError",
    "DeadlineExceededError", "PermissionDeniedError", "UnavailableError",
    "DataLossError", "UnauthenticatedError",
]


@pytest.mark.parametrize("name", ERROR_CLASSES)
def test_error_classes_subclass_op_error(name):
    cls = getattr(tf.errors, name)
    assert issubclass(cls, tf.errors.OpError)
    assert issubclass(tf.errors.OpError, Exception)
    e = cls(None, None, "boom")
    assert str(e) == "boom" and e.message == "boom"
    assert e.op is None and e.node_def is None


def test_error_codes():
    assert (tf.errors.INVALID_ARGUMENT, tf.errors.OUT_OF_RANGE, tf.errors.RESOURCE_EXHAUSTED,
            tf.errors.UNIMPLEMENTED, tf.errors.OK) == (3, 11, 8, 12, 0)
    assert tf.errors.InvalidArgumentError(None, None, "x").error_code == 3
    assert tf.errors.OutOfRangeError(None, None, "x").error_code == 11


def test_op_errors_are_catchable_as_op_error():
    with pytest.raises(tf.errors.OpError) as info:
        tf.constant([1.0]) + tf.constant([1, 2])
    assert type(info.value) is tf.errors.InvalidArgumentError
    assert info.value.error_code == 3


def test_list_physical_devices():
    cpus = tf.config.list_physical_devices("CPU")
    assert [(d.name, d.device_type) for d in cpus] == [("/physical_device:CPU:0", "CPU")]
    everything = tf.config.list_physical_devices()
    assert everything[0].device_type == "CPU"
    assert isinstance(tf.config.list_physical_devices("GPU"), list)


def test_device_scope():
    with tf.device("/CPU:0"):
        t = tf.constant([1.0, 2.0]) + 1.0
    check(t, [2.0, 3.0], tf.float32)
    assert t.device == "/job:localhost/replica:0/task:0/device:CPU:0"
    with tf.device("/device:CPU:0"):
        check(tf.ones(2), [1.0, 1.0], tf.float32)


def test_device_scope_rejects_malformed_names():
    with pytest.raises(ValueError):
        with tf.device("/XPU:0"):
            pass


def test_version():
    assert isinstance(tf.__version__, str)
    assert tf.__version__.count(".") >= 1
    assert tf.executing_eagerly() is True


# ---- the native operator path (+ - * / ** // % on Tensors of one dtype or a number) ------

@pytest.mark.parametrize("op", ["__add__", "__sub__", "__mul__", "__truediv__", "__pow__",
                                "__floordiv__", "__mod__", "__lt__", "__le__", "__gt__",
                                "__ge__"])
@pytest.mark.parametrize("dtype", [tf.float32, tf.float64, tf.int32, tf.int64])
def test_native_operators_match_the_ops(op, dtype):
    rng = np.random.default_rng(1)
    x = tf.constant(rng.integers(-4, 9, (3, 4)), dtype=dtype)
    y = tf.constant(rng.integers(1, 9, (4,)), dtype=dtype)  # broadcasts
    fn = {"__add__": tf.add, "__sub__": tf.subtract, "__mul__": tf.multiply,
          "__truediv__": tf.truediv, "__pow__": tf.pow, "__floordiv__": tf.math.floordiv,
          "__mod__": tf.math.floormod, "__lt__": tf.less, "__le__": tf.less_equal,
          "__gt__": tf.greater, "__ge__": tf.greater_equal}[op]
    got, want = getattr(x, op)(y), fn(x, y)
    assert type(got) is tf.Tensor and got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    if dtype in (tf.int32, tf.int64) and op == "__truediv__":
        assert got.dtype == tf.float64  # TF's int true division, via the Python op


def test_native_operators_defer_to_the_ops():
    x = tf.constant([1.0, 2.0])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"cannot compute AddV2"):
        x + tf.constant([1, 2])
    with pytest.raises(tf.errors.InvalidArgumentError, match="Incompatible shapes"):
        x + tf.constant([1.0, 2.0, 3.0])
    v = tf.Variable([3.0, 4.0])
    np.testing.assert_array_equal((x * v).numpy(), [3.0, 8.0])
    np.testing.assert_array_equal((x - 1).numpy(), [0.0, 1.0])
    np.testing.assert_array_equal((v[0:1] + x[0:1]).numpy(), [4.0])
    with tf.GradientTape() as tape:  # recorded natively, as the Python op records
        tape.watch(x)
        y = x * x + x / x - x
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [1.0, 3.0])


@pytest.mark.parametrize("op", ["__add__", "__sub__", "__mul__", "__truediv__", "__radd__",
                                "__rsub__", "__rmul__", "__rtruediv__", "__pow__", "__rpow__",
                                "__floordiv__", "__rfloordiv__", "__mod__", "__rmod__",
                                "__lt__", "__le__", "__gt__", "__ge__"])
@pytest.mark.parametrize("dtype", [tf.float32, tf.float64, tf.int32, tf.int64, tf.bool])
def test_native_operators_with_python_numbers_match_the_ops(op, dtype):
    """A Tensor with a Python number takes the native path where tensor.py's scalar
    conversion would succeed; results and errors equal the Python operator's."""
    from tapeflow.framework.tensor import _Operators

    t = tf.cast(tf.constant([[1, 0], [3, 4]]), dtype)
    for number in (2, 2.5, -0.0, -3, 0, 2 ** 40, 2 ** 70, True, 1e300):
        native, python = getattr(tf.Tensor, op), getattr(_Operators, op)
        try:
            want = python(t, number)
        except Exception as e:  # noqa: BLE001 - the same exception either way
            with pytest.raises(type(e)):
                native(t, number)
            continue
        got = native(t, number)
        assert got.dtype == want.dtype and got.shape == want.shape, (op, number)
        np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_native_operators_record_as_the_ops():
    """Under a tape, + - * / ** % record what the Python ops record (a number operand
    becomes a Tensor input; the rule is the op's), so first and second derivatives match."""
    x0 = tf.constant([0.7, -1.3, 2.2], dtype=tf.float64)

    def with_operators(x):
        return ((x * x + 2.0 * x - x / 3.0) ** 2 - 1.5 / x) % 5.0 + (4.0 - x) ** 3.0

    def with_ops(x):
        s = tf.subtract(tf.add(tf.multiply(x, x), tf.multiply(2.0, x)), tf.truediv(x, 3.0))
        t = tf.subtract(tf.pow(s, 2), tf.truediv(1.5, x))
        return tf.add(tf.math.floormod(t, 5.0), tf.pow(tf.subtract(4.0, x), 3.0))

    def derivatives(f):
        with tf.GradientTape() as outer:
            outer.watch(x0)
            with tf.GradientTape() as inner:
                inner.watch(x0)
                y = f(x0)
            ops = [r.op for r in inner._state.records]
            dy = inner.gradient(y, x0)
        return y, ops, dy, outer.gradient(dy, x0)

    y1, ops1, d1, dd1 = derivatives(with_operators)
    y2, ops2, d2, dd2 = derivatives(with_ops)
    assert ops1 == ops2
    for a, b in ((y1, y2), (d1, d2), (dd1, dd2)):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    with tf.GradientTape() as tape:  # integer results are not recorded, as by the ops
        tape.watch(x0)
        n = tf.constant([1, 2]) * 3
    assert tape._state.records == [] and n.dtype == tf.int32
