"""tf.TensorSpec: reprs and answers verified with TF 2.21."""

import pytest

import tapeflow as tf


def test_repr_and_fields():
    s = tf.TensorSpec((None, 3))
    assert repr(s) == str(s) == \
        "TensorSpec(shape=(None, 3), dtype=tf.float32, name=None)"
    assert s.shape == tf.TensorShape([None, 3])
    assert s.dtype == tf.float32 and s.name is None
    assert repr(tf.TensorSpec([2], tf.int32, name="x")) == \
        "TensorSpec(shape=(2,), dtype=tf.int32, name='x')"
    assert repr(tf.TensorSpec(None)) == \
        "TensorSpec(shape=<unknown>, dtype=tf.float32, name=None)"
    assert repr(tf.TensorSpec(())) == \
        "TensorSpec(shape=(), dtype=tf.float32, name=None)"
    assert tf.TensorSpec([2], "float64").dtype == tf.float64


def test_equality_and_hash():
    s = tf.TensorSpec((None, 3))
    assert s == tf.TensorSpec([None, 3]) and hash(s) == hash(tf.TensorSpec([None, 3]))
    assert s != tf.TensorSpec([None, 3], name="a")
    assert s != tf.TensorSpec([None, 3], tf.float64)


def test_is_compatible_with():
    s = tf.TensorSpec((None, 3))
    assert s.is_compatible_with(tf.ones([5, 3]))
    assert not s.is_compatible_with(tf.ones([5, 4]))
    assert s.is_compatible_with(tf.TensorSpec([2, 3]))
    assert not s.is_compatible_with(tf.ones([5, 3], tf.int32))
    assert s.is_compatible_with(tf.TensorSpec(None))
    assert not s.is_compatible_with([[1.0, 2.0, 3.0]])  # TF: only tensors and specs
    assert not tf.TensorSpec([2]).is_compatible_with(tf.Variable([1.0, 2.0]))


def test_from_tensor_and_most_specific():
    assert repr(tf.TensorSpec.from_tensor(tf.ones([2, 3]))) == \
        "TensorSpec(shape=(2, 3), dtype=tf.float32, name=None)"
    assert tf.TensorSpec.from_tensor(tf.ones([2]), name="q").name == "q"
    assert repr(tf.TensorSpec([2, 3]).most_specific_compatible_type(
        tf.TensorSpec([2, 4]))) == \
        "TensorSpec(shape=(2, None), dtype=tf.float32, name=None)"


def test_bad_arguments():
    with pytest.raises(TypeError):
        tf.TensorSpec([2], "foo")
    with pytest.raises(TypeError, match="to a shape"):
        tf.TensorSpec("a")
    assert tf.nest.flatten(tf.TensorSpec([2])) == [tf.TensorSpec([2])]
