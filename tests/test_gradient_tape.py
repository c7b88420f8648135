"""``tf.GradientTape`` semantics, as TensorFlow 2.21 (issue #4).

Every expected value, message and warning here was taken from TF 2.21 itself (run on
the same snippets); the tests do not import TensorFlow. Op-by-op gradient values are
checked by finite differences in test_gradients.py; this file is about the tape: what
it watches, the structure of its results, persistence, nesting, stop_recording/reset,
stop_gradient, custom_gradient, jacobians, TF's values at special points, and memory.
"""

from __future__ import annotations

import collections
import gc
import logging
import math
import tracemalloc

import numpy as np
import pytest

import tapeflow as tf

NON_PERSISTENT_MSG = (
    "A non-persistent GradientTape can only be used to compute one set of "
    "gradients (or jacobians)"
)
INT_WATCH_MSG = (
    "The dtype of the watched tensor must be floating (e.g. tf.float32), got tf.int32"
)


def allclose(t, expected, rtol=1e-6, atol=1e-6):
    assert t is not None
    np.testing.assert_allclose(np.asarray(t.numpy(), dtype=np.float64), expected,
                               rtol=rtol, atol=atol)


# ---- what is watched -----------------------------------------------------------------


def test_trainable_variable_is_watched_automatically():
    v = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = v * v
    g = tape.gradient(y, v)
    assert g.dtype == tf.float32 and g.shape == ()
    allclose(g, 6.0)


def test_constant_needs_watch():
    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        y = x * x
    assert tape.gradient(y, x) is None
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    allclose(tape.gradient(y, x), 6.0)


def test_watch_accepts_a_nest_of_tensors():
    a, b, c = tf.constant(1.0), tf.constant(2.0), tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch([a, {"k": (b, c)}])
        y = a * b * c
    ga, gb, gc_ = tape.gradient(y, [a, b, c])
    allclose(ga, 6.0)
    allclose(gb, 3.0)
    allclose(gc_, 2.0)


def test_watch_rejects_python_values():
    with tf.GradientTape() as tape:
        with pytest.raises(ValueError) as info:
            tape.watch(3.0)
    assert str(info.value) == ("Passed in object 3.0 of type 'float', not tf.Tensor or "
                               "tf.Variable or ExtensionType.")


def test_watch_accessed_variables_false():
    v, w = tf.Variable(2.0), tf.Variable(5.0)
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(w)
        y = v * w
    assert tape.watched_variables() == (w,)
    gv, gw = tape.gradient(y, [v, w])
    assert gv is None
    allclose(gw, 2.0)


def test_watch_accessed_variables_false_watches_nothing_by_itself():
    v = tf.Variable(1.0)
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        y = v * 2.0
    assert tape.watched_variables() == ()
    assert tape.gradient(y, v) is None


def test_non_trainable_variable_is_not_watched():
    nt, v = tf.Variable(2.0, trainable=False), tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = nt * v
    assert tape.watched_variables() == (v,)
    g_nt, g_v = tape.gradient(y, [nt, v])
    assert g_nt is None
    allclose(g_v, 2.0)


def test_non_trainable_variable_watched_explicitly():
    nt = tf.Variable(2.0, trainable=False)
    with tf.GradientTape() as tape:
        tape.watch(nt)
        y = nt * nt * nt
    allclose(tape.gradient(y, nt), 12.0)


def test_watched_variables_are_in_creation_order():
    # TF sorts watched variables by creation, not by first access.
    c, a, b = tf.Variable(3.0), tf.Variable(1.0), tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = b * a + c
    assert [float(v.numpy()) for v in tape.watched_variables()] == [3.0, 1.0, 2.0]
    with tf.GradientTape() as tape:
        tape.watch(b)
        tape.watch(c)
        y = a * 1.0
    assert [float(v.numpy()) for v in tape.watched_variables()] == [3.0, 1.0, 2.0]


def test_watched_variables_lists_each_variable_once_and_no_constants():
    v, x = tf.Variable(2.0), tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        tape.watch(v)
        y = v * v * x + v
    watched = tape.watched_variables()
    assert len(watched) == 1 and watched[0] is v


def test_tensor_computed_before_the_tape_is_unconnected():
    x = tf.constant(3.0)
    y = x * x
    with tf.GradientTape() as tape:
        tape.watch(x)
        z = y + 1.0
    assert tape.gradient(z, x) is None


# ---- sources and targets -------------------------------------------------------------


def test_sources_single_list_and_tuple():
    x, v = tf.constant(3.0), tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * v
    allclose(tape.gradient(y, x), 2.0)
    g = tape.gradient(y, [x, v])
    assert isinstance(g, list) and len(g) == 2
    allclose(g[0], 2.0)
    allclose(g[1], 3.0)
    g = tape.gradient(y, (x, v))
    assert isinstance(g, tuple) and len(g) == 2
    assert tape.gradient(y, []) == []


def test_sources_dict_and_nested_structures():
    a, b, c = tf.Variable(1.0), tf.Variable(2.0), tf.Variable(3.0)
    with tf.GradientTape(persistent=True) as tape:
        y = a * b * c
    g = tape.gradient(y, {"z": a, "a": [b, (c,)]})
    assert isinstance(g, dict) and list(g) == ["z", "a"]
    assert isinstance(g["a"], list) and isinstance(g["a"][1], tuple)
    allclose(g["z"], 6.0)
    allclose(g["a"][0], 3.0)
    allclose(g["a"][1][0], 2.0)

    P = collections.namedtuple("P", "first second")
    g = tape.gradient(y, P(first=a, second=(b, c)))
    assert type(g) is P
    allclose(g.first, 6.0)
    allclose(g.second[0], 3.0)
    allclose(g.second[1], 2.0)


def test_gradient_with_respect_to_intermediate_and_self():
    x = tf.constant(3.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        z = y * 2.0
    gy, gx = tape.gradient(z, [y, x])
    allclose(gy, 2.0)
    allclose(gx, 12.0)
    allclose(tape.gradient(x, x), 1.0)


def test_unconnected_gives_none_or_zeros():
    x = tf.constant(3.0)
    other = tf.constant([1.0, 2.0])
    v = tf.Variable([[1.0, 2.0], [3.0, 4.0]], dtype=tf.float64)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([x, other])
        y = x * x
    assert tape.gradient(y, [x, other, v])[1:] == [None, None]
    gx, go, gv = tape.gradient(y, [x, other, v],
                               unconnected_gradients=tf.UnconnectedGradients.ZERO)
    allclose(gx, 6.0)
    assert go.dtype == tf.float32 and go.shape == (2,)
    allclose(go, [0.0, 0.0])
    assert gv.dtype == tf.float64 and gv.shape == (2, 2)
    allclose(gv, np.zeros((2, 2)))
    g = tape.gradient(y, other, unconnected_gradients="zero")
    allclose(g, [0.0, 0.0])
    assert tape.gradient(y, other, unconnected_gradients="none") is None


def test_unconnected_gradients_enum():
    assert tf.UnconnectedGradients.NONE.value == "none"
    assert tf.UnconnectedGradients.ZERO.value == "zero"


def test_unconnected_zero_for_integer_source_is_integer_zeros():
    # TF 2.21: [6.0, <int32 0>, 0.0]
    x, xi = tf.constant(3.0), tf.constant(2)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    gx, gi, gc_ = tape.gradient(y, [x, xi, tf.constant(5.0)],
                                unconnected_gradients=tf.UnconnectedGradients.ZERO)
    allclose(gx, 6.0)
    assert gi is not None and gi.dtype == tf.int32 and int(gi.numpy()) == 0
    allclose(gc_, 0.0)


def test_non_scalar_target_is_summed():
    x = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    allclose(tape.gradient(y, x), [2.0, 4.0, 6.0])


def test_list_of_targets_is_summed():
    x = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y1 = x * x
        y2 = 3.0 * x
    allclose(tape.gradient([y1, y2], x), [5.0, 7.0, 9.0])


def test_output_gradients():
    x = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        z = tf.reduce_sum(x)
    allclose(tape.gradient(y, x, output_gradients=tf.constant([1.0, 10.0, 100.0])),
             [2.0, 40.0, 600.0])
    allclose(tape.gradient([y, z], x, output_gradients=[tf.constant([1.0, 0.0, 2.0]),
                                                        tf.constant(5.0)]),
             [7.0, 5.0, 17.0])


# ---- integer sources -----------------------------------------------------------------


def test_watching_an_int_tensor_logs_tf_warning_and_gives_none(caplog):
    x = tf.constant(3)
    with caplog.at_level(logging.WARNING):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = x * x
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warnings] == [INT_WATCH_MSG]
    assert tape.gradient(y, x) is None


def test_int_variable_gives_none_without_warning(caplog):
    vi, vf = tf.Variable(3), tf.Variable(2.0)
    assert vi.trainable
    with caplog.at_level(logging.DEBUG):
        with tf.GradientTape() as tape:
            y = tf.cast(vi, tf.float32) * vf
        assert [v.dtype for v in tape.watched_variables()] == [tf.int32, tf.float32]
        gi, gf = tape.gradient(y, [vi, vf])
    assert gi is None
    allclose(gf, 3.0)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_int_variable_alone():
    v = tf.Variable(3)
    with tf.GradientTape() as tape:
        y = v * v
    assert tape.gradient(y, v) is None


# ---- persistence ---------------------------------------------------------------------


def test_non_persistent_second_gradient_raises():
    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    allclose(tape.gradient(y, x), 6.0)
    with pytest.raises(RuntimeError) as info:
        tape.gradient(y, x)
    assert str(info.value) == NON_PERSISTENT_MSG


def test_non_persistent_second_gradient_inside_the_block_raises():
    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
        allclose(tape.gradient(y, x), 6.0)
        with pytest.raises(RuntimeError) as info:
            tape.gradient(y, x)
    assert str(info.value) == NON_PERSISTENT_MSG


def test_non_persistent_jacobian_then_gradient_raises():
    x = tf.constant([[1.0, 2.0]])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    tape.batch_jacobian(y, x)
    with pytest.raises(RuntimeError) as info:
        tape.gradient(y, x)
    assert str(info.value) == NON_PERSISTENT_MSG


def test_persistent_tape_allows_many_gradients():
    x = tf.constant(3.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        z = y * y
    for _ in range(3):
        allclose(tape.gradient(z, x), 108.0)
        allclose(tape.gradient(y, x), 6.0)
    allclose(tape.gradient(z, y), 18.0)
    del tape


def test_persistent_gradient_inside_context_is_recorded():
    # TF records the gradient computation on the same (persistent, still open) tape.
    x = tf.constant(3.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x ** 3
        g = tape.gradient(y, x)
    allclose(g, 27.0)
    allclose(tape.gradient(g, x), 18.0)


# ---- nested tapes --------------------------------------------------------------------


def test_second_derivative_of_cube():
    x = tf.constant(2.0)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = x ** 3
        dy = inner.gradient(y, x)
    allclose(dy, 12.0)
    allclose(outer.gradient(dy, x), 12.0)


def _nth_derivative(f, x, n):
    """d^n f / dx^n at x through n nested tapes."""
    if n == 0:
        return f(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        lower = _nth_derivative(f, x, n - 1)
    return tape.gradient(lower, x)


@pytest.mark.parametrize(
    "n,expected", [(1, 32.0), (2, 48.0), (3, 48.0), (4, 24.0), (5, 0.0), (6, 0.0)]
)
def test_nested_tapes_any_depth_x4(n, expected):
    x = tf.constant(2.0)
    allclose(_nth_derivative(lambda t: t ** 4, x, n), expected)


def test_sixth_derivative_of_exp():
    x = tf.constant(0.5, dtype=tf.float64)
    allclose(_nth_derivative(tf.exp, x, 6), math.exp(0.5), rtol=1e-12)


def test_chapter_position_speed_acceleration():
    time_ = tf.Variable(2.0)
    with tf.GradientTape() as outer_tape:
        with tf.GradientTape() as inner_tape:
            position = 4.9 * time_ ** 2
        speed = inner_tape.gradient(position, time_)
    acceleration = outer_tape.gradient(speed, time_)
    allclose(speed, 19.6)
    allclose(acceleration, 9.8)


def test_mixed_partial_derivatives():
    x, y = tf.constant(3.0), tf.constant(2.0)
    with tf.GradientTape() as outer:
        outer.watch([x, y])
        with tf.GradientTape() as inner:
            inner.watch(x)
            f = x * x * y
        g = inner.gradient(f, x)
    gxx, gxy = outer.gradient(g, [x, y])
    allclose(gxx, 4.0)
    allclose(gxy, 6.0)


def test_hessian_from_jacobian_of_gradient():
    x = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = tf.reduce_sum(x ** 3)
        g = inner.gradient(y, x)
    allclose(outer.jacobian(g, x), np.diag([6.0, 12.0, 18.0]))


def test_inner_tape_under_outer_stop_recording_is_constant_for_outer():
    x = tf.constant(2.0)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with outer.stop_recording():
            with tf.GradientTape() as inner:
                inner.watch(x)
                y = x * x * x
            g = inner.gradient(y, x)
        z = g * x
    allclose(outer.gradient(z, x), 12.0)


def test_reentering_an_active_tape_raises():
    tape = tf.GradientTape()
    with tape:
        with pytest.raises(ValueError) as info:
            with tape:
                pass
    assert str(info.value) == ("Tape is still recording, This can happen if you try to "
                               "re-enter an already-active tape.")


# ---- stop_recording, reset, stop_gradient --------------------------------------------


def test_stop_recording():
    x = tf.constant(3.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        with tape.stop_recording():
            z = x * x * x
        w = y + z
    assert tape.gradient(z, x) is None
    allclose(tape.gradient(w, x), 6.0)


def test_stop_recording_on_a_tape_never_entered_raises():
    tape = tf.GradientTape()
    with pytest.raises(RuntimeError) as info:
        with tape.stop_recording():
            pass
    assert str(info.value) == "Trying to stop recording a tape which is not recording."


def test_stop_recording_after_the_block_raises():
    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        x * x
    with pytest.raises(ValueError) as info:
        with tape.stop_recording():
            pass
    assert str(info.value) == "Tape is not recording."


def test_reset():
    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
        tape.reset()
        tape.watch(x)
        z = x * x * x
    allclose(tape.gradient(z, x), 27.0)

    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
        tape.reset()
        z = x * x * x
    assert tape.gradient(z, x) is None  # the watch was forgotten too

    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
        tape.reset()
        z = y * x
    assert tape.gradient(z, x) is None


def test_reset_forgets_variables_and_keeps_recording():
    v = tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as tape:
        y = v * v
        tape.reset()
        assert tape.watched_variables() == ()
        z = v * 5.0
    assert tape.watched_variables() == (v,)
    assert tape.gradient(y, v) is None
    allclose(tape.gradient(z, v), 5.0)


def test_stop_gradient():
    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * tf.stop_gradient(x * x)
    allclose(tape.gradient(y, x), 9.0)


def test_stop_gradient_alone_is_unconnected():
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.stop_gradient(x)
    assert tape.gradient(y, x) is None


# ---- custom_gradient -----------------------------------------------------------------


@tf.custom_gradient
def log1pexp(x):
    e = tf.exp(x)

    def grad(upstream):
        return upstream * (1 - 1 / (1 + e))

    return tf.math.log(1 + e), grad


@tf.custom_gradient
def clip_gradients(y):
    def backward(dy):
        return tf.clip_by_value(dy, -0.5, 0.5)

    return tf.identity(y), backward


def test_custom_gradient_log1pexp_is_stable():
    x = tf.constant(100.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = log1pexp(x)
    assert math.isinf(float(y.numpy()))
    allclose(tape.gradient(y, x), 1.0)

    x = tf.constant([0.0, 1.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = log1pexp(x)
    allclose(y, [0.6931472, 1.3132616])
    allclose(tape.gradient(y, x), [0.5, 0.7310586])


def test_custom_gradient_clipping_identity():
    x = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = clip_gradients(x) * tf.constant([0.1, 2.0, -3.0])
    allclose(tape.gradient(y, x), [0.1, 0.5, -0.5])


def test_custom_gradient_reading_a_variable():
    v = tf.Variable(2.0)
    seen = []

    @tf.custom_gradient
    def f(x):
        y = x * v

        def grad(dy, variables=None):
            seen.append(variables)
            return dy * v * 10, [dy * x * 100]

        return y, grad

    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    allclose(y, 6.0)
    gx, gv = tape.gradient(y, [x, v])
    allclose(gx, 20.0)
    allclose(gv, 300.0)
    assert len(seen) == 1 and len(seen[0]) == 1 and seen[0][0] is v


def test_custom_gradient_two_inputs_and_no_tape():
    @tf.custom_gradient
    def mul(a, b):
        def grad(dy):
            return dy * b, dy * a * 2

        return a * b, grad

    a, b = tf.constant(2.0), tf.constant(5.0)
    allclose(mul(a, b), 10.0)
    with tf.GradientTape() as tape:
        tape.watch([a, b])
        y = mul(a, b)
    ga, gb = tape.gradient(y, [a, b])
    allclose(ga, 5.0)
    allclose(gb, 4.0)


def test_custom_gradient_second_order():
    @tf.custom_gradient
    def cube(x):
        def grad(dy):
            return dy * 3 * x * x

        return x * x * x, grad

    x = tf.constant(2.0)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = cube(x)
        g = inner.gradient(y, x)
    allclose(g, 12.0)
    allclose(outer.gradient(g, x), 12.0)


# ---- jacobian and batch_jacobian -----------------------------------------------------


def test_jacobian_outer_product():
    xv = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    x = tf.constant(xv)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x[:, None] * x[None, :]
    j = tape.jacobian(y, x)
    assert j.shape == (3, 3, 3)
    eye = np.eye(3)
    expected = np.einsum("ik,j->ijk", eye, xv) + np.einsum("i,jk->ijk", xv, eye)
    allclose(j, expected)
    np.testing.assert_allclose(j.numpy()[1], [[2.0, 1.0, 0.0], [0.0, 4.0, 0.0],
                                              [0.0, 3.0, 2.0]])


def test_jacobian_scalar_target_list_sources_and_variable():
    v = tf.Variable([1.0, 2.0])
    x = tf.constant([3.0, 4.0, 5.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = tf.reduce_sum(x) * v
        s = tf.reduce_sum(x * x)
    jx, jv = tape.jacobian(y, [x, v])
    allclose(jx, [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]])
    allclose(jv, [[12.0, 0.0], [0.0, 12.0]])
    allclose(tape.jacobian(s, x), [6.0, 8.0, 10.0])


def test_jacobian_matches_analytic_for_matmul_tanh():
    rng = np.random.default_rng(0)
    wv = rng.uniform(-1, 1, size=(3, 2))
    xv = rng.uniform(-1, 1, size=(3,))
    x = tf.constant(xv)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.tanh(tf.matmul(x[None, :], tf.constant(wv)))[0]
    expected = (1 - np.tanh(xv @ wv) ** 2)[:, None] * wv.T
    allclose(tape.jacobian(y, x), expected, rtol=1e-12, atol=1e-12)


def test_jacobian_unconnected():
    x = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        z = tf.constant([1.0, 2.0]) * 2.0
    assert tape.jacobian(z, x) is None
    jz = tape.jacobian(z, x, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    assert jz.shape == (2, 3)
    allclose(jz, np.zeros((2, 3)))


def test_batch_jacobian_matches_analytic():
    xv = np.array([[0.1, 0.2], [0.3, -0.4], [-0.5, 0.6]], dtype=np.float32)
    wv = np.array([[0.1, 0.2, 0.3], [-0.4, 0.5, 0.6]], dtype=np.float32)
    x = tf.constant(xv)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.tanh(x @ tf.constant(wv))
    bj = tape.batch_jacobian(y, x)
    assert bj.shape == (3, 3, 2)
    d = 1 - np.tanh(xv.astype(np.float64) @ wv) ** 2  # (batch, out)
    expected = d[:, :, None] * wv.T[None, :, :]
    allclose(bj, expected, rtol=1e-5, atol=1e-6)


def test_batch_jacobian_rank3_target():
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x[:, :, None] * x[:, None, :]  # (2, 2, 2)
    bj = tape.batch_jacobian(y, x)
    assert bj.shape == (2, 2, 2, 2)
    xv, eye = x.numpy(), np.eye(2)
    expected = (np.einsum("ik,bj->bijk", eye, xv) + np.einsum("bi,jk->bijk", xv, eye))
    allclose(bj, expected)


def test_batch_jacobian_unconnected_is_zeros():
    # TF 2.21 (with or without pfor) returns zeros here, not None.
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    with tf.GradientTape() as tape:
        tape.watch(x)
        z = tf.constant([[1.0, 2.0], [3.0, 4.0]]) * 2.0
    bj = tape.batch_jacobian(z, x)
    assert bj is not None and bj.shape == (2, 2, 2)
    allclose(bj, np.zeros((2, 2, 2)))


# ---- broadcasting --------------------------------------------------------------------


def test_broadcast_gradients_are_reduced_to_operand_shape():
    x = tf.constant([[1.0], [2.0], [3.0]])          # (3, 1)
    y = tf.constant([1.0, 10.0, 100.0, 1000.0])     # (4,)
    s = tf.Variable(2.0)                             # scalar
    with tf.GradientTape() as tape:
        tape.watch([x, y])
        z = (x + y) * s + x * y
    gx, gy, gs = tape.gradient(z, [x, y, s])
    assert gx.shape == (3, 1) and gy.shape == (4,) and gs.shape == ()
    allclose(gx, [[4 * 2.0 + 1111.0]] * 3)
    allclose(gy, [3 * 2.0 + 6.0] * 4)
    allclose(gs, 4 * 6.0 + 3 * 1111.0)


def test_dense_layer_bias_gradient_sums_over_batch():
    x = tf.constant(np.arange(6.0).reshape(3, 2))
    w = tf.Variable(np.ones((2, 4)))
    b = tf.Variable(np.zeros(4))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.matmul(x, w) + b)
    gw, gb = tape.gradient(y, [w, b])
    allclose(gb, [3.0] * 4)
    allclose(gw, np.repeat(x.numpy().sum(0)[:, None], 4, axis=1))


def test_where_with_scalar_branch():
    x = tf.constant([-1.0, 2.0, 3.0])
    c = tf.constant(5.0)
    with tf.GradientTape() as tape:
        tape.watch([x, c])
        y = tf.where(x > 0.0, x * x, c)
    gx, gc_ = tape.gradient(y, [x, c])
    allclose(gx, [0.0, 4.0, 6.0])
    assert gc_.shape == ()
    allclose(gc_, 1.0)


# ---- ops without gradients -----------------------------------------------------------

NO_GRADIENT_OPS = {
    "argmax": lambda x: tf.argmax(x),
    "argmin": lambda x: tf.argmin(x),
    "greater": lambda x: tf.greater(x, 0.0),
    "less_operator": lambda x: x < 1.0,
    "equal": lambda x: tf.equal(x, x),
    "cast_to_int": lambda x: tf.cast(x, tf.int32),
    "cast_roundtrip_via_int": lambda x: tf.cast(tf.cast(x, tf.int32), tf.float32),
    "floor": tf.floor,
    "floor_then_float_op": lambda x: tf.floor(x) * 2.0,
    "round": tf.round,
    "ceil": tf.math.ceil,
    "floordiv": lambda x: tf.math.floordiv(x, 2.0),
    "random_uniform": lambda x: tf.random.uniform([3]),
    "random_normal": lambda x: tf.random.normal([3]) + 1.0,
    "ones_like": tf.ones_like,
    "zeros_like": tf.zeros_like,
    "shape": tf.shape,
    "size": tf.size,
    "where_coordinates": lambda x: tf.where(x > 0.0),
}


@pytest.mark.parametrize("name", list(NO_GRADIENT_OPS))
def test_ops_without_gradient_give_none(name):
    x = tf.constant([1.2, -0.7, 2.5])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = NO_GRADIENT_OPS[name](x)
    assert tape.gradient(y, x) is None


def test_sign_gradient_is_zeros():
    x = tf.constant([1.2, -0.7, 2.5])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.sign(x)
    allclose(tape.gradient(y, x), [0.0, 0.0, 0.0])


# ---- TF's values at special points ---------------------------------------------------


def _grad(f, xv, dtype=tf.float32):
    x = tf.constant(xv, dtype=dtype)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    return tape.gradient(y, x)


def test_reduce_max_and_min_split_ties_evenly():
    allclose(_grad(tf.reduce_max, [1.0, 3.0, 3.0]), [0.0, 0.5, 0.5])
    allclose(_grad(tf.reduce_min, [2.0, 1.0, 1.0, 5.0]), [0.0, 0.5, 0.5, 0.0])
    allclose(
        _grad(lambda x: tf.reduce_max(x, axis=1), [[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]]),
        [[0.0, 0.5, 0.5], [0.5, 0.5, 0.0]],
    )
    allclose(
        _grad(tf.reduce_max, [[4.0, 4.0], [4.0, 1.0]]), [[1 / 3, 1 / 3], [1 / 3, 0.0]]
    )


def test_maximum_minimum_ties_send_gradient_to_x():
    a, b = tf.constant([1.0, 2.0]), tf.constant([1.0, 3.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([a, b])
        mx = tf.maximum(a, b)
        mn = tf.minimum(a, b)
    ga, gb = tape.gradient(mx, [a, b])
    allclose(ga, [1.0, 0.0])
    allclose(gb, [0.0, 1.0])
    ga, gb = tape.gradient(mn, [a, b])
    allclose(ga, [1.0, 1.0])
    allclose(gb, [0.0, 0.0])


def test_relu_sqrt_abs_clip_at_special_points():
    xv = [-1.0, 0.0, 2.0]
    allclose(_grad(tf.nn.relu, xv), [0.0, 0.0, 1.0])
    allclose(_grad(tf.abs, xv), [-1.0, 0.0, 1.0])
    allclose(_grad(lambda x: tf.clip_by_value(x, 0.0, 2.0), xv), [0.0, 1.0, 1.0])
    g = _grad(tf.sqrt, xv).numpy()
    assert math.isnan(g[0])
    assert g[1] == math.inf
    assert abs(g[2] - 0.35355338) < 1e-6


def test_relu_gradient_at_zero_is_zero_float64():
    allclose(_grad(tf.nn.relu, [0.0], tf.float64), [0.0])


def test_sqrt_gradient_at_zero_is_inf():
    assert _grad(tf.sqrt, 0.0).numpy() == math.inf


def test_pow_at_zero_and_negative_base():
    assert float(_grad(lambda x: x ** 2.0, 0.0).numpy()) == 0.0
    assert float(_grad(lambda x: x ** 0.5, 0.0).numpy()) == math.inf
    x, b = tf.constant([0.0, -1.0]), tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch([x, b])
        y = tf.pow(x, b)
    gx, gb = tape.gradient(y, [x, b])
    allclose(gx, [0.0, -2.0])
    allclose(gb, 0.0)  # TF: log(x) taken as 0 where x <= 0


# ---- Variables: values at read time, slices, repeated reads --------------------------


def test_variable_read_then_assigned_uses_value_at_read_time():
    v = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = v * v
        v.assign(10.0)
    allclose(tape.gradient(y, v), 4.0)


def test_variable_reads_before_and_after_assign_both_count():
    v = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = v * v
        v.assign(10.0)
        z = y + v
    allclose(tape.gradient(z, v), 5.0)

    v = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = v * v
        v.assign_add(1.0)
        z = y * v
    allclose(tape.gradient(z, v), 16.0)


def test_variable_slice_gradient():
    v = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(v[1:] * 2.0)
    allclose(tape.gradient(y, v), [0.0, 2.0, 2.0])


def test_python_control_flow_and_accumulation():
    x = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x
        for _ in range(3):
            y = y * x if float(y.numpy()) < 100 else y
        y = y + x
    allclose(tape.gradient(y, x), 4 * 8.0 + 1.0)


# ---- memory --------------------------------------------------------------------------


def test_training_loop_does_not_grow_memory():
    rng = np.random.default_rng(0)
    w = tf.Variable(rng.uniform(size=(2, 1)).astype(np.float32))
    b = tf.Variable(np.zeros((1,), np.float32))
    x = tf.constant(rng.normal(size=(32, 2)).astype(np.float32))
    y = tf.constant(rng.normal(size=(32, 1)).astype(np.float32))

    def step():
        with tf.GradientTape() as tape:
            pred = tf.matmul(x, w) + b
            loss = tf.reduce_mean(tf.square(y - pred))
        gw, gb = tape.gradient(loss, [w, b])
        w.assign_sub(gw * 0.01)
        b.assign_sub(gb * 0.01)
        return loss

    for _ in range(200):  # warm up caches, lazily built tables, free lists
        step()
    gc.collect()
    tracemalloc.start()
    try:
        gc.collect()
        native0 = tf._core.host_bytes_in_use()
        py0 = tracemalloc.get_traced_memory()[0]
        for _ in range(10_000):
            loss = step()
        del loss
        gc.collect()
        native1 = tf._core.host_bytes_in_use()
        py1 = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert native1 - native0 <= 4096, f"native bytes grew {native0} -> {native1}"
    assert py1 - py0 <= 64 * 1024, f"Python memory grew by {py1 - py0} bytes"


@pytest.mark.host_only


def test_tape_releases_recorded_tensors():
    n = 250_000  # 1 MB per float32 tensor
    gc.collect()
    base = tf._core.host_bytes_in_use()
    x = tf.constant(np.linspace(-1, 1, n, dtype=np.float32))
    after_x = tf._core.host_bytes_in_use()
    assert after_x - base >= 4 * n

    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = tf.reduce_sum(tf.tanh(tf.exp(x) * 2.0 + x))
    g = tape.gradient(y, x)
    del y
    held = tf._core.host_bytes_in_use()
    assert held - after_x >= 3 * 4 * n  # intermediates kept by the persistent tape
    del tape
    gc.collect()
    assert tf._core.host_bytes_in_use() - after_x <= 4 * n + 4096  # only g is left

    del g
    with tf.GradientTape() as tape:  # non-persistent: released by gradient()
        tape.watch(x)
        y = tf.reduce_sum(tf.tanh(tf.exp(x) * 2.0 + x))
    g = tape.gradient(y, x)
    del y
    gc.collect()
    assert tf._core.host_bytes_in_use() - after_x <= 4 * n + 4096
    del g, x
    gc.collect()
    assert tf._core.host_bytes_in_use() - base <= 4096


def test_fused_sparse_xent_has_exact_first_and_second_derivatives() -> None:
    """The fused kernel's backprop (softmax - one_hot) is used when nothing records the
    backward pass; under an outer tape the gradient is rebuilt from recorded ops, so the
    Hessian is right too (TF refuses second derivatives here)."""
    logits = np.array([[0.3, -1.2, 2.0], [1.5, 0.1, -0.4]])
    labels = np.array([2, 0])
    x = tf.constant(logits)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            loss = tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, x))
        g = inner.gradient(loss, x)
        g0 = tf.reduce_sum(g[:, 0])
    h = outer.gradient(g0, x).numpy()
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    np.testing.assert_allclose(g.numpy(), p - np.eye(3)[labels], rtol=1e-12)
    # d/dx_j of (p_0) for each row = p_0 (delta_0j - p_j)
    expected = p[:, :1] * (np.eye(3)[0] - p)
    np.testing.assert_allclose(h, expected, rtol=1e-10)


# ---- the native first-order walk against the Python walk, on random graphs -------------

from core_utils import native_and_python  # noqa: E402
from hypothesis import given, settings, strategies as st  # noqa: E402

_GRAPH_UNARY = [tf.square, tf.tanh, tf.sigmoid, tf.exp, tf.math.sin, tf.nn.relu,
                lambda t: tf.reduce_sum(t, axis=0, keepdims=True), tf.math.floormod]
_GRAPH_BINARY = [tf.add, tf.subtract, tf.multiply, tf.maximum,
                 lambda a, b: tf.matmul(a, b, transpose_b=True)]


@settings(deadline=None, max_examples=60)
@given(st.data())
def test_native_walk_matches_python_walk_on_random_graphs(data):
    """Fan-out, accumulation from several consumers, intermediates and targets as
    sources, several targets, output gradients, unconnected sources, floormod by a
    constant: the native walk (cached rule graphs) gives the Python walk's results,
    bit for bit."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 31)))
    n_leaves = data.draw(st.integers(1, 3))
    steps = data.draw(st.lists(st.tuples(st.integers(0, 12), st.integers(0, 99),
                                         st.integers(0, 99)), min_size=1, max_size=10))
    leaves_np = [rng.uniform(-1.5, 1.5, (3, 3)) for _ in range(n_leaves)]

    def build():
        leaves = [tf.constant(a) for a in leaves_np]
        unconnected = tf.constant(np.ones((3, 3)))
        with tf.GradientTape(persistent=True) as tape:
            for t in leaves + [unconnected]:
                tape.watch(t)
            values = list(leaves)
            for op, i, j in steps:
                a, b = values[i % len(values)], values[j % len(values)]
                if op < len(_GRAPH_UNARY):
                    f = _GRAPH_UNARY[op]
                    values.append(f(a, 0.75) if f is tf.math.floormod else f(a))
                else:
                    f = _GRAPH_BINARY[op % len(_GRAPH_BINARY)]
                    if f is _GRAPH_BINARY[-1] and a.shape[-1] != b.shape[-1]:
                        f = tf.add  # (a (1, 3) row from reduce_sum has no (3, x) product)
                    values.append(f(a, b))
        return tape, leaves, unconnected, values

    def gradients():
        tape, leaves, unconnected, values = build()
        mid = values[len(values) // 2]
        targets = [values[-1], values[len(values) // 3]]
        out_grads = [tf.constant(np.full(tuple(t.shape), 0.5)) for t in targets]
        results = [tape.gradient(values[-1], leaves + [mid, unconnected]),
                   tape.gradient(targets, leaves + [mid], output_gradients=out_grads),
                   tape.gradient(values[-1], values[-1])]
        return [[None if g is None else g.numpy() for g in r] if isinstance(r, list)
                else r.numpy() for r in results]

    native, python = native_and_python(gradients)
    for got, want in zip(native, python):
        if isinstance(want, list):
            assert [g is None for g in got] == [w is None for w in want]
            for g, w in zip(got, want):
                if w is not None:
                    np.testing.assert_array_equal(g, w)
        else:
            np.testing.assert_array_equal(got, want)
