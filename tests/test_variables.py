"""``tf.Variable`` (issue 3): assignment (whole, sliced, chained), reading, metadata,
use in ops/operators/numpy, and TF's errors for mismatched assignments.

Expected behaviour was read off TensorFlow 2.21; TensorFlow itself is not imported.
"""

from __future__ import annotations

import numpy as np
import pytest

import tapeflow as tf

errors = tf.errors


def value(v):
    return np.asarray(v).tolist()


class TestCreation:
    def test_basic(self):
        v = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
        assert isinstance(v, tf.Variable)
        assert v.shape == (2, 2) and isinstance(v.shape, tf.TensorShape)
        assert v.get_shape() == (2, 2)
        assert v.dtype == tf.float32
        assert v.name == "Variable:0"
        assert v.trainable is True
        assert v.device == "/job:localhost/replica:0/task:0/device:CPU:0"

    def test_names(self):
        # Unnamed variables are all 'Variable:0' (no uniquifying in eager mode), and
        # name='w' gives 'w:0' for every such variable.
        a, b = tf.Variable(1.0), tf.Variable(2.0)
        c, d = tf.Variable(3.0, name="w"), tf.Variable(4.0, name="w")
        assert (a.name, b.name, c.name, d.name) == ("Variable:0", "Variable:0", "w:0", "w:0")
        assert tf.Variable([[1.0, 2.0]], name="kernel").name == "kernel:0"

    def test_trainable_false(self):
        assert tf.Variable(1.0, trainable=False).trainable is False

    def test_dtype_inference(self):
        assert tf.Variable(1.0).dtype == tf.float32
        assert tf.Variable([1, 2]).dtype == tf.int32
        assert tf.Variable(np.zeros((2,))).dtype == tf.float64
        assert tf.Variable(np.array([1, 2])).dtype == tf.int64
        assert tf.Variable([True, False]).dtype == tf.bool

    def test_dtype_argument(self):
        v = tf.Variable([1, 2], dtype=tf.float32)
        assert v.dtype == tf.float32 and value(v) == [1.0, 2.0]

    def test_dtype_argument_with_tensor_of_other_dtype(self):
        # TF 2.21: ValueError "initial_value: Tensor conversion requested dtype float64 for
        # Tensor with dtype int32: ..." (no implicit cast of a Tensor).
        with pytest.raises(ValueError, match="Tensor conversion requested dtype float64 for "
                                             "Tensor with dtype int32"):
            tf.Variable(tf.constant([1, 2]), dtype=tf.float64)

    def test_callable_initial_value(self):
        v = tf.Variable(lambda: tf.ones((2,)))
        assert value(v) == [1.0, 1.0]

    def test_missing_initial_value(self):
        with pytest.raises(ValueError, match="The `initial_value` arg to `tf.Variable` must "
                                             "be specified"):
            tf.Variable()

    def test_from_variable_copies(self):
        w = tf.Variable([1.0, 2.0])
        v = tf.Variable(w)
        w.assign([5.0, 5.0])
        assert value(v) == [1.0, 2.0]

    def test_from_random_tensor(self):
        v = tf.Variable(initial_value=tf.random.normal(shape=(3, 1)))
        assert v.shape == (3, 1) and v.dtype == tf.float32


class TestAssign:
    def test_assign_returns_new_value(self):
        v = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
        r = v.assign([[5.0, 6.0], [7.0, 8.0]])
        assert value(r) == [[5.0, 6.0], [7.0, 8.0]]
        assert value(v) == [[5.0, 6.0], [7.0, 8.0]]
        assert isinstance(r, tf.Variable)

    def test_assign_tensor(self):
        v = tf.Variable(tf.zeros((3, 1)))
        v.assign(tf.ones((3, 1)))
        assert value(v) == [[1.0], [1.0], [1.0]]

    def test_assign_numpy_float64_is_cast(self):
        v = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
        v.assign(np.ones((2, 2)))
        assert v.dtype == tf.float32 and value(v) == [[1.0, 1.0], [1.0, 1.0]]

    def test_assign_chain(self):
        v = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
        v.assign(tf.zeros((2, 2))).assign_add(tf.ones((2, 2))).assign_sub(
            [[0.5, 0.5], [0.5, 0.5]])
        assert value(v) == [[0.5, 0.5], [0.5, 0.5]]
        v2 = tf.Variable(1.0)
        r = v2.assign(2.0).assign_add(3.0)
        assert float(r) == 5.0 and float(v2) == 5.0

    def test_assign_add_sub(self):
        v = tf.Variable(tf.ones((3, 1)))
        r = v.assign_add(tf.ones((3, 1)))
        assert value(r) == [[2.0], [2.0], [2.0]]
        r = v.assign_sub(tf.constant([[0.5], [1.0], [2.0]]))
        assert value(r) == [[1.5], [1.0], [0.0]]
        assert value(v) == [[1.5], [1.0], [0.0]]

    def test_assign_sub_int(self):
        v = tf.Variable([5, 6])
        v.assign_sub([1, 2])
        assert value(v) == [4, 4] and v.dtype == tf.int32

    def test_returned_value_tracks_the_variable(self):
        # TF: what assign_add returns is the variable itself (an 'UnreadVariable'),
        # so it shows later values; a Tensor read from it is a snapshot.
        v = tf.Variable(1.0)
        r = v.assign_add(2.0)
        snap = tf.convert_to_tensor(r)
        v.assign(10.0)
        assert float(r) == 10.0
        assert r.numpy() == np.float32(10.0)
        assert float(snap) == 3.0

    def test_read_value_false(self):
        v = tf.Variable([1.0, 2.0])
        assert v.assign([3.0, 4.0], read_value=False) is None
        assert value(v) == [3.0, 4.0]

    def test_wrong_shape_is_value_error_and_leaves_variable(self):
        v = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
        with pytest.raises(ValueError,
                           match=r"Cannot assign value to variable ' Variable:0': Shape "
                                 r"mismatch.The variable shape \(2, 2\), and the assigned "
                                 r"value shape \(2,\) are incompatible."):
            v.assign([1.0, 2.0])
        assert value(v) == [[1.0, 2.0], [3.0, 4.0]]

    def test_wrong_dtype_is_value_error_and_leaves_variable(self):
        v = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
        with pytest.raises(ValueError, match="Tensor conversion requested dtype float32 for "
                                             "Tensor with dtype int32"):
            v.assign(tf.constant([[1, 2], [3, 4]]))
        assert value(v) == [[1.0, 2.0], [3.0, 4.0]] and v.dtype == tf.float32

    def test_python_float_into_int_variable(self):
        v = tf.Variable([1, 2])
        with pytest.raises(TypeError, match=r"Cannot convert \[1.5, 2.0\] to EagerTensor of "
                                            r"dtype int32"):
            v.assign([1.5, 2.0])
        assert value(v) == [1, 2]

    def test_assign_add_wrong_shape(self):
        v = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
        with pytest.raises(errors.InvalidArgumentError):
            v.assign_add(tf.ones((3,)))
        assert value(v) == [[1.0, 2.0], [3.0, 4.0]]

    def test_assign_add_does_not_broadcast(self):
        # TF 2.21: InvalidArgumentError "Cannot update variable with shape [2,2] using a
        # Tensor with shape [], shapes must be equal." and the variable is unchanged.
        v = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
        with pytest.raises(errors.InvalidArgumentError, match="shapes must be equal"):
            v.assign_add(1.0)
        with pytest.raises(errors.InvalidArgumentError, match="shapes must be equal"):
            v.assign_sub([1.0, 1.0])
        assert value(v) == [[1.0, 2.0], [3.0, 4.0]]


class TestSlicedAssign:
    def test_element(self):
        v = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
        v[0, 0].assign(3)
        assert value(v) == [[3.0, 2.0], [3.0, 4.0]]

    def test_element_chapter(self):
        v = tf.Variable(tf.ones((3, 1)))
        r = v[0, 0].assign(3)
        assert value(r) == [[3.0], [1.0], [1.0]]
        assert isinstance(r, tf.Variable)
        assert value(v) == [[3.0], [1.0], [1.0]]

    def test_rows(self):
        v = tf.Variable(tf.zeros((3, 2)))
        v[1:].assign(tf.ones((2, 2)))
        assert value(v) == [[0.0, 0.0], [1.0, 1.0], [1.0, 1.0]]

    def test_column(self):
        v = tf.Variable(tf.zeros((3, 2)))
        v[:, 1].assign([1.0, 2.0, 3.0])
        assert value(v) == [[0.0, 1.0], [0.0, 2.0], [0.0, 3.0]]

    def test_step_and_negative(self):
        v = tf.Variable(tf.zeros((5,)))
        v[::2].assign([1.0, 2.0, 3.0])
        v[-1].assign(7.0)
        assert value(v) == [1.0, 0.0, 2.0, 0.0, 7.0]

    def test_broadcast_value(self):
        v = tf.Variable(tf.zeros((3, 2)))
        v[1:].assign(5.0)
        assert value(v) == [[0.0, 0.0], [5.0, 5.0], [5.0, 5.0]]

    def test_bad_shape_leaves_variable(self):
        v = tf.Variable(tf.zeros((3, 2)))
        with pytest.raises(errors.InvalidArgumentError):
            v[1:].assign(tf.ones((3, 2)))
        assert value(v) == [[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]

    def test_reading_a_slice(self):
        v = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
        s = v[1, 0]
        assert isinstance(s, tf.Tensor)
        assert float(s) == 3.0
        np.testing.assert_array_equal(v[:, ::-1].numpy(), [[2.0, 1.0], [4.0, 3.0]])
        with pytest.raises(errors.InvalidArgumentError,
                           match="slice index 2 of dimension 0 out of bounds"):
            v[2]

    def test_slice_is_a_snapshot(self):
        v = tf.Variable([1.0, 2.0])
        s = v[0]
        v.assign([5.0, 6.0])
        assert float(s) == 1.0


class TestReading:
    def test_value_read_value_are_snapshots(self):
        v = tf.Variable(1.0)
        t, u, w = v.read_value(), v.value(), tf.identity(v)
        v.assign(5.0)
        assert (float(t), float(u), float(w), float(v)) == (1.0, 1.0, 1.0, 5.0)
        assert isinstance(t, tf.Tensor) and isinstance(u, tf.Tensor)

    def test_numpy_is_a_copy(self):
        v = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
        a = v.numpy()
        assert type(a) is np.ndarray and a.flags.writeable
        a[0, 0] = 100.0
        assert v.numpy()[0, 0] == 1.0
        assert type(tf.Variable(2.0).numpy()) is np.float32

    def test_asarray_snapshot(self):
        v = tf.Variable([1.0, 2.0])
        a = np.asarray(v)
        v.assign([3.0, 4.0])
        assert a.tolist() == [1.0, 2.0]
        assert np.asarray(v).tolist() == [3.0, 4.0]

    def test_python_scalars(self):
        v = tf.Variable(2.5)
        assert (float(v), int(v), bool(v)) == (2.5, 2, True)

    def test_iteration(self):
        v = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
        assert [r.numpy().tolist() for r in v] == [[1.0, 2.0], [3.0, 4.0]]

    def test_ufunc(self):
        v = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
        r = np.exp(v)
        assert type(r) is np.ndarray
        np.testing.assert_allclose(r, np.exp([[1.0, 2.0], [3.0, 4.0]]), rtol=1e-6)


class TestOperatorsAndOps:
    def test_operators(self):
        v = tf.Variable([1.0, 2.0])
        cases = [(v + 1.0, [2.0, 3.0]), (2.0 * v, [2.0, 4.0]), (v * v, [1.0, 4.0]),
                 (-v, [-1.0, -2.0]), (v / 2.0, [0.5, 1.0]), (v ** 2, [1.0, 4.0]),
                 (v - v, [0.0, 0.0]), (1.0 - v, [0.0, -1.0])]
        for r, expected in cases:
            assert isinstance(r, tf.Tensor) and r.dtype == tf.float32
            assert value(r) == expected
        r = v > 1.5
        assert r.dtype == tf.bool and value(r) == [False, True]
        assert value(v == v) == [True, True]

    def test_numpy_on_the_left(self):
        v = tf.Variable([1.0, 2.0])
        r = np.array([1.0, 1.0]) + v
        assert isinstance(r, tf.Tensor) and r.dtype == tf.float32
        assert value(r) == [2.0, 3.0]

    def test_matmul(self):
        v = tf.Variable([[1.0, 2.0]])
        r = v @ tf.ones((2, 1))
        assert isinstance(r, tf.Tensor) and value(r) == [[3.0]]

    def test_ops(self):
        v = tf.Variable([[1.0, -2.0], [3.0, 4.0]])
        assert value(tf.matmul(v, v)) == [[-5.0, -10.0], [15.0, 10.0]]
        assert float(tf.reduce_sum(v)) == 6.0
        assert value(tf.square(v)) == [[1.0, 4.0], [9.0, 16.0]]
        assert value(tf.reshape(v, [-1])) == [1.0, -2.0, 3.0, 4.0]
        assert tf.concat([v, v], 0).shape == (4, 2)
        assert value(tf.nn.relu(v)) == [[1.0, 0.0], [3.0, 4.0]]

    def test_ops_see_the_current_value(self):
        v = tf.Variable(2.0)
        assert float(tf.square(v)) == 4.0
        v.assign(3.0)
        assert float(tf.square(v)) == 9.0
        assert float(v * 2.0) == 6.0

    def test_mixed_dtype_is_invalid_argument(self):
        v = tf.Variable([1.0, 2.0])
        with pytest.raises(errors.InvalidArgumentError):
            v + tf.constant([1, 2])


class TestHashingAndMutationErrors:
    def test_hash_is_type_error(self):
        with pytest.raises(TypeError, match="unhashable"):
            hash(tf.Variable(1.0))

    def test_refs_as_dict_keys(self):
        v, w = tf.Variable(1.0), tf.Variable(1.0)
        d = {v.ref(): "v", w.ref(): "w"}
        assert d[v.ref()] == "v" and d[w.ref()] == "w"
        assert v.ref().deref() is v

    def test_item_assignment_is_type_error(self):
        v = tf.Variable([1.0, 2.0])
        with pytest.raises(TypeError, match="object does not support item assignment"):
            v[0] = 0.0
        assert value(v) == [1.0, 2.0]


class TestUnreadVariable:
    def test_name_of_assign_result(self):
        # TF 2.21: v.assign(...).name == 'UnreadVariable'.
        v = tf.Variable(1.0, name="q")
        r = v.assign(2.0)
        assert r.name == "UnreadVariable"
        assert r.dtype == tf.float32 and r.shape == () and r.numpy() == np.float32(2.0)


def test_tensor_operator_with_a_variable_operand_reads_it_once_and_differentiates() -> None:
    """`t + v` takes Tensor's native operator path for a Variable operand: one read,
    recorded as TF's ReadVariableOp, so the tape differentiates it and lists it."""
    v = tf.Variable([1.0, 2.0])
    t = tf.constant([3.0, 4.0])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum((t * v) + v)
        records = [r.op for r in tape._state.records]
    assert records.count("ReadVariableOp") == 2  # `t * v`, then `+ v`: one read each
    np.testing.assert_array_equal(tape.gradient(y, v).numpy(), [4.0, 5.0])
    assert [w.name for w in tape.watched_variables()] == [v.name]
    np.testing.assert_array_equal((t - v).numpy(), [2.0, 2.0])
    np.testing.assert_array_equal((t + v.assign_add([1.0, 1.0])).numpy(), [5.0, 7.0])
    with pytest.raises(tf.errors.InvalidArgumentError):
        t + tf.Variable([1, 2])  # int32 with float32: TF's error, not a silent cast


def test_a_variable_subclass_reads_through_the_native_read() -> None:
    class Scaled(tf.Variable):
        pass

    v = Scaled([2.0, 3.0])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(v * v)
    np.testing.assert_array_equal(tape.gradient(y, v).numpy(), [4.0, 6.0])
    np.testing.assert_array_equal((tf.constant(1.0) + v).numpy(), [3.0, 4.0])
