"""Gradients at the edges of ops' domains against what TensorFlow 2.21 gives.

The cases (tests/fixtures/tf/gradient_edges_cases.py) are singular points, ties, the
unselected branch of a `where`, large logits, and Variable slices and assignments:
places where a rule can be right almost everywhere and still differ from TF (relu6 at
6, selu at 0, `where(x > 0, sqrt(x), 0)` at -1, the slice of a Variable dropping out of
a sum). The expected values were written by tests/fixtures/tf/make_gradient_edges.py
under real TF. Both first-order walks (native and Python rules) are checked, and a
nested tape (which runs the Python rules while recording them) as well.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np
import pytest

import tapeflow as tf
from core_utils import native_and_python

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "tf")
sys.path.insert(0, HERE)
from gradient_edges_cases import CASES  # noqa: E402

with open(os.path.join(HERE, "gradient_edges.json")) as _f:
    EXPECTED = json.load(_f)["cases"]


def _decode(values):
    return None if values is None else np.array([float(v) for v in values], np.float32)


def _gradient(fn, x, nested: bool = False):
    v = tf.Variable(x, dtype=tf.float32)
    if nested:  # an outer tape records the inner gradient: the Python rules run
        with tf.GradientTape() as outer:
            with tf.GradientTape() as tape:
                y = fn(tf, v)
            g = tape.gradient(y, v)
        del outer
    else:
        with tf.GradientTape() as tape:
            y = fn(tf, v)
        g = tape.gradient(y, v)
    return None if g is None else np.ravel(g.numpy())


def test_every_case_has_a_tf_value():
    assert sorted(EXPECTED) == sorted(name for name, _, _ in CASES)


@pytest.mark.parametrize("name,fn,x", CASES, ids=[c[0] for c in CASES])
def test_gradient_matches_tf(name, fn, x):
    want = _decode(EXPECTED[name]["grad"])
    native, python = native_and_python(lambda: _gradient(fn, x))
    nested = _gradient(fn, x, nested=True)
    for walk, got in (("native", native), ("python", python), ("nested", nested)):
        if want is None:
            assert got is None, f"{walk}: TF has no gradient, got {got}"
            continue
        assert got is not None, f"{walk}: no gradient, TF gives {want}"
        np.testing.assert_allclose(got, want, rtol=2e-6, atol=0, equal_nan=True,
                                   err_msg=f"{walk} walk")


def test_watched_variables_survive_a_one_shot_gradient():
    # TF's autodiff guide prints ['x0:0'] after tape.gradient on a non-persistent tape.
    x0 = tf.Variable(2.0, name="x0")
    x1 = tf.Variable(3.0, name="x1", trainable=False)
    with tf.GradientTape() as tape:
        y = x0 * x0 + x1
    tape.gradient(y, x0)
    assert [v.name for v in tape.watched_variables()] == ["x0:0"]
    tape.reset()
    assert tape.watched_variables() == ()


def test_gradient_through_sliced_variable_to_the_slice_itself():
    x = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape(persistent=True) as tape:
        s = x[0:2]
        y = tf.reduce_sum(s * s)
    np.testing.assert_array_equal(tape.gradient(y, s).numpy(), [2.0, 4.0])
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [2.0, 4.0, 0.0])
