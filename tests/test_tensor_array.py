"""tf.TensorArray (eager and in tf.function loops); expected values recorded with TF 2.21."""

from __future__ import annotations

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.framework import errors


def test_write_read_stack_as_tf() -> None:
    ta = tf.TensorArray(tf.float32, size=3)
    ta2 = ta.write(0, 1.0)
    assert ta2 is not ta and ta.size().numpy() == 3
    assert ta.read(1).numpy() == 0.0  # never written: zeros of the element shape
    np.testing.assert_array_equal(ta.stack().numpy(), [1.0, 0.0, 0.0])  # ta shares ta2's
    with pytest.raises(errors.OutOfRangeError,
                       match="Tried to write to index 5 but array is not resizeable and "
                             "size is: 3"):
        ta.write(5, 2.0)
    with pytest.raises(errors.OutOfRangeError,
                       match=r"Reading from negative indices \(index -1\) is not allowed."):
        ta.read(-1)


def test_dynamic_size_and_shapes() -> None:
    ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    ta = ta.write(0, [1.0, 2.0]).write(2, [3.0, 4.0])
    np.testing.assert_array_equal(ta.stack().numpy(), [[1, 2], [0, 0], [3, 4]])
    with pytest.raises(ValueError, match=r"Incompatible shape for value \(\(3,\)\), "
                                         r"expected \(\(2,\)\)"):
        ta.write(1, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="Cannot convert a partially known TensorShape"):
        tf.TensorArray(tf.int32, size=2).stack()
    assert tf.TensorArray(tf.int32, size=0).stack().shape == (0,)
    assert tf.TensorArray(tf.int32, size=0, element_shape=[2]).stack().shape == (0, 2)
    np.testing.assert_array_equal(
        tf.TensorArray(tf.float32, size=2, element_shape=[2]).read(0).numpy(), [0.0, 0.0])


def test_unstack_gather_concat_split() -> None:
    ta = tf.TensorArray(tf.int32, size=2).unstack([[1, 2], [3, 4]])
    np.testing.assert_array_equal(ta.read(1).numpy(), [3, 4])
    np.testing.assert_array_equal(ta.concat().numpy(), [1, 2, 3, 4])
    np.testing.assert_array_equal(ta.gather([1, 0]).numpy(), [[3, 4], [1, 2]])
    sp = tf.TensorArray(tf.float32, size=2).split([1.0, 2.0, 3.0], [1, 2])
    np.testing.assert_array_equal(sp.read(1).numpy(), [2.0, 3.0])
    with pytest.raises(errors.InvalidArgumentError, match="Expected sum of lengths"):
        tf.TensorArray(tf.float32, size=2).split([1.0, 2.0, 3.0], [1, 1])


def test_tf_function_loop_over_tf_range() -> None:
    runs = []

    @tf.function
    def f(x, n):  # noqa: ANN001, ANN202
        runs.append(1)
        ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
        for i in tf.range(n):
            ta = ta.write(i, x * tf.cast(i, tf.float32))
        return ta.stack()

    np.testing.assert_array_equal(f(tf.constant(2.0), tf.constant(3)).numpy(), [0, 2, 4])
    np.testing.assert_array_equal(f(tf.constant(1.0), tf.constant(3)).numpy(), [0, 1, 2])
    assert len(runs) == 1  # same n: the graph runs
    np.testing.assert_array_equal(f(tf.constant(1.0), tf.constant(2)).numpy(), [0, 1])
    assert len(runs) == 2  # a new n traces again (a guard on n)

    @tf.function
    def g(x):  # noqa: ANN001, ANN202  (TF's function guide)
        ta = tf.TensorArray(dtype=tf.int32, size=0, dynamic_size=True)
        for i in tf.range(len(x)):
            ta = ta.write(i, x[i])
        return ta.stack()

    np.testing.assert_array_equal(g(tf.constant([3, 1, 2])).numpy(), [3, 1, 2])
    np.testing.assert_array_equal(g(tf.constant([3, 1, 2, 5])).numpy(), [3, 1, 2, 5])


def test_sizes_read_from_tensors_inside_functions() -> None:
    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    def f(x):  # noqa: ANN001, ANN202
        return tf.reshape(x, [tf.shape(x)[0] * 3]) + tf.zeros([tf.shape(x)[0] * 3])

    for b in (1, 2, 4):
        assert f(tf.ones([b, 3])).shape == (b * 3,)

    @tf.function
    def g(x):  # noqa: ANN001, ANN202
        return np.asarray(tf.shape(x)[0])  # reading values for numpy still raises, as TF

    with pytest.raises(NotImplementedError, match="Cannot convert a symbolic tf.Tensor"):
        g(tf.ones([2]))
