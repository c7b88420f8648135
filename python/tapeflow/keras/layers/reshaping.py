"""Keras 3's reshaping layers: ZeroPadding1D/2D/3D, Cropping1D/2D/3D,
UpSampling1D/2D/3D, Permute and RepeatVector.

Each is a few differentiable tapeflow ops (``tf.pad``, slicing, ``tf.repeat``,
``tf.transpose``, ``tf.image.resize``), so gradients flow through all of them.
Arguments, defaults, ``get_config`` and errors follow ``keras/src/layers/reshaping/``;
output shapes come from ``compute_output_shape``, so symbolic (functional) calls keep
unknown dims unknown, as in Keras. Like Keras, Cropping1D, UpSampling1D, Permute and
RepeatVector take no ``data_format``.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

import tapeflow as tf
from tapeflow.keras.layers.input_spec import InputSpec
from tapeflow.keras.layers.layer import Layer
from tapeflow.keras.utils.argument_validation import (
    standardize_data_format,
    standardize_tuple,
)

Shape = Tuple[Optional[int], ...]
Pairs = Tuple[Tuple[int, int], ...]

_ORDINALS = ("1st", "2nd", "3rd")


def _spatial_axes(data_format: str, n: int) -> List[int]:
    """The axes of the `n` spatial dims of a ``(batch, ..., channels)`` or
    ``(batch, channels, ...)`` input."""
    first = 2 if data_format == "channels_first" else 1
    return list(range(first, first + n))


def _pairs_per_axis(
    value: Any, n: int, name: str, count_msg: str, forms_msg: str, refuse_negative: bool
) -> Pairs:
    """Keras's parsing of a 2D/3D padding or cropping: an int for every side, one int
    per axis (symmetric), or one ``(before, after)`` pair per axis."""
    if isinstance(value, int):
        if refuse_negative and value < 0:
            raise ValueError(f"`{name}` cannot be negative. Received: {name}={value}.")
        return ((value, value),) * n
    if hasattr(value, "__len__"):
        if len(value) != n:
            raise ValueError(count_msg)
        return tuple(
            standardize_tuple(v, 2, f"{_ORDINALS[i]} entry of {name}", allow_zero=True)
            for i, v in enumerate(value)
        )
    raise ValueError(forms_msg)


def _pad(inputs: Any, pairs: Pairs, data_format: str) -> Any:
    pads = [(0, 0)] * len(inputs.shape)
    for axis, pair in zip(_spatial_axes(data_format, len(pairs)), pairs):
        pads[axis] = tuple(pair)
    return tf.pad(inputs, pads)


def _padded_shape(input_shape: Shape, pairs: Pairs, data_format: str) -> Shape:
    out = list(input_shape)
    for axis, (a, b) in zip(_spatial_axes(data_format, len(pairs)), pairs):
        if out[axis] is not None:
            out[axis] += a + b
    return tuple(out)


def _crop(inputs: Any, pairs: Pairs, data_format: str) -> Any:
    key: List[Any] = [slice(None)] * len(inputs.shape)
    for axis, (a, b) in zip(_spatial_axes(data_format, len(pairs)), pairs):
        key[axis] = slice(a, -b if b else None)
    return inputs[tuple(key)]


def _cropped_dims(shape: Shape, pairs: Pairs, data_format: str) -> Optional[Shape]:
    """The shape after cropping; None if a crop leaves nothing of a known dim."""
    out = list(shape)
    for axis, (a, b) in zip(_spatial_axes(data_format, len(pairs)), pairs):
        if out[axis] is not None:
            out[axis] -= a + b
            if out[axis] <= 0:
                return None
    return tuple(out)


def _scaled_shape(input_shape: Shape, size: Sequence[int], data_format: str) -> Shape:
    out = list(input_shape)
    for axis, s in zip(_spatial_axes(data_format, len(size)), size):
        if out[axis] is not None:
            out[axis] *= s
    return tuple(out)


def _positive_int(value: Any, name: str) -> int:
    """Keras's check of UpSampling1D's ``size`` and RepeatVector's ``n``: a Python int
    (not a bool, nor a numpy integer) above zero."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"Expected an integer value for `{name}`, got {type(value)}.")
    if value <= 0:
        raise ValueError(
            f"Argument `{name}` should be a positive integer. Received: {name}={value}"
        )
    return value


# ---------------------------------------------------------------------------------
# Zero padding
# ---------------------------------------------------------------------------------
class ZeroPadding1D(Layer):
    """Pads the steps axis of a ``(batch, steps, features)`` input with zeros
    (``keras.layers.ZeroPadding1D``).

    Args:
        padding: an int (both sides) or ``(left, right)``; non-negative.
        data_format: ``"channels_last"`` (default) or ``"channels_first"`` (input
            ``(batch, features, steps)``).
    """

    def __init__(
        self, padding: Any = 1, data_format: Optional[str] = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.padding = standardize_tuple(padding, 2, "padding", allow_zero=True)
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs: Any) -> Any:
        return _pad(inputs, (self.padding,), self.data_format)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return _padded_shape(input_shape, (self.padding,), self.data_format)

    def get_config(self) -> Dict[str, Any]:
        return {
            **super().get_config(),
            "padding": self.padding,
            "data_format": self.data_format,
        }


class ZeroPadding2D(Layer):
    """Pads the rows and columns of an image batch with zeros
    (``keras.layers.ZeroPadding2D``).

    Args:
        padding: an int (every side), ``(symmetric_height, symmetric_width)``, or
            ``((top, bottom), (left, right))``. As in Keras, a negative int is only
            refused when the layer is called (by ``tf.pad``).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
    """

    def __init__(
        self, padding: Any = (1, 1), data_format: Optional[str] = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.padding = _pairs_per_axis(
            padding,
            2,
            "padding",
            f"`padding` should have two elements. Received: padding={padding}.",
            "`padding` should be either an int, a tuple of 2 ints "
            "(symmetric_height_crop, symmetric_width_crop), or a tuple of 2 tuples "
            "of 2 ints ((top_crop, bottom_crop), (left_crop, right_crop)). "
            f"Received: padding={padding}.",
            refuse_negative=False,
        )
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs: Any) -> Any:
        return _pad(inputs, self.padding, self.data_format)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return _padded_shape(input_shape, self.padding, self.data_format)

    def get_config(self) -> Dict[str, Any]:
        return {
            **super().get_config(),
            "padding": self.padding,
            "data_format": self.data_format,
        }


class ZeroPadding3D(Layer):
    """Pads the three spatial axes of a volume batch with zeros
    (``keras.layers.ZeroPadding3D``).

    Args:
        padding: an int (every side), one int per axis, or one ``(before, after)``
            pair per axis.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
    """

    def __init__(
        self,
        padding: Any = ((1, 1), (1, 1), (1, 1)),
        data_format: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.padding = _pairs_per_axis(
            padding,
            3,
            "padding",
            f"`padding` should have 3 elements. Received: {padding}.",
            "`padding` should be either an int, a tuple of 3 ints (symmetric_dim1_pad, "
            "symmetric_dim2_pad, symmetric_dim3_pad), or a tuple of 3 tuples of 2 ints "
            "((left_dim1_pad, right_dim1_pad), (left_dim2_pad, right_dim2_pad), "
            f"(left_dim3_pad, right_dim2_pad)). Received: padding={padding}.",
            refuse_negative=False,
        )
        self.input_spec = InputSpec(ndim=5)

    def call(self, inputs: Any) -> Any:
        return _pad(inputs, self.padding, self.data_format)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return _padded_shape(input_shape, self.padding, self.data_format)

    def get_config(self) -> Dict[str, Any]:
        return {
            **super().get_config(),
            "padding": self.padding,
            "data_format": self.data_format,
        }


# ---------------------------------------------------------------------------------
# Cropping
# ---------------------------------------------------------------------------------
class Cropping1D(Layer):
    """Crops the steps axis of a ``(batch, steps, features)`` input
    (``keras.layers.Cropping1D``; channels_last only, as in Keras).

    Args:
        cropping: an int (both ends) or ``(start, end)``; non-negative, and together
            less than the number of steps.
    """

    def __init__(self, cropping: Any = (1, 1), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cropping = standardize_tuple(cropping, 2, "cropping", allow_zero=True)
        self.input_spec = InputSpec(ndim=3)

    def _message(self, what: str, shape: Shape) -> str:
        return (
            "`cropping` parameter of `Cropping1D` layer must be smaller than the "
            f"input length. Received: {what}={shape}, cropping={self.cropping}"
        )

    def call(self, inputs: Any) -> Any:
        shape = tuple(inputs.shape)
        if _cropped_dims(shape, (self.cropping,), "channels_last") is None:
            raise ValueError(self._message("inputs.shape", shape))
        return _crop(inputs, (self.cropping,), "channels_last")

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        out = _cropped_dims(tuple(input_shape), (self.cropping,), "channels_last")
        if out is None:
            raise ValueError(self._message("input_shape", tuple(input_shape)))
        return out

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "cropping": self.cropping}


class _CroppingND(Layer):
    """Cropping2D/3D: checks that the crops leave something of every known dim."""

    def _message(self, what: str, shape: Shape) -> str:
        return (
            "Values in `cropping` argument should be smaller than the corresponding "
            f"spatial dimension of the input. Received: {what}={shape}, "
            f"cropping={self.cropping}"
        )

    def call(self, inputs: Any) -> Any:
        shape = tuple(inputs.shape)
        if _cropped_dims(shape, self.cropping, self.data_format) is None:
            raise ValueError(self._message("inputs.shape", shape))
        return _crop(inputs, self.cropping, self.data_format)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        out = _cropped_dims(tuple(input_shape), self.cropping, self.data_format)
        if out is None:
            raise ValueError(self._message("input_shape", tuple(input_shape)))
        return out

    def get_config(self) -> Dict[str, Any]:
        return {
            **super().get_config(),
            "cropping": self.cropping,
            "data_format": self.data_format,
        }


class Cropping2D(_CroppingND):
    """Crops the rows and columns of an image batch (``keras.layers.Cropping2D``).

    Args:
        cropping: an int (every side, non-negative), ``(symmetric_height,
            symmetric_width)``, or ``((top, bottom), (left, right))``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
    """

    def __init__(
        self,
        cropping: Any = ((0, 0), (0, 0)),
        data_format: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.cropping = _pairs_per_axis(
            cropping,
            2,
            "cropping",
            f"`cropping` should have two elements. Received: cropping={cropping}.",
            "`cropping` should be either an int, a tuple of 2 ints "
            "(symmetric_height_crop, symmetric_width_crop), or a tuple of 2 tuples "
            "of 2 ints ((top_crop, bottom_crop), (left_crop, right_crop)). "
            f"Received: cropping={cropping}.",
            refuse_negative=True,
        )
        self.input_spec = InputSpec(ndim=4)


class Cropping3D(_CroppingND):
    """Crops the three spatial axes of a volume batch (``keras.layers.Cropping3D``).

    Args:
        cropping: an int (every side, non-negative), one int per axis, or one
            ``(before, after)`` pair per axis.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
    """

    def __init__(
        self,
        cropping: Any = ((1, 1), (1, 1), (1, 1)),
        data_format: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.cropping = _pairs_per_axis(
            cropping,
            3,
            "cropping",
            f"`cropping` should have 3 elements. Received: {cropping}.",
            "`cropping` should be either an int, a tuple of 3 ints "
            "(symmetric_dim1_crop, symmetric_dim2_crop, symmetric_dim3_crop), or a "
            "tuple of 3 tuples of 2 ints "
            "((left_dim1_crop, right_dim1_crop), (left_dim2_crop, right_dim2_crop), "
            f"(left_dim3_crop, right_dim2_crop)). Received: {cropping}.",
            refuse_negative=True,
        )
        self.input_spec = InputSpec(ndim=5)


# ---------------------------------------------------------------------------------
# Up-sampling
# ---------------------------------------------------------------------------------
_RESIZE_INTERPOLATIONS = (
    "bilinear",
    "nearest",
    "lanczos3",
    "lanczos5",
    "bicubic",
    "area",
)


def _repeat_axes(inputs: Any, size: Sequence[int], data_format: str) -> Any:
    out = inputs
    for axis, s in zip(_spatial_axes(data_format, len(size)), size):
        out = tf.repeat(out, s, axis=axis)
    return out


class UpSampling1D(Layer):
    """Repeats each step of a ``(batch, steps, features)`` input `size` times
    (``keras.layers.UpSampling1D``; channels_last only, as in Keras).

    Args:
        size: a positive Python int.
    """

    def __init__(self, size: int = 2, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.size = _positive_int(size, "size")
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs: Any) -> Any:
        return tf.repeat(inputs, self.size, axis=1)

    def compute_output_shape(self, input_shape: Shape) -> List[Optional[int]]:
        """A list, as Keras's UpSampling1D returns."""
        return list(_scaled_shape(tuple(input_shape), (self.size,), "channels_last"))

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "size": self.size}


class UpSampling2D(Layer):
    """Scales the rows and columns of an image batch up by integer factors
    (``keras.layers.UpSampling2D``).

    ``"nearest"`` repeats rows and columns. Every other Keras interpolation
    (``"bilinear"``, ``"bicubic"``, ``"area"``, ``"lanczos3"``, ``"lanczos5"``) goes
    through ``tf.image.resize`` (half-pixel centers, no antialiasing), as in Keras's
    TensorFlow backend: float32 arithmetic, then the input's dtype again (integers
    rounded half to even, as Keras returns them). Unknown interpolations raise Keras's
    ValueError when the layer is called, not when it is made, as in Keras.

    Args:
        size: an int or ``(height_factor, width_factor)``; positive.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        interpolation: the resampling method, any case.
    """

    def __init__(
        self,
        size: Any = (2, 2),
        data_format: Optional[str] = None,
        interpolation: str = "nearest",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.size = standardize_tuple(size, 2, "size")
        self.interpolation = interpolation.lower()
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs: Any) -> Any:
        if self.interpolation == "nearest":
            return _repeat_axes(inputs, self.size, self.data_format)
        if self.interpolation not in _RESIZE_INTERPOLATIONS:
            raise ValueError(
                "Invalid value for argument `interpolation`. Expected of one "
                f"{_RESIZE_INTERPOLATIONS}. Received: "
                f"interpolation={self.interpolation}"
            )
        # As Keras's TF backend: tf.image.resize on channels_last images (float32
        # arithmetic), then back to the input's dtype (integers rounded half to even).
        x = inputs
        if self.data_format == "channels_first":
            x = tf.transpose(x, (0, 2, 3, 1))
        h, w = int(x.shape[1]), int(x.shape[2])
        x = tf.image.resize(
            x, (h * self.size[0], w * self.size[1]), method=self.interpolation
        )
        if inputs.dtype.is_floating:
            x = x if x.dtype == inputs.dtype else tf.cast(x, inputs.dtype)
        else:
            x = tf.saturate_cast(tf.round(x), inputs.dtype)
        if self.data_format == "channels_first":
            x = tf.transpose(x, (0, 3, 1, 2))
        return x

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return _scaled_shape(tuple(input_shape), self.size, self.data_format)

    def get_config(self) -> Dict[str, Any]:
        return {
            **super().get_config(),
            "size": self.size,
            "data_format": self.data_format,
            "interpolation": self.interpolation,
        }


class UpSampling3D(Layer):
    """Repeats each voxel of a volume batch along the three spatial axes
    (``keras.layers.UpSampling3D``).

    Args:
        size: an int or one positive factor per spatial axis.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
    """

    def __init__(
        self, size: Any = (2, 2, 2), data_format: Optional[str] = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.size = standardize_tuple(size, 3, "size")
        self.input_spec = InputSpec(ndim=5)

    def call(self, inputs: Any) -> Any:
        return _repeat_axes(inputs, self.size, self.data_format)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return _scaled_shape(tuple(input_shape), self.size, self.data_format)

    def get_config(self) -> Dict[str, Any]:
        return {
            **super().get_config(),
            "size": self.size,
            "data_format": self.data_format,
        }


# ---------------------------------------------------------------------------------
# Permute, RepeatVector
# ---------------------------------------------------------------------------------
class Permute(Layer):
    """Reorders the non-batch axes (``keras.layers.Permute``).

    Args:
        dims: a permutation of ``1..rank-1`` (the batch axis 0 stays first), e.g.
            ``(2, 1)`` swaps the two axes of a ``(batch, a, b)`` input.
    """

    _symbolic_keeps_dtype = True  # as Keras's Permute.compute_output_spec

    def __init__(self, dims: Sequence[int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dims = tuple(dims)
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(
                "Invalid permutation argument `dims` for Permute Layer. The "
                "set of indices in `dims` must be consecutive and start from "
                f"1. Received dims={dims}"
            )
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def call(self, inputs: Any) -> Any:
        return tf.transpose(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "dims": self.dims}


class RepeatVector(Layer):
    """Repeats a ``(batch, features)`` input `n` times: ``(batch, n, features)``
    (``keras.layers.RepeatVector``).

    Args:
        n: a positive Python int.
    """

    def __init__(self, n: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.n = _positive_int(n, "n")
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs: Any) -> Any:
        return tf.repeat(tf.expand_dims(inputs, 1), self.n, axis=1)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "n": self.n}


__all__ = [
    "Cropping1D",
    "Cropping2D",
    "Cropping3D",
    "Permute",
    "RepeatVector",
    "UpSampling1D",
    "UpSampling2D",
    "UpSampling3D",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "ZeroPadding3D",
]
