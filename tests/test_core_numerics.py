"""Values that were silently wrong once, each checked against what TF 2.21 prints.

saturate_cast's bounds (float32 cannot hold 2**31 - 1), softmax-family ops on large
logits (x - logsumexp(x) rounds the small term away), and Python floats given a float64
dtype (they were converted through float32).
"""

from __future__ import annotations

import numpy as np
import pytest

import tapeflow as tf

INF = np.inf


@pytest.mark.parametrize("values,src,dst,want", [
    # TF 2.21: [2147483520 2147483520 2147483520 -2147483648 -2147483648 1]
    ([1e10, 3e9, INF, -INF, -1e10, 1.5], tf.float32, tf.int32,
     [2147483520, 2147483520, 2147483520, -2147483648, -2147483648, 1]),
    ([1e30, INF, -1e30], tf.float64, tf.int32, [2147483647, 2147483647, -2147483648]),
    ([2**40, -2**40, 7], tf.int64, tf.int32, [2147483647, -2147483648, 7]),
    ([1e300, -1e300, 1.0], tf.float64, tf.float32, [3.4028235e38, -3.4028235e38, 1.0]),
    ([3, -3], tf.int32, tf.float32, [3.0, -3.0]),
    # TF 2.21 overflows these to INT64_MIN (its bound rounds up to 2**63); tapeflow
    # saturates at the largest float below 2**63 (documented in saturate_cast).
    ([1e30, INF, -INF], tf.float32, tf.int64,
     [9223371487098961920, 9223371487098961920, -9223372036854775808]),
    ([1e30, 2.0**63, -1e30], tf.float64, tf.int64,
     [9223372036854774784, 9223372036854774784, -9223372036854775808]),
])
def test_saturate_cast_stays_in_range(values, src, dst, want):
    out = tf.saturate_cast(tf.constant(values, src), dst)
    assert out.dtype == dst
    np.testing.assert_array_equal(out.numpy(), np.array(want, dst.as_numpy_dtype))


def test_log_softmax_keeps_the_small_term_next_to_large_logits():
    # TF 2.21: [-4.01815    -0.01814996]
    out = tf.nn.log_softmax([4194299.0, 4194303.0]).numpy()
    np.testing.assert_allclose(out, [-4.01815, -0.01814996], rtol=1e-6)
    # a row with +inf is all nan, as TF; -inf stays -inf
    rows = tf.nn.log_softmax(tf.constant([[1.0, 2.0, INF], [-INF, 0.0, 1.0]])).numpy()
    assert np.isnan(rows[0]).all()
    np.testing.assert_allclose(rows[1], [-INF, -1.3132616, -0.31326166], rtol=1e-6)


def test_log_softmax_matches_float64_reference_and_checks_arguments():
    x = np.random.default_rng(0).normal(size=(4, 5)) * 30
    for axis in (0, 1, -1):
        shifted = x - x.max(axis=axis, keepdims=True)
        want = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        np.testing.assert_allclose(tf.nn.log_softmax(tf.constant(x), axis=axis).numpy(),
                                   want, rtol=1e-12, atol=1e-12)
    with pytest.raises(tf.errors.InvalidArgumentError, match="must be in the range"):
        tf.nn.log_softmax(tf.ones([2, 3]), axis=2)
    with pytest.raises(tf.errors.InvalidArgumentError, match=">= 1 dimension"):
        tf.nn.log_softmax(tf.constant(1.0))
    with pytest.raises(tf.errors.InvalidArgumentError, match="allowed values"):
        tf.nn.log_softmax(tf.ones([2, 3], tf.int32))
    assert tf.nn.log_softmax(tf.ones([2, 0]), axis=1).shape == (2, 0)


def test_cross_entropies_on_large_logits():
    logits = [[4194299.0, 4194303.0]]
    # TF 2.21 gives 0.01814996 for each (tapeflow gave -0.0 and 0.0)
    np.testing.assert_allclose(
        tf.nn.softmax_cross_entropy_with_logits([[0.0, 1.0]], logits).numpy(), [0.01814996],
        rtol=1e-6)
    np.testing.assert_allclose(
        tf.nn.sparse_softmax_cross_entropy_with_logits([1], logits).numpy(), [0.01814996],
        rtol=1e-6)


def test_relu6_forward():
    np.testing.assert_array_equal(tf.nn.relu6(tf.constant([np.nan, -1.0, 0.0, 6.0, 7.0]))
                                  .numpy(), [np.nan, 0.0, 0.0, 6.0, 6.0])
    np.testing.assert_array_equal(tf.nn.relu6(tf.constant([-3, 3, 9])).numpy(), [0, 3, 6])


def test_python_floats_keep_float64_precision():
    assert tf.constant([0.1], tf.float64).numpy()[0] == 0.1
    assert tf.constant([[0.1, 1e300]], tf.float64).numpy()[0, 1] == 1e300
    assert tf.Variable([0.1], dtype=tf.float64).numpy()[0] == 0.1
