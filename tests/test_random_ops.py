"""``tf.random`` (issue 3): TensorFlow's seeding rules and streams.

The expected numbers were produced by real TensorFlow 2.21 on CPU (the oracle); the
tests do not import TensorFlow. Each test starts from ``tf.random.set_seed`` so the
global op-seed sequence and the per-kernel streams are reset.
"""

from __future__ import annotations

import numpy as np
import pytest

import tapeflow as tf

F32 = dict(rtol=1e-6, atol=0)  # uniform: exact up to rounding of the final scale
NORMAL = dict(rtol=4e-6, atol=2e-7)  # Box-Muller: a few ulp


def f32(x):
    return np.asarray(x, dtype=np.float32)


@pytest.fixture(autouse=True)
def _reset_global_seed():
    yield
    tf.random.set_seed(None)


# ---- stateful ops with a global seed -------------------------------------------------
def test_tf_sequence_normal_then_uniforms():
    """The sequence from the issue: set_seed(5); normal([2, 2], seed=1); uniform([3])
    twice; uniform([3], seed=1) twice (TF 2.21's numbers)."""
    tf.random.set_seed(5)
    n = tf.random.normal([2, 2], seed=1)
    assert n.dtype == tf.float32 and n.shape == (2, 2)
    np.testing.assert_allclose(n, f32([[-1.376889705657959, -0.012583157978951931],
                                       [-0.169514998793602, 1.0824055671691895]]), **NORMAL)
    u_a = tf.random.uniform([3])
    u_b = tf.random.uniform([3])
    np.testing.assert_allclose(u_a, f32([0.6263930797576904, 0.5298432111740112,
                                         0.7584571838378906]), **F32)
    np.testing.assert_allclose(u_b, f32([0.7017074823379517, 0.043367862701416016,
                                         0.5604572296142578]), **F32)
    # uniform with op seed 1 is a different kernel from normal with op seed 1: it starts
    # its own stream at the beginning.
    u_1a = tf.random.uniform([3], seed=1)
    u_1b = tf.random.uniform([3], seed=1)
    np.testing.assert_allclose(u_1a, f32([0.38751840591430664, 0.7485455274581909,
                                          0.548719048500061]), **F32)
    np.testing.assert_allclose(u_1b, f32([0.833318829536438, 0.3893474340438843,
                                          0.666181206703186]), **F32)


def test_same_op_seed_twice_continues_the_stream():
    tf.random.set_seed(5)
    a = tf.random.uniform([3], seed=1)
    b = tf.random.uniform([3], seed=1)
    np.testing.assert_allclose(a, f32([0.38751840591430664, 0.7485455274581909,
                                       0.548719048500061]), **F32)
    np.testing.assert_allclose(b, f32([0.833318829536438, 0.3893474340438843,
                                       0.666181206703186]), **F32)


def test_stream_advances_by_element_count():
    # TF: uniform([2], seed=1) then uniform([3], seed=1) (same kernel).
    tf.random.set_seed(5)
    a = tf.random.uniform([2], seed=1)
    b = tf.random.uniform([3], seed=1)
    np.testing.assert_allclose(a, f32([0.38751840591430664, 0.7485455274581909]), **F32)
    np.testing.assert_allclose(b, f32([0.9646999835968018, 0.2685586214065552,
                                       0.3228793144226074]), **F32)


def test_kernels_with_the_same_seeds_have_separate_streams():
    # TF 2.21: normal(seed=1), uniform(seed=1), normal(seed=1) after set_seed(5).
    tf.random.set_seed(5)
    n1 = tf.random.normal([2], seed=1)
    u = tf.random.uniform([2], seed=1)
    n2 = tf.random.normal([2], seed=1)
    np.testing.assert_allclose(n1, f32([-1.376889705657959, -0.012583157978951931]),
                               **NORMAL)
    np.testing.assert_allclose(u, f32([0.38751840591430664, 0.7485455274581909]), **F32)
    np.testing.assert_allclose(n2, f32([0.26627683639526367, -0.031191304326057434]),
                               **NORMAL)


def test_dtype_is_part_of_the_kernel():
    # TF 2.21: uniform float32, uniform float64, uniform float32, all with seed 1.
    tf.random.set_seed(5)
    a = tf.random.uniform([2], seed=1)
    b = tf.random.uniform([2], seed=1, dtype=tf.float64)
    c = tf.random.uniform([2], seed=1)
    np.testing.assert_allclose(a, f32([0.38751840591430664, 0.7485455274581909]), **F32)
    np.testing.assert_allclose(b, [0.10014755977046774, 0.3897530659572699], rtol=1e-15)
    np.testing.assert_allclose(c, f32([0.9646999835968018, 0.2685586214065552]), **F32)


def test_global_seed_only_sequence():
    # TF 2.21 after set_seed(42): normal([3]) then uniform([2]).
    tf.random.set_seed(42)
    n = tf.random.normal([3])
    u = tf.random.uniform([2])
    np.testing.assert_allclose(n, f32([0.32746851444244385, -0.8426257967948914,
                                       0.31943368911743164]), **NORMAL)
    np.testing.assert_allclose(u, f32([0.6878912448883057, 0.48447883129119873]), **F32)


def test_global_seed_op_seed_mix():
    # TF 2.21 after set_seed(5): uniform([3]), normal([3]), uniform([3], seed=4).
    tf.random.set_seed(5)
    a = tf.random.uniform([3])
    b = tf.random.normal([3])
    c = tf.random.uniform([3], seed=4)
    np.testing.assert_allclose(a, f32([0.6263930797576904, 0.5298432111740112,
                                       0.7584571838378906]), **F32)
    np.testing.assert_allclose(b, f32([0.22652864456176758, 0.8106552958488464,
                                       0.7466093897819519]), **NORMAL)
    np.testing.assert_allclose(c, f32([0.8398714065551758, 0.9632723331451416,
                                       0.3851062059402466]), **F32)


def test_chapter_shapes_with_global_seed():
    tf.random.set_seed(5)
    x = tf.random.normal(shape=(3, 1), mean=0, stddev=1)
    np.testing.assert_allclose(x, f32([[-0.18030665814876556], [-0.9502862691879272],
                                       [-0.03964049369096756]]), **NORMAL)
    tf.random.set_seed(5)
    x = tf.random.uniform(shape=(3, 1), minval=0, maxval=1)
    np.testing.assert_allclose(x, f32([[0.6263930797576904], [0.5298432111740112],
                                       [0.7584571838378906]]), **F32)


def test_op_seed_without_global_seed():
    # TF 2.21 (no global seed): two uniform([3], seed=11) calls.
    tf.random.set_seed(None)
    a = tf.random.uniform([3], seed=11)
    b = tf.random.uniform([3], seed=11)
    np.testing.assert_allclose(a, f32([0.08955085277557373, 0.38965606689453125,
                                       0.5047136545181274]), **F32)
    np.testing.assert_allclose(b, f32([0.28387653827667236, 0.6361337900161743,
                                       0.9091997146606445]), **F32)


def test_set_seed_restarts_streams():
    tf.random.set_seed(5)
    first = tf.random.normal([2, 2], seed=1).numpy()
    tf.random.uniform([4])
    tf.random.set_seed(5)
    again = tf.random.normal([2, 2], seed=1).numpy()
    np.testing.assert_array_equal(first, again)


def test_uniform_range_and_normal_moments_with_seeds():
    tf.random.set_seed(5)
    u = tf.random.uniform([3], minval=2.0, maxval=4.0, seed=7)
    np.testing.assert_allclose(u, f32([2.894927501678467, 3.241513967514038,
                                       2.5181386470794678]), rtol=2e-6)
    tf.random.set_seed(5)
    n = tf.random.normal([3], mean=10.0, stddev=2.0, seed=7)
    np.testing.assert_allclose(n, f32([8.2549467086792, 8.159330368041992,
                                       13.121238708496094]), rtol=4e-6)


def test_float64_streams():
    tf.random.set_seed(5)
    n = tf.random.normal([3], dtype=tf.float64, seed=2)
    assert n.dtype == tf.float64
    np.testing.assert_allclose(n, [1.5277172595988109, 1.3924121202880069,
                                   -1.7485640953577875], rtol=1e-13)
    tf.random.set_seed(5)
    u = tf.random.uniform([3], dtype=tf.float64, seed=2)
    assert u.dtype == tf.float64
    np.testing.assert_allclose(u, [0.11808320581272302, 0.13236922496580483,
                                   0.11666041303661756], rtol=1e-15)


def test_uniform_int():
    tf.random.set_seed(5)
    r = tf.random.uniform([5], maxval=10, dtype=tf.int32, seed=3)
    assert r.dtype == tf.int32
    np.testing.assert_array_equal(r, [0, 1, 8, 6, 4])
    tf.random.set_seed(5)
    r = tf.random.uniform([4], minval=-5, maxval=5, dtype=tf.int64, seed=3)
    assert r.dtype == tf.int64
    np.testing.assert_array_equal(r, [1, -1, -5, 2])
    tf.random.set_seed(5)
    r = tf.random.uniform([6], minval=0, maxval=1000, dtype=tf.int64, seed=3)
    np.testing.assert_array_equal(r, [226, 814, 790, 397, 452, 127])


def test_uniform_int_needs_maxval():
    with pytest.raises(ValueError, match="maxval"):
        tf.random.uniform([2], dtype=tf.int32)
    with pytest.raises(ValueError, match="maxval"):
        tf.random.stateless_uniform([2], seed=(1, 2), dtype=tf.int32)
    with pytest.raises(ValueError, match="maxval"):
        tf.random.Generator.from_seed(1).uniform([2], dtype=tf.int64)


def test_uniform_bool_is_rejected():
    with pytest.raises(ValueError):
        tf.random.uniform([2], dtype=tf.bool)


def test_truncated_normal():
    tf.random.set_seed(5)
    a = tf.random.truncated_normal([4], seed=2)
    b = tf.random.truncated_normal([4], seed=2)
    np.testing.assert_allclose(a, f32([1.7571344375610352, -0.16563478112220764,
                                       -0.9275308847427368, 1.3698596954345703]), **NORMAL)
    np.testing.assert_allclose(b, f32([0.802821159362793, -0.37653884291648865,
                                       -0.40751615166664124, 0.4584740698337555]),
                               **NORMAL)
    tf.random.set_seed(5)
    c = tf.random.truncated_normal([6], mean=1.0, stddev=3.0, seed=9)
    np.testing.assert_allclose(c, f32([2.605836868286133, 1.3961098194122314,
                                       -4.637324333190918, 1.310844898223877,
                                       1.7744300365447998, 2.044631004333496]), rtol=4e-6)


def test_truncated_normal_range():
    tf.random.set_seed(3)
    x = tf.random.truncated_normal([20000], mean=1.0, stddev=0.5).numpy()
    assert x.dtype == np.float32
    assert np.all(x > 1.0 - 2 * 0.5) and np.all(x < 1.0 + 2 * 0.5)
    assert abs(x.mean() - 1.0) < 0.02
    # The truncated standard normal has std 0.8796; scaled by 0.5.
    assert abs(x.std() - 0.5 * 0.8796) < 0.02


def test_distribution_statistics():
    tf.random.set_seed(7)
    n = tf.random.normal([50000], mean=2.0, stddev=3.0).numpy()
    assert abs(n.mean() - 2.0) < 0.1 and abs(n.std() - 3.0) < 0.1
    u = tf.random.uniform([50000], minval=-1.0, maxval=3.0).numpy()
    assert u.min() >= -1.0 and u.max() < 3.0
    assert abs(u.mean() - 1.0) < 0.05
    i = tf.random.uniform([50000], minval=-3, maxval=4, dtype=tf.int32).numpy()
    assert i.min() == -3 and i.max() == 3
    assert np.all(np.abs(np.bincount(i + 3) / 50000 - 1 / 7) < 0.01)


def test_unseeded_ops_differ():
    tf.random.set_seed(None)
    a = tf.random.uniform([8]).numpy()
    b = tf.random.uniform([8]).numpy()
    assert not np.array_equal(a, b)


def test_thread_count_does_not_change_numbers():
    tf.random.set_seed(11)
    tf.config.threading.set_intra_op_parallelism_threads(1)
    try:
        a = tf.random.normal([4096], seed=3).numpy()
        tf.random.set_seed(11)
        tf.config.threading.set_intra_op_parallelism_threads(4)
        b = tf.random.normal([4096], seed=3).numpy()
    finally:
        tf.config.threading.set_intra_op_parallelism_threads(0)
    np.testing.assert_array_equal(a, b)


def test_shuffle():
    tf.random.set_seed(1)
    x = tf.range(10)
    s = tf.random.shuffle(x)
    assert s.dtype == tf.int32
    assert sorted(s.numpy().tolist()) == list(range(10))
    m = tf.reshape(tf.range(12), (6, 2))
    sm = tf.random.shuffle(m, seed=3).numpy()
    assert sorted(sm.tolist()) == m.numpy().tolist()  # rows move together
    tf.random.set_seed(1)
    np.testing.assert_array_equal(tf.random.shuffle(x), s)


# ---- stateless ops ----------------------------------------------------------------------
def test_stateless_uniform_is_bit_exact():
    r = tf.random.stateless_uniform([3], seed=(1, 2))
    assert r.dtype == tf.float32
    np.testing.assert_array_equal(r, f32([0.8440604209899902, 0.19204533100128174,
                                          0.9962232112884521]))
    np.testing.assert_array_equal(np.asarray(r).view(np.uint32),
                                  [1062736984, 1044686728, 1065289852])
    r = tf.random.stateless_uniform([2, 3], seed=[7, 0])
    np.testing.assert_array_equal(r, f32([[0.7470787763595581, 0.67218017578125,
                                           0.057779550552368164],
                                          [0.6442131996154785, 0.07030856609344482,
                                           0.6681548357009888]]))
    r = tf.random.stateless_uniform([10], seed=(123456789, 987654321))
    np.testing.assert_array_equal(np.asarray(r).view(np.uint32),
                                  [1061961890, 1063289642, 1060526378, 1058701010,
                                   1048253376, 1064506044, 1048957604, 1063702034,
                                   1036876528, 1038053760])


def test_stateless_uniform_seed_as_tensor():
    r = tf.random.stateless_uniform([3], seed=tf.constant([1, 2]))
    np.testing.assert_array_equal(np.asarray(r).view(np.uint32),
                                  [1062736984, 1044686728, 1065289852])


def test_stateless_uniform_is_stateless():
    a = tf.random.stateless_uniform([5], seed=(3, 4)).numpy()
    tf.random.uniform([7])
    b = tf.random.stateless_uniform([5], seed=(3, 4)).numpy()
    np.testing.assert_array_equal(a, b)


def test_stateless_uniform_variants():
    r = tf.random.stateless_uniform([3], seed=(1, 2), dtype=tf.float64)
    assert r.dtype == tf.float64
    np.testing.assert_array_equal(r, [0.7524837538451801, 0.9697857725627486,
                                      0.17592233912897481])
    r = tf.random.stateless_uniform([3], seed=(1, 2), minval=-1.0, maxval=1.0)
    np.testing.assert_allclose(r, f32([0.6881208419799805, -0.6159093379974365,
                                       0.9924464225769043]), rtol=1e-6)
    r = tf.random.stateless_uniform([5], seed=(1, 2), minval=0, maxval=10, dtype=tf.int32)
    assert r.dtype == tf.int32
    np.testing.assert_array_equal(r, [0, 9, 4, 9, 7])


def test_stateless_normal():
    r = tf.random.stateless_normal([4], seed=(1, 2))
    assert r.dtype == tf.float32
    np.testing.assert_allclose(r, f32([0.544110119342804, 0.20738030970096588,
                                       0.0735643208026886, 0.04643455147743225]), **NORMAL)
    r = tf.random.stateless_normal([2, 3], seed=(3, 4))
    np.testing.assert_allclose(r, f32([[-0.17393383383750916, 1.6723546981811523,
                                        0.3481701612472534],
                                       [-1.7038906812667847, -0.6153246164321899,
                                        0.36620965600013733]]), **NORMAL)
    r = tf.random.stateless_normal([3], seed=(1, 2), dtype=tf.float64)
    np.testing.assert_allclose(r, [-0.1423118100189212, 0.7406072461585091,
                                   -1.469047669443883], rtol=1e-13)


def test_stateless_truncated_normal():
    r = tf.random.stateless_truncated_normal([4], seed=(1, 2))
    np.testing.assert_allclose(r, f32([0.544110119342804, 0.20738030970096588,
                                       0.0735643208026886, 0.04643455147743225]), **NORMAL)
    big = tf.random.stateless_truncated_normal([5000], seed=(5, 6)).numpy()
    assert np.all(np.abs(big) < 2.0)


def test_stateless_bad_seed():
    with pytest.raises((ValueError, tf.errors.InvalidArgumentError), match="seed must have"):
        tf.random.stateless_uniform([2], seed=(1, 2, 3))


# ---- Generator -------------------------------------------------------------------------
def test_generator_is_deterministic():
    g1 = tf.random.Generator.from_seed(1234)
    g2 = tf.random.Generator.from_seed(1234)
    a1, a2 = g1.normal([5]), g2.normal([5])
    assert a1.dtype == tf.float32 and a1.shape == (5,)
    np.testing.assert_array_equal(a1, a2)
    b1, b2 = g1.uniform([3, 2]), g2.uniform([3, 2])
    np.testing.assert_array_equal(b1, b2)
    # Successive draws differ.
    assert not np.array_equal(a1, g1.normal([5]))
    # Different seeds give different numbers.
    assert not np.array_equal(tf.random.Generator.from_seed(1).normal([5]),
                              tf.random.Generator.from_seed(2).normal([5]))


def test_generator_ignores_global_seed():
    tf.random.set_seed(1)
    a = tf.random.Generator.from_seed(9).uniform([4]).numpy()
    tf.random.set_seed(2)
    tf.random.uniform([3])
    b = tf.random.Generator.from_seed(9).uniform([4]).numpy()
    np.testing.assert_array_equal(a, b)


def test_generator_ranges():
    g = tf.random.Generator.from_seed(3)
    u = g.uniform([1000], minval=2.0, maxval=5.0).numpy()
    assert u.min() >= 2.0 and u.max() < 5.0
    i = g.uniform([1000], minval=0, maxval=3, dtype=tf.int32)
    assert i.dtype == tf.int32 and set(i.numpy().tolist()) == {0, 1, 2}
    t = g.truncated_normal([1000], stddev=2.0).numpy()
    assert np.all(np.abs(t) < 4.0)
    n = g.normal([2, 2], mean=5.0, stddev=0.0)
    np.testing.assert_array_equal(n, np.full((2, 2), 5.0, np.float32))


def test_generator_from_seed_reproduces_tf_stream() -> None:
    """TF 2.21: g = tf.random.Generator.from_seed(1); g.normal([3]); g.uniform([3])."""
    g = tf.random.Generator.from_seed(1)
    np.testing.assert_allclose(g.normal([3]).numpy(), [0.43842274, -0.53439844, -0.07710262],
                               rtol=2e-6)
    np.testing.assert_array_equal(g.uniform([3]).numpy(),
                                  np.float32([0.6941341, 0.7800473, 0.3360424]))
