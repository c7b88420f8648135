"""``keras.utils.normalize``, as Keras 3.15."""

from __future__ import annotations

from typing import Any, Optional, Sequence, Union

import numpy as np

import tapeflow as tf

_EPSILON = 1e-7  # keras.config.epsilon()'s default


def normalize(x: Any, axis: Optional[Union[int, Sequence[int]]] = -1,
              order: int = 2) -> Any:
    """Scales ``x`` to unit norm along ``axis`` (``keras.utils.normalize``).

    Mirrors Keras 3.15's two paths:

    * A NumPy array: ``x / norm`` with ``norm = np.linalg.norm(x, order, axis)`` (zero
      norms replaced by 1) expanded back at ``axis or -1``. As in Keras, ``axis=0`` thus
      expands at the last axis (the result is only meaningful, or even computable, when
      the shapes broadcast), a 1-D input gives a ``(1, n)`` result, and integer inputs
      give float64.
    * Anything else (a tapeflow Tensor, a list...) follows ``keras.ops.nn.normalize``
      and returns a Tensor: ``order`` must be an int >= 1; ``order=2`` computes
      ``x * min(rsqrt(sum(x**2)), 1 / epsilon)`` (so an integer tensor is rejected, as
      in Keras), other orders ``x / max(norm(x), epsilon)``, with ``epsilon = 1e-7``.
      A scalar becomes a 1-element vector. With ``axis=None`` or two axes, ``order=1``
      is the matrix 1-norm (largest absolute column sum), as Keras's ``ops.norm``.

    Args:
        x: The array or tensor to normalize.
        axis: The axis (or, for tensors, axes) along which to normalize.
        order: The norm's order (2 for the L2 norm).

    Returns:
        A normalized copy of ``x``: a NumPy array for a NumPy input, else a Tensor.
    """
    if isinstance(x, np.ndarray):
        norm = np.atleast_1d(np.linalg.norm(x, order, axis))
        norm[norm == 0] = 1
        return x / np.expand_dims(norm, axis or -1)
    return _normalize_tensor(x, axis, order)


def _normalize_tensor(x: Any, axis: Any, order: Any) -> tf.Tensor:
    if not isinstance(order, int) or not order >= 1:
        raise ValueError(f"Argument `order` must be an int >= 1. Received: order={order}")
    x = tf.convert_to_tensor(x)
    if x.shape.rank == 0:
        x = tf.expand_dims(x, 0)
    if isinstance(axis, list):
        axis = tuple(axis)
    if order == 2:
        inv_norm = tf.math.rsqrt(tf.reduce_sum(tf.square(x), axis=axis, keepdims=True))
        return x * tf.minimum(inv_norm, tf.cast(1.0 / _EPSILON, inv_norm.dtype))
    if not x.dtype.is_floating:  # Keras's ops.norm works in floatx for integer inputs
        x = tf.cast(x, tf.float32)
    norm = _norm(x, axis, order)
    return x / tf.maximum(norm, tf.cast(_EPSILON, norm.dtype))


def _norm(x: tf.Tensor, axis: Any, order: int) -> tf.Tensor:
    """``keras.ops.norm(x, ord=order, axis=axis, keepdims=True)`` for int orders >= 1."""
    rank = x.shape.rank
    axes = tuple(range(rank)) if axis is None else \
        (axis if isinstance(axis, tuple) else (axis,))
    if len(axes) == 1:
        a = tf.abs(x)
        if order == 1:
            return tf.reduce_sum(a, axis=axes, keepdims=True)
        return tf.pow(tf.reduce_sum(tf.pow(a, float(order)), axis=axes, keepdims=True),
                      1.0 / order)
    if len(axes) == 2:
        if order == 1:  # the matrix 1-norm: the largest absolute column sum
            row_axis, col_axis = (a % rank for a in axes)
            col_sums = tf.reduce_sum(tf.abs(x), axis=row_axis, keepdims=True)
            return tf.reduce_max(col_sums, axis=col_axis, keepdims=True)
        raise ValueError(f"Invalid `ord` argument for matrix norm. Received: ord={order}")
    raise ValueError(f"Improper number of dimensions to norm. Received: axis={axis}")
