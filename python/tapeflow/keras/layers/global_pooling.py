"""Keras 3's global pooling layers: GlobalAveragePooling1D/2D/3D and
GlobalMaxPooling1D/2D/3D, with Keras's aliases GlobalAvgPool*/GlobalMaxPool*.

Each reduces every spatial axis with ``tf.reduce_mean`` / ``tf.reduce_max``
(differentiable), keeping them as size-1 axes when ``keepdims=True``. As Keras's
``ops.mean``, averaging an integer input gives float32. GlobalAveragePooling1D takes a
``mask`` of shape ``(batch, steps)`` and averages only the steps it marks (a sample with
none gives NaN, as in Keras).
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import tapeflow as tf
from tapeflow.keras.layers.input_spec import InputSpec
from tapeflow.keras.layers.layer import Layer
from tapeflow.keras.utils.argument_validation import standardize_data_format

Shape = Tuple[Optional[int], ...]


class _GlobalPooling(Layer):
    """Keras's BaseGlobalPooling: `_pool_dims` spatial axes, reduced by `_reduce`."""

    _pool_dims = 0

    def __init__(
        self, data_format: Optional[str] = None, keepdims: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.keepdims = keepdims
        self.input_spec = InputSpec(ndim=self._pool_dims + 2)

    def _axes(self) -> list:
        first = 1 if self.data_format == "channels_last" else 2
        return list(range(first, first + self._pool_dims))

    def _reduce(self, inputs: Any) -> Any:
        raise NotImplementedError

    def call(self, inputs: Any) -> Any:
        return self._reduce(inputs)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        input_shape = tuple(input_shape)
        n = len(input_shape) - 2
        if self.data_format == "channels_last":
            if self.keepdims:
                return (input_shape[0],) + (1,) * n + (input_shape[-1],)
            return (input_shape[0], input_shape[-1])
        if self.keepdims:
            return (input_shape[0], input_shape[1]) + (1,) * n
        return (input_shape[0], input_shape[1])

    def get_config(self) -> Dict[str, Any]:
        return {
            **super().get_config(),
            "data_format": self.data_format,
            "keepdims": self.keepdims,
        }


class _GlobalAverage(_GlobalPooling):
    def _reduce(self, inputs: Any) -> Any:
        if not inputs.dtype.is_floating:
            inputs = tf.cast(inputs, tf.float32)
        return tf.reduce_mean(inputs, axis=self._axes(), keepdims=self.keepdims)


class _GlobalMax(_GlobalPooling):
    def _reduce(self, inputs: Any) -> Any:
        return tf.reduce_max(inputs, axis=self._axes(), keepdims=self.keepdims)


class GlobalAveragePooling1D(_GlobalAverage):
    """The mean over the steps of a ``(batch, steps, features)`` input
    (``keras.layers.GlobalAveragePooling1D``, alias ``GlobalAvgPool1D``).

    Called with ``mask`` (``(batch, steps)``, truthy = valid), it averages the valid
    steps only, as Keras does. tapeflow does not propagate masks between layers, so the
    mask must be passed explicitly.

    Args:
        data_format: ``"channels_last"`` (default, channels on the last axis) or
            ``"channels_first"`` (channels on axis 1).
        keepdims: whether to keep the pooled axes, with size 1.
    """

    _pool_dims = 1

    def __init__(
        self, data_format: Optional[str] = None, keepdims: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(data_format=data_format, keepdims=keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs: Any, mask: Any = None) -> Any:
        if mask is None:
            return self._reduce(inputs)
        steps = self._axes()[0]
        valid = tf.expand_dims(tf.cast(mask, tf.bool), 2 if steps == 1 else 1)
        if not inputs.dtype.is_floating:
            inputs = tf.cast(inputs, tf.float32)
        inputs = tf.where(valid, inputs, tf.zeros_like(inputs))
        count = tf.cast(valid, inputs.dtype)
        return tf.reduce_sum(
            inputs, axis=steps, keepdims=self.keepdims
        ) / tf.reduce_sum(count, axis=steps, keepdims=self.keepdims)

    def compute_mask(self, inputs: Any, mask: Any = None) -> None:
        """The pooled output carries no mask (as Keras)."""
        return None


class GlobalAveragePooling2D(_GlobalAverage):
    """The mean over the rows and columns of an image batch
    (``keras.layers.GlobalAveragePooling2D``, alias ``GlobalAvgPool2D``).
    Args:
        data_format: ``"channels_last"`` (default, channels on the last axis) or
            ``"channels_first"`` (channels on axis 1).
        keepdims: whether to keep the pooled axes, with size 1.
    """

    _pool_dims = 2


class GlobalAveragePooling3D(_GlobalAverage):
    """The mean over the three spatial axes of a volume batch
    (``keras.layers.GlobalAveragePooling3D``, alias ``GlobalAvgPool3D``).
    Args:
        data_format: ``"channels_last"`` (default, channels on the last axis) or
            ``"channels_first"`` (channels on axis 1).
        keepdims: whether to keep the pooled axes, with size 1.
    """

    _pool_dims = 3


class GlobalMaxPooling1D(_GlobalMax):
    """The maximum over the steps of a ``(batch, steps, features)`` input
    (``keras.layers.GlobalMaxPooling1D``, alias ``GlobalMaxPool1D``).
    Args:
        data_format: ``"channels_last"`` (default, channels on the last axis) or
            ``"channels_first"`` (channels on axis 1).
        keepdims: whether to keep the pooled axes, with size 1.
    """

    _pool_dims = 1


class GlobalMaxPooling2D(_GlobalMax):
    """The maximum over the rows and columns of an image batch
    (``keras.layers.GlobalMaxPooling2D``, alias ``GlobalMaxPool2D``).
    Args:
        data_format: ``"channels_last"`` (default, channels on the last axis) or
            ``"channels_first"`` (channels on axis 1).
        keepdims: whether to keep the pooled axes, with size 1.
    """

    _pool_dims = 2


class GlobalMaxPooling3D(_GlobalMax):
    """The maximum over the three spatial axes of a volume batch
    (``keras.layers.GlobalMaxPooling3D``, alias ``GlobalMaxPool3D``).
    Args:
        data_format: ``"channels_last"`` (default, channels on the last axis) or
            ``"channels_first"`` (channels on axis 1).
        keepdims: whether to keep the pooled axes, with size 1.
    """

    _pool_dims = 3


# Keras's aliases: the same classes under a second name (they serialize under the
# first, as in Keras).
GlobalAvgPool1D = GlobalAveragePooling1D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalAvgPool3D = GlobalAveragePooling3D
GlobalMaxPool1D = GlobalMaxPooling1D
GlobalMaxPool2D = GlobalMaxPooling2D
GlobalMaxPool3D = GlobalMaxPooling3D

__all__ = [
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAveragePooling3D",
    "GlobalAvgPool1D",
    "GlobalAvgPool2D",
    "GlobalAvgPool3D",
    "GlobalMaxPool1D",
    "GlobalMaxPool2D",
    "GlobalMaxPool3D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GlobalMaxPooling3D",
]
