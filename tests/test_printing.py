"""Printing exactly as TensorFlow 2.21 (issue 3): ``str``/``repr``/``format`` of Tensors
and Variables, including the 'UnreadVariable' returned by assignments.

Every expected string below was produced by real TensorFlow 2.21 (with numpy 2.4); the
tests do not import TensorFlow.
"""

from __future__ import annotations

import numpy as np
import pytest

import tapeflow as tf

TENSOR_CASES = [
    pytest.param(lambda: tf.constant(3.),
                 'tf.Tensor(3.0, shape=(), dtype=float32)',
                 '<tf.Tensor: shape=(), dtype=float32, numpy=3.0>',
                 id='s_f'),
    pytest.param(lambda: tf.constant(6.0),
                 'tf.Tensor(6.0, shape=(), dtype=float32)',
                 '<tf.Tensor: shape=(), dtype=float32, numpy=6.0>',
                 id='s_f2'),
    pytest.param(lambda: tf.constant(3.14159265),
                 'tf.Tensor(3.1415927, shape=(), dtype=float32)',
                 '<tf.Tensor: shape=(), dtype=float32, numpy=3.1415927410125732>',
                 id='s_pi'),
    pytest.param(lambda: tf.constant(7),
                 'tf.Tensor(7, shape=(), dtype=int32)',
                 '<tf.Tensor: shape=(), dtype=int32, numpy=7>',
                 id='s_i'),
    pytest.param(lambda: tf.constant(7, dtype=tf.int64),
                 'tf.Tensor(7, shape=(), dtype=int64)',
                 '<tf.Tensor: shape=(), dtype=int64, numpy=7>',
                 id='s_i64'),
    pytest.param(lambda: tf.constant(0.1, dtype=tf.float64),
                 'tf.Tensor(0.1, shape=(), dtype=float64)',
                 '<tf.Tensor: shape=(), dtype=float64, numpy=0.1>',
                 id='s_f64'),
    pytest.param(lambda: tf.constant(True),
                 'tf.Tensor(True, shape=(), dtype=bool)',
                 '<tf.Tensor: shape=(), dtype=bool, numpy=True>',
                 id='s_b'),
    pytest.param(lambda: tf.constant(-2.5),
                 'tf.Tensor(-2.5, shape=(), dtype=float32)',
                 '<tf.Tensor: shape=(), dtype=float32, numpy=-2.5>',
                 id='s_neg'),
    pytest.param(lambda: tf.constant(1e10),
                 'tf.Tensor(1e+10, shape=(), dtype=float32)',
                 '<tf.Tensor: shape=(), dtype=float32, numpy=10000000000.0>',
                 id='s_big'),
    pytest.param(lambda: tf.constant(1e-7),
                 'tf.Tensor(1e-07, shape=(), dtype=float32)',
                 '<tf.Tensor: shape=(), dtype=float32, numpy=1.0000000116860974e-07>',
                 id='s_small'),
    pytest.param(lambda: tf.constant(float('nan')),
                 'tf.Tensor(nan, shape=(), dtype=float32)',
                 '<tf.Tensor: shape=(), dtype=float32, numpy=nan>',
                 id='s_nan'),
    pytest.param(lambda: tf.constant(float('-inf')),
                 'tf.Tensor(-inf, shape=(), dtype=float32)',
                 '<tf.Tensor: shape=(), dtype=float32, numpy=-inf>',
                 id='s_inf'),
    pytest.param(lambda: tf.constant([1., 2., 3.]),
                 'tf.Tensor([1. 2. 3.], shape=(3,), dtype=float32)',
                 '<tf.Tensor: shape=(3,), dtype=float32, numpy=array([1., 2., 3.], dtype=float32)>',
                 id='v_f'),
    pytest.param(lambda: tf.constant([1, 2, 3]),
                 'tf.Tensor([1 2 3], shape=(3,), dtype=int32)',
                 '<tf.Tensor: shape=(3,), dtype=int32, numpy=array([1, 2, 3], dtype=int32)>',
                 id='v_i'),
    pytest.param(lambda: tf.constant([1, 2, 3], dtype=tf.int64),
                 'tf.Tensor([1 2 3], shape=(3,), dtype=int64)',
                 '<tf.Tensor: shape=(3,), dtype=int64, numpy=array([1, 2, 3])>',
                 id='v_i64'),
    pytest.param(lambda: tf.constant([0.1, 0.2], dtype=tf.float64),
                 'tf.Tensor([0.1 0.2], shape=(2,), dtype=float64)',
                 '<tf.Tensor: shape=(2,), dtype=float64, numpy=array([0.1, 0.2])>',
                 id='v_f64'),
    pytest.param(lambda: tf.constant([True, False, True]),
                 'tf.Tensor([ True False  True], shape=(3,), dtype=bool)',
                 '<tf.Tensor: shape=(3,), dtype=bool, numpy=array([ True, False,  True])>',
                 id='v_b'),
    pytest.param(lambda: tf.constant([1.5, -2.25, 1e-3]),
                 'tf.Tensor([ 1.50e+00 -2.25e+00  1.00e-03], shape=(3,), dtype=float32)',
                 '<tf.Tensor: shape=(3,), dtype=float32, numpy=array([ 1.50e+00, -2.25e+00,  1.00e-03], dtype=float32)>',
                 id='v_mixed'),
    pytest.param(lambda: tf.ones(shape=(2, 1)),
                 'tf.Tensor(\n[[1.]\n [1.]], shape=(2, 1), dtype=float32)',
                 '<tf.Tensor: shape=(2, 1), dtype=float32, numpy=\narray([[1.],\n       [1.]], dtype=float32)>',
                 id='m_f'),
    pytest.param(lambda: tf.zeros((2, 2)),
                 'tf.Tensor(\n[[0. 0.]\n [0. 0.]], shape=(2, 2), dtype=float32)',
                 '<tf.Tensor: shape=(2, 2), dtype=float32, numpy=\narray([[0., 0.],\n       [0., 0.]], dtype=float32)>',
                 id='m_z'),
    pytest.param(lambda: tf.constant([[1, 2], [3, 4]]),
                 'tf.Tensor(\n[[1 2]\n [3 4]], shape=(2, 2), dtype=int32)',
                 '<tf.Tensor: shape=(2, 2), dtype=int32, numpy=\narray([[1, 2],\n       [3, 4]], dtype=int32)>',
                 id='m_i'),
    pytest.param(lambda: tf.constant([[True], [False]]),
                 'tf.Tensor(\n[[ True]\n [False]], shape=(2, 1), dtype=bool)',
                 '<tf.Tensor: shape=(2, 1), dtype=bool, numpy=\narray([[ True],\n       [False]])>',
                 id='m_b'),
    pytest.param(lambda: tf.constant([[1, 2], [3, 4]], dtype=tf.int64),
                 'tf.Tensor(\n[[1 2]\n [3 4]], shape=(2, 2), dtype=int64)',
                 '<tf.Tensor: shape=(2, 2), dtype=int64, numpy=\narray([[1, 2],\n       [3, 4]])>',
                 id='m_i64'),
    pytest.param(lambda: tf.constant([[1.5, 2.], [3., 4.]], dtype=tf.float64),
                 'tf.Tensor(\n[[1.5 2. ]\n [3.  4. ]], shape=(2, 2), dtype=float64)',
                 '<tf.Tensor: shape=(2, 2), dtype=float64, numpy=\narray([[1.5, 2. ],\n       [3. , 4. ]])>',
                 id='m_f64'),
    pytest.param(lambda: tf.reshape(tf.range(8), (2, 2, 2)),
                 'tf.Tensor(\n[[[0 1]\n  [2 3]]\n\n [[4 5]\n  [6 7]]], shape=(2, 2, 2), dtype=int32)',
                 '<tf.Tensor: shape=(2, 2, 2), dtype=int32, numpy=\narray([[[0, 1],\n        [2, 3]],\n\n       [[4, 5],\n        [6, 7]]], dtype=int32)>',
                 id='t3'),
    pytest.param(lambda: tf.reshape(tf.range(12, dtype=tf.float32), (2, 3, 2)) / 7,
                 'tf.Tensor(\n[[[0.         0.14285715]\n  [0.2857143  0.42857143]\n  [0.5714286  0.71428573]]\n\n [[0.85714287 1.        ]\n  [1.1428572  1.2857143 ]\n  [1.4285715  1.5714285 ]]], shape=(2, 3, 2), dtype=float32)',
                 '<tf.Tensor: shape=(2, 3, 2), dtype=float32, numpy=\narray([[[0.        , 0.14285715],\n        [0.2857143 , 0.42857143],\n        [0.5714286 , 0.71428573]],\n\n       [[0.85714287, 1.        ],\n        [1.1428572 , 1.2857143 ],\n        [1.4285715 , 1.5714285 ]]], dtype=float32)>',
                 id='t3f'),
    pytest.param(lambda: tf.constant([]),
                 'tf.Tensor([], shape=(0,), dtype=float32)',
                 '<tf.Tensor: shape=(0,), dtype=float32, numpy=array([], dtype=float32)>',
                 id='empty'),
    pytest.param(lambda: tf.zeros((0,), dtype=tf.int32),
                 'tf.Tensor([], shape=(0,), dtype=int32)',
                 '<tf.Tensor: shape=(0,), dtype=int32, numpy=array([], dtype=int32)>',
                 id='empty_i'),
    pytest.param(lambda: tf.zeros((2, 0)),
                 'tf.Tensor([], shape=(2, 0), dtype=float32)',
                 '<tf.Tensor: shape=(2, 0), dtype=float32, numpy=array([], shape=(2, 0), dtype=float32)>',
                 id='empty2'),
    pytest.param(lambda: tf.zeros((0, 3)),
                 'tf.Tensor([], shape=(0, 3), dtype=float32)',
                 '<tf.Tensor: shape=(0, 3), dtype=float32, numpy=array([], shape=(0, 3), dtype=float32)>',
                 id='empty3'),
    pytest.param(lambda: tf.range(2000),
                 'tf.Tensor([   0    1    2 ... 1997 1998 1999], shape=(2000,), dtype=int32)',
                 '<tf.Tensor: shape=(2000,), dtype=int32, numpy=\narray([   0,    1,    2, ..., 1997, 1998, 1999],\n      shape=(2000,), dtype=int32)>',
                 id='large'),
    pytest.param(lambda: tf.reshape(tf.range(2000, dtype=tf.float32), (40, 50)),
                 'tf.Tensor(\n[[0.000e+00 1.000e+00 2.000e+00 ... 4.700e+01 4.800e+01 4.900e+01]\n [5.000e+01 5.100e+01 5.200e+01 ... 9.700e+01 9.800e+01 9.900e+01]\n [1.000e+02 1.010e+02 1.020e+02 ... 1.470e+02 1.480e+02 1.490e+02]\n ...\n [1.850e+03 1.851e+03 1.852e+03 ... 1.897e+03 1.898e+03 1.899e+03]\n [1.900e+03 1.901e+03 1.902e+03 ... 1.947e+03 1.948e+03 1.949e+03]\n [1.950e+03 1.951e+03 1.952e+03 ... 1.997e+03 1.998e+03 1.999e+03]], shape=(40, 50), dtype=float32)',
                 '<tf.Tensor: shape=(40, 50), dtype=float32, numpy=\narray([[0.000e+00, 1.000e+00, 2.000e+00, ..., 4.700e+01, 4.800e+01,\n        4.900e+01],\n       [5.000e+01, 5.100e+01, 5.200e+01, ..., 9.700e+01, 9.800e+01,\n        9.900e+01],\n       [1.000e+02, 1.010e+02, 1.020e+02, ..., 1.470e+02, 1.480e+02,\n        1.490e+02],\n       ...,\n       [1.850e+03, 1.851e+03, 1.852e+03, ..., 1.897e+03, 1.898e+03,\n        1.899e+03],\n       [1.900e+03, 1.901e+03, 1.902e+03, ..., 1.947e+03, 1.948e+03,\n        1.949e+03],\n       [1.950e+03, 1.951e+03, 1.952e+03, ..., 1.997e+03, 1.998e+03,\n        1.999e+03]], shape=(40, 50), dtype=float32)>',
                 id='large_f'),
    pytest.param(lambda: tf.ones(1001),
                 'tf.Tensor([1. 1. 1. ... 1. 1. 1.], shape=(1001,), dtype=float32)',
                 '<tf.Tensor: shape=(1001,), dtype=float32, numpy=array([1., 1., 1., ..., 1., 1., 1.], shape=(1001,), dtype=float32)>',
                 id='large_1001'),
    pytest.param(lambda: tf.range(30, dtype=tf.float32) / 3,
                 'tf.Tensor(\n[0.         0.33333334 0.6666667  1.         1.3333334  1.6666666\n 2.         2.3333333  2.6666667  3.         3.3333333  3.6666667\n 4.         4.3333335  4.6666665  5.         5.3333335  5.6666665\n 6.         6.3333335  6.6666665  7.         7.3333335  7.6666665\n 8.         8.333333   8.666667   9.         9.333333   9.666667  ], shape=(30,), dtype=float32)',
                 '<tf.Tensor: shape=(30,), dtype=float32, numpy=\narray([0.        , 0.33333334, 0.6666667 , 1.        , 1.3333334 ,\n       1.6666666 , 2.        , 2.3333333 , 2.6666667 , 3.        ,\n       3.3333333 , 3.6666667 , 4.        , 4.3333335 , 4.6666665 ,\n       5.        , 5.3333335 , 5.6666665 , 6.        , 6.3333335 ,\n       6.6666665 , 7.        , 7.3333335 , 7.6666665 , 8.        ,\n       8.333333  , 8.666667  , 9.        , 9.333333  , 9.666667  ],\n      dtype=float32)>',
                 id='long_row'),
    pytest.param(lambda: tf.constant([[-1.5, 2.], [3.25, -4.]]),
                 'tf.Tensor(\n[[-1.5   2.  ]\n [ 3.25 -4.  ]], shape=(2, 2), dtype=float32)',
                 '<tf.Tensor: shape=(2, 2), dtype=float32, numpy=\narray([[-1.5 ,  2.  ],\n       [ 3.25, -4.  ]], dtype=float32)>',
                 id='neg_m'),
    pytest.param(lambda: tf.constant([[ 2.1160586 ], [-0.71148944], [ 1.6094608 ]]),
                 'tf.Tensor(\n[[ 2.1160586 ]\n [-0.71148944]\n [ 1.6094608 ]], shape=(3, 1), dtype=float32)',
                 '<tf.Tensor: shape=(3, 1), dtype=float32, numpy=\narray([[ 2.1160586 ],\n       [-0.71148944],\n       [ 1.6094608 ]], dtype=float32)>',
                 id='randn'),
    pytest.param(lambda: tf.constant([1, 2**40]),
                 'tf.Tensor([            1 1099511627776], shape=(2,), dtype=int64)',
                 '<tf.Tensor: shape=(2,), dtype=int64, numpy=array([            1, 1099511627776])>',
                 id='big_i'),
    pytest.param(lambda: tf.constant(np.linspace(0, 1, 7)),
                 'tf.Tensor(\n[0.         0.16666667 0.33333333 0.5        0.66666667 0.83333333\n 1.        ], shape=(7,), dtype=float64)',
                 '<tf.Tensor: shape=(7,), dtype=float64, numpy=\narray([0.        , 0.16666667, 0.33333333, 0.5       , 0.66666667,\n       0.83333333, 1.        ])>',
                 id='f64_long'),
    pytest.param(lambda: tf.constant([1., float('nan'), float('inf')]),
                 'tf.Tensor([ 1. nan inf], shape=(3,), dtype=float32)',
                 '<tf.Tensor: shape=(3,), dtype=float32, numpy=array([ 1., nan, inf], dtype=float32)>',
                 id='nan_vec'),
]


@pytest.mark.parametrize("make, expected_str, expected_repr", TENSOR_CASES)
def test_tensor_str(make, expected_str, expected_repr):
    assert str(make()) == expected_str


@pytest.mark.parametrize("make, expected_str, expected_repr", TENSOR_CASES)
def test_tensor_repr(make, expected_str, expected_repr):
    assert repr(make()) == expected_repr


VARIABLE_CASES = [
    pytest.param(lambda: tf.Variable(tf.ones((3, 1))),
                 "<tf.Variable 'Variable:0' shape=(3, 1) dtype=float32, numpy=\narray([[1.],\n       [1.],\n       [1.]], dtype=float32)>",
                 id='v31'),
    pytest.param(lambda: tf.Variable(3.),
                 "<tf.Variable 'Variable:0' shape=() dtype=float32, numpy=3.0>",
                 id='vs'),
    pytest.param(lambda: tf.Variable([1, 2]),
                 "<tf.Variable 'Variable:0' shape=(2,) dtype=int32, numpy=array([1, 2], dtype=int32)>",
                 id='vi'),
    pytest.param(lambda: tf.Variable(1., name='w'),
                 "<tf.Variable 'w:0' shape=() dtype=float32, numpy=1.0>",
                 id='vnamed'),
    pytest.param(lambda: tf.Variable([[1., 2.]], name='kernel'),
                 "<tf.Variable 'kernel:0' shape=(1, 2) dtype=float32, numpy=array([[1., 2.]], dtype=float32)>",
                 id='vnamed2'),
    pytest.param(lambda: tf.Variable([True, False]),
                 "<tf.Variable 'Variable:0' shape=(2,) dtype=bool, numpy=array([ True, False])>",
                 id='vbool'),
    pytest.param(lambda: tf.Variable(np.array([1, 2])),
                 "<tf.Variable 'Variable:0' shape=(2,) dtype=int64, numpy=array([1, 2])>",
                 id='vi64'),
    pytest.param(lambda: tf.Variable(np.array([1.5, 2.])),
                 "<tf.Variable 'Variable:0' shape=(2,) dtype=float64, numpy=array([1.5, 2. ])>",
                 id='vf64'),
    pytest.param(lambda: tf.Variable(1., trainable=False),
                 "<tf.Variable 'Variable:0' shape=() dtype=float32, numpy=1.0>",
                 id='vnontrain'),
]


@pytest.mark.parametrize("make, expected", VARIABLE_CASES)
def test_variable_str_and_repr(make, expected):
    v = make()
    assert repr(v) == expected
    assert str(v) == expected


# (variable, assignment applied to it, TF's repr of the assignment's result)
UNREAD_CASES = [
    pytest.param(lambda: tf.Variable(tf.zeros((3, 1))), lambda v: v.assign(tf.ones((3, 1))),
                 "<tf.Variable 'UnreadVariable' shape=(3, 1) dtype=float32, numpy=\narray([[1.],\n       [1.],\n       [1.]], dtype=float32)>",
                 id='unread_assign'),
    pytest.param(lambda: tf.Variable(tf.ones((3, 1))), lambda v: v.assign_add(tf.ones((3, 1))),
                 "<tf.Variable 'UnreadVariable' shape=(3, 1) dtype=float32, numpy=\narray([[2.],\n       [2.],\n       [2.]], dtype=float32)>",
                 id='unread_add'),
    pytest.param(lambda: tf.Variable([1., 2.]), lambda v: v.assign_sub([1., 1.]),
                 "<tf.Variable 'UnreadVariable' shape=(2,) dtype=float32, numpy=array([0., 1.], dtype=float32)>",
                 id='unread_sub'),
    pytest.param(lambda: tf.Variable(tf.ones((3, 1))), lambda v: v[0, 0].assign(3),
                 "<tf.Variable 'UnreadVariable' shape=(3, 1) dtype=float32, numpy=\narray([[3.],\n       [1.],\n       [1.]], dtype=float32)>",
                 id='unread_slice'),
    pytest.param(lambda: tf.Variable(tf.ones((3, 2))), lambda v: v[1:].assign(tf.zeros((2, 2))),
                 "<tf.Variable 'UnreadVariable' shape=(3, 2) dtype=float32, numpy=\narray([[1., 1.],\n       [0., 0.],\n       [0., 0.]], dtype=float32)>",
                 id='unread_slice2'),
    pytest.param(lambda: tf.Variable(1., name='w'), lambda v: v.assign(2.),
                 "<tf.Variable 'UnreadVariable' shape=() dtype=float32, numpy=2.0>",
                 id='unread_named'),
    pytest.param(lambda: tf.Variable(1.), lambda v: v.assign(2.).assign_add(3.),
                 "<tf.Variable 'UnreadVariable' shape=() dtype=float32, numpy=5.0>",
                 id='unread_chain'),
]


@pytest.mark.parametrize("make, assign, expected", UNREAD_CASES)
def test_unread_variable_repr(make, assign, expected):
    v = make()
    r = assign(v)
    assert repr(r) == expected
    assert str(r) == expected
    # The variable itself keeps its own name.
    assert repr(v).startswith("<tf.Variable '%s'" % v.name)


# ---- more printing behaviour ---------------------------------------------------------
def test_print_matches_tf(capsys):
    print(tf.ones(shape=(2, 1)))
    print(tf.constant(19.6), tf.constant(9.8))
    out = capsys.readouterr().out
    assert out == ("tf.Tensor(\n[[1.]\n [1.]], shape=(2, 1), dtype=float32)\n"
                   "tf.Tensor(19.6, shape=(), dtype=float32) "
                   "tf.Tensor(9.8, shape=(), dtype=float32)\n")


def test_format_scalars():
    t = tf.constant(0.123456)
    # TF 2.21: ('0.1235', '0.12345600128173828', '1.23e-01', '3', '    3')
    assert f"{t:.4f}" == "0.1235"
    assert f"{t}" == "0.12345600128173828"
    assert format(t, ".2e") == "1.23e-01"
    assert f"{tf.constant(3):d}" == "3"
    assert f"{tf.constant(3):5d}" == "    3"
    loss = tf.reduce_mean(tf.square(tf.constant([0.1, 0.2])))
    assert f"{loss:.4f}" == "0.0250"


def test_format_non_scalars():
    t = tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert f"{t}" == "[[1. 2. 3.]\n [4. 5. 6.]]"
    with pytest.raises(TypeError, match="unsupported format string"):
        f"{t:.2f}"


def test_values_read_from_a_variable_print_as_tensors():
    v = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    expected = ("<tf.Tensor: shape=(2, 2), dtype=float32, numpy=\narray([[1., 2.],\n"
                "       [3., 4.]], dtype=float32)>")
    assert repr(v.value()) == expected
    assert repr(v.read_value()) == expected
    assert repr(v[0]) == ("<tf.Tensor: shape=(2,), dtype=float32, "
                          "numpy=array([1., 2.], dtype=float32)>")


def test_printing_a_long_vector_wraps_like_numpy():
    t = tf.ones(1000)
    text = str(t)
    assert text == ("tf.Tensor(\n" + str(np.ones(1000, np.float32))
                    + ", shape=(1000,), dtype=float32)")
    assert text.startswith("tf.Tensor(\n[1. 1. 1. 1. 1. 1. ")
    assert repr(t).endswith("1., 1., 1., 1.],\n      dtype=float32)>")


def test_printing_does_not_change_numpy_print_options():
    before = np.get_printoptions()
    str(tf.range(2000))
    repr(tf.zeros((40, 50)))
    assert np.get_printoptions() == before


def test_int64_arrays_print_without_dtype():
    # numpy omits dtype=int64 (the default integer), and so does TF's repr.
    assert repr(tf.constant([1, 2, 3], dtype=tf.int64)) == (
        "<tf.Tensor: shape=(3,), dtype=int64, numpy=array([1, 2, 3])>")
    assert repr(tf.argmax(tf.constant([[1.0, 3.0], [2.0, 0.0]]), axis=1)) == (
        "<tf.Tensor: shape=(2,), dtype=int64, numpy=array([1, 0])>")
    assert repr(tf.Variable(np.array([1, 2]))) == (
        "<tf.Variable 'Variable:0' shape=(2,) dtype=int64, numpy=array([1, 2])>")
