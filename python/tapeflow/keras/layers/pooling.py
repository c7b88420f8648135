"""Pooling layers (Keras 3): MaxPooling1D/2D/3D and AveragePooling1D/2D/3D, on tapeflow's
native pools (ops/conv_ops.py). SAME average pooling leaves the padding out of each
window's average, as Keras/TF (PyTorch's default counts it)."""

from __future__ import annotations

from typing import Any, Dict, Optional

import tapeflow as tf
from tapeflow.keras.layers.input_spec import InputSpec
from tapeflow.keras.layers.layer import Layer
from tapeflow.keras.utils.argument_validation import standardize_data_format, standardize_tuple
from tapeflow.ops import conv_ops


def pool_output_length(length: Optional[int], k: int, stride: int, padding: str) -> Optional[int]:
    """Keras's compute_pooling_output_shape for one dim (None stays None)."""
    if length is None:
        return None
    if padding == "valid":
        return (length - k) // stride + 1
    return (length - 1) // stride + 1


class _Pooling(Layer):
    """Keras's BasePooling: pool_size, strides (default: pool_size), padding, format."""

    rank = 2
    kind = "max"

    def __init__(self, pool_size: Any, strides: Any = None, padding: str = "valid",
                 data_format: Any = None, name: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.pool_size = standardize_tuple(pool_size, self.rank, "pool_size")
        strides = pool_size if strides is None else strides
        self.strides = standardize_tuple(strides, self.rank, "strides")
        p = str(padding).lower()
        if p not in ("valid", "same"):  # (Keras raises this only when called)
            raise ValueError("Argument `padding` must be either 'valid' or 'same'. "
                             f"Received: padding={padding}")
        self.padding = padding  # as given: Keras keeps "SAME" in its config
        self._padding = p
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs: Any) -> Any:
        last = self.data_format == "channels_last"
        x = conv_ops._to_last(tf.convert_to_tensor(inputs), last)
        ones = (1,) * self.rank
        before, after = conv_ops._padding(self._padding.upper(), tuple(x.shape[1:-1]),
                                          self.pool_size, self.strides, ones, True)
        win = (self.strides, ones, before, after)
        y = (conv_ops._max_pool(x, self.pool_size, win) if self.kind == "max" else
             conv_ops._avg_pool(x, self.pool_size, win))
        return conv_ops._from_last(y, last)

    def compute_output_shape(self, input_shape: Any) -> Any:
        shape = tuple(input_shape)
        last = self.data_format == "channels_last"
        spatial = shape[1:-1] if last else shape[2:]
        out = tuple(pool_output_length(n, k, s, self._padding)
                    for n, k, s in zip(spatial, self.pool_size, self.strides))
        return (shape[0], *out, shape[-1]) if last else (shape[0], shape[1], *out)

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "pool_size": self.pool_size, "padding": self.padding,
                "strides": self.strides, "data_format": self.data_format}


class MaxPooling1D(_Pooling):
    """1-D max pooling (``keras.layers.MaxPooling1D``)."""

    rank, kind = 1, "max"

    def __init__(self, pool_size: Any = 2, strides: Any = None, padding: str = "valid",
                 data_format: Any = None, name: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


class MaxPooling2D(_Pooling):
    """2-D max pooling (``keras.layers.MaxPooling2D``)."""

    rank, kind = 2, "max"

    def __init__(self, pool_size: Any = (2, 2), strides: Any = None, padding: str = "valid",
                 data_format: Any = None, name: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


class MaxPooling3D(_Pooling):
    """3-D max pooling (``keras.layers.MaxPooling3D``)."""

    rank, kind = 3, "max"

    def __init__(self, pool_size: Any = (2, 2, 2), strides: Any = None, padding: str = "valid",
                 data_format: Any = None, name: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


class AveragePooling1D(_Pooling):
    """1-D average pooling (``keras.layers.AveragePooling1D``)."""

    rank, kind = 1, "avg"

    def __init__(self, pool_size: Any, strides: Any = None, padding: str = "valid",
                 data_format: Any = None, name: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


class AveragePooling2D(_Pooling):
    """2-D average pooling (``keras.layers.AveragePooling2D``)."""

    rank, kind = 2, "avg"

    def __init__(self, pool_size: Any, strides: Any = None, padding: str = "valid",
                 data_format: Any = None, name: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


class AveragePooling3D(_Pooling):
    """3-D average pooling (``keras.layers.AveragePooling3D``)."""

    rank, kind = 3, "avg"

    def __init__(self, pool_size: Any, strides: Any = None, padding: str = "valid",
                 data_format: Any = None, name: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


# Keras's aliases.
MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
