"""Keras 3's image preprocessing and augmentation layers: ``Rescaling``, ``Resizing``,
``CenterCrop``, ``RandomCrop``, ``RandomFlip``, ``RandomRotation``, ``RandomZoom``,
``RandomTranslation``, ``RandomContrast`` and ``RandomBrightness``.

As Keras 3.15 (TensorFlow backend): the same arguments, checks, messages, ``get_config``
and output dtypes (float32, the compute dtype, except where Keras keeps the input's);
augmentation layers augment unless called with ``training=False`` (a bare
``layer(x)`` augments, ``fit`` passes True and ``predict``/``evaluate`` False); 3-D
(one image) or 4-D (a batch) inputs, ``channels_last`` or ``channels_first``. Random
rotations, zooms and translations are one sampler, TF's ``ImageProjectiveTransformV3``
(``tf.raw_ops``), fed the matrices Keras builds.

Where tapeflow differs:

* Random numbers come from a ``tf.random.Generator`` per layer seeded with ``seed``
  (Keras's rule for ``seed=None``: a seed drawn from Python's ``random``, so
  ``keras.utils.set_random_seed`` makes runs repeat). Two layers with the same seed
  draw the same transformations, but not Keras's numbers. The generator is not a
  weight, as Keras's seed state is not saved.
* Only image tensors are accepted (Keras also takes dicts of images, labels, bounding
  boxes and segmentation masks).
* tapeflow has no uint8 tensors: a NumPy uint8 batch arrives as int32, so ``Resizing``
  rounds and saturates to int32 (Keras: to uint8; values differ only where bicubic or
  lanczos overshoot 0-255) and ``RandomBrightness`` adds an int32 delta.
* Inputs of rank other than 3 or 4 raise Keras's ValueError in every layer (Keras's
  ``RandomCrop`` and ``Resizing`` fail with an IndexError on rank-2 inputs).
"""

from __future__ import annotations

import math
import random as _pyrandom
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

import tapeflow as tf
from tapeflow.keras.layers.layer import Layer
from tapeflow.keras.utils.argument_validation import standardize_data_format

_FILL_MODES = ("reflect", "wrap", "constant", "nearest")
_AFFINE_INTERPOLATIONS = ("nearest", "bilinear")
_RESIZE_INTERPOLATIONS = (
    "bilinear",
    "nearest",
    "lanczos3",
    "lanczos5",
    "bicubic",
    "area",
)


def _check_rank(x: Any) -> bool:
    """Whether x is a batch (rank 4) rather than one image (rank 3); Keras's error
    otherwise."""
    rank = len(x.shape)
    if rank not in (3, 4):
        raise ValueError(
            "Expected image tensor to have rank 3 (single image) or 4 (batch "
            f"of images). Received: data.shape={tuple(x.shape)}"
        )
    return rank == 4


def _training(training: Any) -> bool:
    """Keras 3's default for augmentation layers: augment unless told otherwise."""
    return True if training is None else bool(training)


class _ImageLayer(Layer):
    """Keras's BaseImagePreprocessingLayer: a ``data_format`` and channels-last
    helpers (every image op below works on ``(batch, height, width, channels)``)."""

    def __init__(self, data_format: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)

    def _nhwc(self, x: Any) -> Tuple[Any, bool]:
        """x as a channels-last batch, and whether it was a batch."""
        batched = _check_rank(x)
        if not batched:
            x = tf.expand_dims(x, 0)
        if self.data_format == "channels_first":
            x = tf.transpose(x, (0, 2, 3, 1))
        return x, batched

    def _restore(self, x: Any, batched: bool) -> Any:
        """The inverse of ``_nhwc``."""
        if self.data_format == "channels_first":
            x = tf.transpose(x, (0, 3, 1, 2))
        return x if batched else tf.squeeze(x, [0])

    def _hw_axes(self) -> Tuple[int, int]:
        return (-2, -1) if self.data_format == "channels_first" else (-3, -2)

    def _compute(self, x: Any) -> Any:
        """x in the compute dtype (Keras casts images before transforming them)."""
        return x if x.dtype == self._dtype else tf.cast(x, self._dtype)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(input_shape)

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "data_format": self.data_format}


class _RandomLayer(_ImageLayer):
    """An image layer drawing its random numbers from its own seeded generator."""

    def _init_seed(self, seed: Optional[int]) -> None:
        self.seed = seed
        start = seed if seed is not None else _pyrandom.randint(1, int(1e9))
        self._generator = tf.random.Generator.from_seed(int(start))

    def _uniform(self, shape: Sequence[int], minval: float, maxval: float) -> Any:
        return self._generator.uniform(list(shape), minval, maxval, dtype=tf.float32)


def _factor_pair(factor: Any, bounds: Tuple[float, float]) -> Tuple[Any, Any]:
    """Keras's BaseImagePreprocessingLayer._set_factor: (lower, upper)."""
    error = (
        "The `factor` argument should be a number (or a list of two numbers) in the "
        f"range [{bounds[0]}, {bounds[1]}]. Received: factor={factor}"
    )
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or factor[0] > bounds[1] or factor[1] < bounds[0]:
            raise ValueError(error)
        lower, upper = sorted(factor)
        return lower, upper
    if isinstance(factor, (int, float)) and not isinstance(factor, bool):
        if factor < bounds[0] or factor > bounds[1]:
            raise ValueError(error)
        factor = abs(factor)
        return max(-factor, bounds[0]), factor
    raise ValueError(error)


def _check_fill(fill_mode: str, interpolation: str) -> None:
    if fill_mode not in _FILL_MODES:
        raise NotImplementedError(
            f"Unknown `fill_mode` {fill_mode}. Expected of one {_FILL_MODES}."
        )
    if interpolation not in _AFFINE_INTERPOLATIONS:
        raise NotImplementedError(
            f"Unknown `interpolation` {interpolation}. Expected of "
            f"one {_AFFINE_INTERPOLATIONS}."
        )


# ---------------------------------------------------------------------------------
# Rescaling
# ---------------------------------------------------------------------------------
class Rescaling(Layer):
    """``inputs * scale + offset`` in the compute dtype (``keras.layers.Rescaling``).

    As Keras 3: applied in training and inference; integer inputs give float32;
    ``scale``/``offset`` may be per-channel lists or arrays (serialized as Keras does).

    Args:
        scale: the factor (a number, or one per channel).
        offset: the offset added after scaling.
        **kwargs: base layer arguments (``name``, ``dtype``, ...).
    """

    def __init__(self, scale: Any, offset: Any = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scale = scale
        self.offset = offset

    def call(self, inputs: Any) -> Any:
        dtype = self._dtype
        scale = tf.cast(self.scale, dtype)
        offset = tf.cast(self.offset, dtype)
        return tf.cast(inputs, dtype) * scale + offset

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(input_shape)

    def get_config(self) -> Dict[str, Any]:
        from tapeflow.keras.saving import serialization_lib

        return {
            **super().get_config(),
            "scale": serialization_lib.serialize_keras_object(self.scale),
            "offset": serialization_lib.serialize_keras_object(self.offset),
        }

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "Rescaling":
        from tapeflow.keras.saving import serialization_lib

        config = dict(config)
        for key in ("scale", "offset"):
            config[key] = serialization_lib.deserialize_keras_object(config[key])
        return super().from_config(config)  # type: ignore[return-value]


# ---------------------------------------------------------------------------------
# Resizing and crops
# ---------------------------------------------------------------------------------
def _keras_resize(
    images: Any,
    size: Tuple[int, int],
    interpolation: str = "bilinear",
    antialias: bool = False,
    crop_to_aspect_ratio: bool = False,
    pad_to_aspect_ratio: bool = False,
    fill_mode: str = "constant",
    fill_value: float = 0.0,
) -> Any:
    """Keras's ``ops.image.resize`` (TensorFlow backend) of a channels-last batch:
    optional crop or pad to the target aspect ratio, then ``tf.image.resize``."""
    if interpolation not in _RESIZE_INTERPOLATIONS:
        raise ValueError(
            "Invalid value for argument `interpolation`. Expected of one "
            f"{_RESIZE_INTERPOLATIONS}. Received: interpolation={interpolation}"
        )
    if fill_mode != "constant":
        raise ValueError(
            "Invalid value for argument `fill_mode`. Only `'constant'` is "
            f"supported. Received: fill_mode={fill_mode}"
        )
    if pad_to_aspect_ratio and crop_to_aspect_ratio:
        raise ValueError(
            "Only one of `pad_to_aspect_ratio` & `crop_to_aspect_ratio` can be `True`."
        )
    if len(size) != 2:
        raise ValueError(
            "Argument `size` must be a tuple of two elements (height, width). "
            f"Received: size={size}"
        )
    b, height, width, channels = images.shape.as_list()
    th, tw = int(size[0]), int(size[1])
    f32 = np.float32
    if crop_to_aspect_ratio:
        crop_h = max(min(height, int(f32(width * th) / f32(tw))), 1)
        crop_w = max(min(width, int(f32(height * tw) / f32(th))), 1)
        top, left = (
            int(f32(height - crop_h) / f32(2)),
            int(f32(width - crop_w) / f32(2)),
        )
        images = images[:, top : top + crop_h, left : left + crop_w, :]
    elif pad_to_aspect_ratio:
        pad_h = max(height, int(f32(width * th) / f32(tw)))
        pad_w = max(width, int(f32(height * tw) / f32(th)))
        top, left = int(f32(pad_h - height) / f32(2)), int(f32(pad_w - width) / f32(2))
        if top > 0:
            band = tf.ones((b, top, width, channels), images.dtype) * fill_value
            images = tf.concat([band, images, band], axis=1)
        if left > 0:
            band = (
                tf.ones((b, images.shape[1], left, channels), images.dtype) * fill_value
            )
            images = tf.concat([band, images, band], axis=2)
    return tf.image.resize(images, (th, tw), method=interpolation, antialias=antialias)


class Resizing(_ImageLayer):
    """Resizes images to ``(height, width)`` (``keras.layers.Resizing``).

    As Keras 3: any interpolation of ``tf.image.resize`` that Keras allows
    (``bilinear``, ``nearest``, ``bicubic``, ``area``, ``lanczos3``, ``lanczos5``;
    checked when called); ``crop_to_aspect_ratio`` crops the largest centered window
    of the target's aspect ratio first; ``pad_to_aspect_ratio`` pads evenly with
    ``fill_value`` instead; integer images are rounded and saturated back to their
    dtype; applied in training and inference. Differentiable for float images.

    Args:
        height: output height.
        width: output width.
        interpolation: the resize method.
        crop_to_aspect_ratio: crop instead of distorting the aspect ratio.
        pad_to_aspect_ratio: pad instead of distorting the aspect ratio.
        fill_mode: ``"constant"`` (the only mode Keras supports).
        fill_value: the padding value.
        antialias: ``tf.image.resize``'s antialiasing.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: base layer arguments.
    """

    def __init__(
        self,
        height: int,
        width: int,
        interpolation: str = "bilinear",
        crop_to_aspect_ratio: bool = False,
        pad_to_aspect_ratio: bool = False,
        fill_mode: str = "constant",
        fill_value: float = 0.0,
        antialias: bool = False,
        data_format: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.height = height
        self.width = width
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = crop_to_aspect_ratio
        self.pad_to_aspect_ratio = pad_to_aspect_ratio
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.antialias = bool(antialias)

    def call(self, inputs: Any, training: Any = None) -> Any:
        x, batched = self._nhwc(inputs)
        resized = _keras_resize(
            x,
            (self.height, self.width),
            self.interpolation,
            self.antialias,
            self.crop_to_aspect_ratio,
            self.pad_to_aspect_ratio,
            self.fill_mode,
            self.fill_value,
        )
        if resized.dtype != inputs.dtype:
            if inputs.dtype.is_integer:
                resized = tf.saturate_cast(tf.round(resized), inputs.dtype)
            else:
                resized = tf.cast(resized, inputs.dtype)
        return self._restore(resized, batched)

    def compute_output_shape(self, input_shape: Any) -> Any:
        shape = list(input_shape)
        h, w = self._hw_axes()
        shape[h], shape[w] = self.height, self.width
        return tuple(shape)

    def get_config(self) -> Dict[str, Any]:
        return {
            **super().get_config(),
            "height": self.height,
            "width": self.width,
            "interpolation": self.interpolation,
            "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
            "pad_to_aspect_ratio": self.pad_to_aspect_ratio,
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "antialias": self.antialias,
        }


def _aspect_crop(
    height: int, width: int, target_height: int, target_width: int
) -> Tuple[int, int, int, int]:
    """Keras's ``smart_resize`` window: (top, left, height, width) of the largest
    centered crop with the target's aspect ratio (Python float arithmetic)."""
    crop_h = max(min(height, int(float(width * target_height) / target_width)), 1)
    crop_w = max(min(width, int(float(height * target_width) / target_height)), 1)
    return (
        int(float(height - crop_h) / 2),
        int(float(width - crop_w) / 2),
        crop_h,
        crop_w,
    )


class CenterCrop(_ImageLayer):
    """The central ``(height, width)`` window (``keras.layers.CenterCrop``).

    As Keras 3: float32 output; an image smaller than the target on a side is instead
    cropped to the target's aspect ratio and resized (Keras's ``smart_resize``);
    applied in training and inference.
    """

    def __init__(
        self, height: int, width: int, data_format: Optional[str] = None, **kwargs: Any
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.height = height
        self.width = width

    def call(self, inputs: Any, training: Any = None) -> Any:
        x, batched = self._nhwc(self._compute(inputs))
        h, w = x.shape[1], x.shape[2]
        dh, dw = h - self.height, w - self.width
        if dh >= 0 and dw >= 0:
            x = x[:, dh // 2 : dh // 2 + self.height, dw // 2 : dw // 2 + self.width, :]
        else:  # smart_resize: the aspect-ratio crop, then bilinear
            top, left, crop_h, crop_w = _aspect_crop(h, w, self.height, self.width)
            x = tf.image.resize(
                x[:, top : top + crop_h, left : left + crop_w, :],
                (self.height, self.width),
            )
        return self._restore(x, batched)

    compute_output_shape = Resizing.compute_output_shape

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "height": self.height, "width": self.width}


class RandomCrop(_RandomLayer):
    """A random ``(height, width)`` window, the same for the whole batch
    (``keras.layers.RandomCrop``).

    As Keras 3: when training, an image larger than the target on both sides is cropped
    at a random offset, otherwise cropped to the target's aspect ratio and resized
    (float32); at inference the input is returned unchanged (its shape too, although
    the symbolic output shape is the crop's); ``seed=None`` stores a drawn seed in the
    config, as Keras.
    """

    def __init__(
        self,
        height: int,
        width: int,
        seed: Optional[int] = None,
        data_format: Optional[str] = None,
        name: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, data_format=data_format, **kwargs)
        self.height = height
        self.width = width
        self._init_seed(seed)
        if seed is None:
            self.seed = _pyrandom.randint(1, int(1e9))  # Keras's make_default_seed()

    def call(self, inputs: Any, training: Any = None) -> Any:
        if not _training(training):
            return inputs
        x, batched = self._nhwc(self._compute(inputs))
        h, w = x.shape[1], x.shape[2]
        if h > self.height and w > self.width:
            top = tf.cast(self._uniform((), 0, float(h - self.height + 1)), tf.int32)
            left = tf.cast(self._uniform((), 0, float(w - self.width + 1)), tf.int32)
            x = tf.gather(x, top + np.arange(self.height, dtype=np.int32), axis=1)
            x = tf.gather(x, left + np.arange(self.width, dtype=np.int32), axis=2)
        else:  # (Keras slices the target's size at the aspect-ratio crop's corner)
            top, left, _, _ = _aspect_crop(h, w, self.height, self.width)
            x = x[:, top : top + self.height, left : left + self.width, :]
            if x.shape[1] != self.height or x.shape[2] != self.width:
                x = self._compute(tf.image.resize(x, (self.height, self.width)))
        return self._restore(x, batched)

    compute_output_shape = Resizing.compute_output_shape

    def get_config(self) -> Dict[str, Any]:
        return {
            **super().get_config(),
            "height": self.height,
            "width": self.width,
            "seed": self.seed,
        }


# ---------------------------------------------------------------------------------
# Flips and affine transformations
# ---------------------------------------------------------------------------------
class RandomFlip(_RandomLayer):
    """Flips each image with probability 1/2 (``keras.layers.RandomFlip``).

    As Keras 3: ``mode`` ``"horizontal"``, ``"vertical"`` or
    ``"horizontal_and_vertical"`` (one draw per image flips both ways); float32 output
    in training and inference.
    """

    def __init__(
        self,
        mode: str = "horizontal_and_vertical",
        seed: Optional[int] = None,
        data_format: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self._init_seed(seed)
        self.mode = mode

    def call(self, inputs: Any, training: Any = None) -> Any:
        x = self._compute(inputs)
        if not _training(training):
            return x
        batched = _check_rank(x)
        flips = self._uniform((x.shape[0], 1, 1, 1) if batched else (1, 1, 1), 0.0, 1.0)
        flips = tf.less_equal(flips, 0.5)
        h, w = self._hw_axes()
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            x = tf.where(flips, _reverse(x, w), x)
        if self.mode in ("vertical", "horizontal_and_vertical"):
            x = tf.where(flips, _reverse(x, h), x)
        return x

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "seed": self.seed, "mode": self.mode}


def _reverse(x: Any, axis: int) -> Any:
    key = [slice(None)] * x.shape.rank
    key[axis] = slice(None, None, -1)
    return x[tuple(key)]


class _AffineLayer(_RandomLayer):
    """A layer that samples each image through a random affine map (Keras's
    ``ops.image.affine_transform``: TF's ImageProjectiveTransformV3)."""

    def _matrices(self, batch: int, height: int, width: int) -> Any:
        raise NotImplementedError

    def call(self, inputs: Any, training: Any = None) -> Any:
        x = self._compute(inputs)
        if not _training(training):
            return x
        x, batched = self._nhwc(x)
        b, h, w, _ = x.shape.as_list()
        out = tf.raw_ops.ImageProjectiveTransformV3(
            images=x,
            transforms=self._matrices(b, h, w),
            output_shape=(h, w),
            fill_value=self.fill_value,
            interpolation=self.interpolation.upper(),
            fill_mode=self.fill_mode.upper(),
        )
        return self._restore(out, batched)


def _affine_matrix(angle: Any, height: int, width: int) -> Any:
    """Keras's ``_compute_affine_matrix`` for a rotation by `angle` degrees about the
    center (no translation, scale 1, no shear), float32 as Keras computes it."""
    angle = angle * tf.constant(math.pi / 180.0, tf.float32)
    cx = 0.5 * (float(width) - 1)
    cy = 0.5 * (float(height) - 1)
    cos, sin = tf.cos(angle), tf.sin(angle)
    a0, a1 = cos, -sin
    a2 = (0.0 + cx) - cx * a0 - cy * a1
    b0, b1 = sin, cos
    b2 = (0.0 + cy) - cx * b0 - cy * b1
    zeros = tf.zeros_like(angle)
    return tf.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)


class RandomRotation(_AffineLayer):
    """Rotates each image by a random angle about its center
    (``keras.layers.RandomRotation``).

    As Keras 3: ``factor`` a fraction of 2 pi, a number ``f`` meaning ``[-f, f]`` or a
    pair; ``fill_mode`` ``reflect``/``wrap``/``constant``/``nearest`` with
    ``fill_value``; ``interpolation`` ``bilinear``/``nearest``; float32 output; identity
    (cast to float32) with ``training=False``. Differentiable for float images.
    """

    def __init__(
        self,
        factor: Any,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: Optional[int] = None,
        fill_value: float = 0.0,
        data_format: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.factor = _factor_pair(factor, (-1, 1))
        self._init_seed(seed)
        self.fill_mode = fill_mode
        self.interpolation = interpolation
        self.fill_value = fill_value
        _check_fill(fill_mode, interpolation)

    def _matrices(self, batch: int, height: int, width: int) -> Any:
        angle = self._uniform((batch,), self.factor[0] * 360.0, self.factor[1] * 360.0)
        return _affine_matrix(angle, height, width)

    def get_config(self) -> Dict[str, Any]:
        return {
            **super().get_config(),
            "factor": self.factor,
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "interpolation": self.interpolation,
            "seed": self.seed,
        }


def _signed_pair(factor: Any, name: str, error: str, open_low: bool) -> Tuple[Any, Any]:
    """RandomZoom's / RandomTranslation's ``_set_factor``: (lower, upper) in
    (-1, 1] (zoom, ``open_low``) or [-1, 1] (translation)."""

    def check(v: Any) -> None:
        if v > 1.0 or (v <= -1.0 if open_low else v < -1.0):
            raise ValueError(error + f"Received: input_number={v}")

    if isinstance(factor, (tuple, list)):
        if len(factor) != 2:
            raise ValueError(error + f"Received: {name}={factor}")
        check(factor[0])
        check(factor[1])
        lower, upper = sorted(factor)
        return lower, upper
    if isinstance(factor, (int, float)) and not isinstance(factor, bool):
        check(factor)
        return -abs(factor), abs(factor)
    raise ValueError(error + f"Received: {name}={factor}")


class RandomZoom(_AffineLayer):
    """Zooms each image in or out about its center (``keras.layers.RandomZoom``).

    As Keras 3: ``height_factor``/``width_factor`` in (-1, 1] (negative zooms in: the
    drawn factor ``z`` maps output pixels to ``(1 + z)``-scaled input pixels);
    ``width_factor=None`` keeps the aspect ratio; the fill and interpolation options and
    outputs of :class:`RandomRotation`.
    """

    _ERROR = (
        "The `height_factor` and `width_factor` arguments should be a number (or a "
        "list of two numbers) in the range (-1.0, 1.0]. "
    )

    def __init__(
        self,
        height_factor: Any,
        width_factor: Any = None,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: Optional[int] = None,
        fill_value: float = 0.0,
        data_format: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = _signed_pair(
            height_factor, "height_factor", self._ERROR, open_low=True
        )
        self.width_factor = width_factor
        if width_factor is not None:
            self.width_lower, self.width_upper = _signed_pair(
                width_factor, "width_factor", self._ERROR, open_low=True
            )
        _check_fill(fill_mode, interpolation)
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.interpolation = interpolation
        self._init_seed(seed)

    def _matrices(self, batch: int, height: int, width: int) -> Any:
        hz = self._uniform((batch, 1), 1.0 + self.height_lower, 1.0 + self.height_upper)
        wz = (
            hz
            if self.width_factor is None
            else self._uniform(
                (batch, 1), 1.0 + self.width_lower, 1.0 + self.width_upper
            )
        )
        zeros = tf.zeros((batch, 1))
        x_offset = ((float(width) - 1.0) / 2.0) * (1.0 - wz)
        y_offset = ((float(height) - 1.0) / 2.0) * (1.0 - hz)
        return tf.concat(
            [wz, zeros, x_offset, zeros, hz, y_offset, zeros, zeros], axis=1
        )

    def get_config(self) -> Dict[str, Any]:
        return {
            **super().get_config(),
            "height_factor": self.height_factor,
            "width_factor": self.width_factor,
            "fill_mode": self.fill_mode,
            "interpolation": self.interpolation,
            "seed": self.seed,
            "fill_value": self.fill_value,
        }


class RandomTranslation(_AffineLayer):
    """Shifts each image by a random fraction of its height and width
    (``keras.layers.RandomTranslation``).

    As Keras 3: ``height_factor``/``width_factor`` in [-1, 1] (a number ``f`` means
    ``[-f, f]``; positive shifts down/right); the fill and interpolation options and
    outputs of :class:`RandomRotation`.
    """

    _ERROR = (
        "The `factor` argument should be a number (or a list of two numbers) in the "
        "range [-1.0, 1.0]. "
    )

    def __init__(
        self,
        height_factor: Any,
        width_factor: Any,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: Optional[int] = None,
        fill_value: float = 0.0,
        data_format: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = _signed_pair(
            height_factor, "height_factor", self._ERROR, open_low=False
        )
        self.width_factor = width_factor
        self.width_lower, self.width_upper = _signed_pair(
            width_factor, "width_factor", self._ERROR, open_low=False
        )
        _check_fill(fill_mode, interpolation)
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.interpolation = interpolation
        self._init_seed(seed)

    def _matrices(self, batch: int, height: int, width: int) -> Any:
        dy = self._uniform((batch, 1), self.height_lower, self.height_upper) * float(
            height
        )
        dx = self._uniform((batch, 1), self.width_lower, self.width_upper) * float(
            width
        )
        ones, zeros = tf.ones((batch, 1)), tf.zeros((batch, 1))
        return tf.concat([ones, zeros, -dx, zeros, ones, -dy, zeros, zeros], axis=1)

    def get_config(self) -> Dict[str, Any]:
        return {
            **super().get_config(),
            "height_factor": self.height_factor,
            "width_factor": self.width_factor,
            "fill_mode": self.fill_mode,
            "interpolation": self.interpolation,
            "seed": self.seed,
            "fill_value": self.fill_value,
        }


# ---------------------------------------------------------------------------------
# Color
# ---------------------------------------------------------------------------------
def _factor_shape(x: Any) -> List[int]:
    rank = len(x.shape)
    if rank not in (3, 4):
        raise ValueError(
            "Expected the input image to be rank 3 or 4. Received "
            f"inputs.shape={tuple(x.shape)}"
        )
    return [1, 1, 1] if rank == 3 else [x.shape[0], 1, 1, 1]


class RandomContrast(_RandomLayer):
    """Scales each image's deviation from its per-channel mean by a random factor,
    then clips to ``value_range`` (``keras.layers.RandomContrast``).

    As Keras 3.15: ``factor`` in [0, 1]; the factor is drawn from
    ``[1 - factor[0], 1 + factor[1]]``, where a number ``f`` means ``(0, f)``, so it
    only raises contrast (Keras's behaviour); at inference the input is returned
    unchanged; integer images are Keras's InvalidArgumentError when training.
    """

    def __init__(
        self,
        factor: Any,
        value_range: Sequence[float] = (0, 255),
        seed: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.factor = _factor_pair(factor, (0, 1))
        self.value_range = value_range
        self._init_seed(seed)

    def call(self, inputs: Any, training: Any = None) -> Any:
        shape = _factor_shape(inputs)
        if not _training(training):
            return inputs
        factor = self._uniform(shape, 1.0 - self.factor[0], 1.0 + self.factor[1])
        h, w = self._hw_axes()
        mean = tf.reduce_mean(
            tf.cast(inputs, tf.float32) if inputs.dtype.is_integer else inputs,
            axis=h,
            keepdims=True,
        )
        mean = tf.reduce_mean(mean, axis=w, keepdims=True)
        out = (inputs - mean) * tf.cast(factor, mean.dtype) + mean
        return tf.clip_by_value(
            out, float(self.value_range[0]), float(self.value_range[1])
        )

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(input_shape)

    def get_config(self) -> Dict[str, Any]:
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
            "seed": self.seed,
        }


class RandomBrightness(_RandomLayer):
    """Adds a random delta to each image, then clips to ``value_range``
    (``keras.layers.RandomBrightness``).

    As Keras 3: ``factor`` in [-1, 1] (a number ``f`` means ``[-f, f]``), the delta
    being ``factor * (value_range[1] - value_range[0])``, cast to the image's dtype;
    ``value_range`` is sorted; at inference the input is returned unchanged.
    """

    def __init__(
        self,
        factor: Any,
        value_range: Sequence[float] = (0, 255),
        seed: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.factor = _factor_pair(factor, (-1, 1))
        self._init_seed(seed)
        error = "The `value_range` argument should be a list of two numbers. "
        if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
            raise ValueError(error + f"Received: value_range={value_range}")
        self.value_range = sorted(value_range)

    def call(self, inputs: Any, training: Any = None) -> Any:
        shape = _factor_shape(inputs)
        if not _training(training):
            return inputs
        delta = self._uniform(shape, self.factor[0], self.factor[1])
        delta = tf.cast(
            delta * float(self.value_range[1] - self.value_range[0]), inputs.dtype
        )
        lo, hi = self.value_range
        out = inputs + delta
        if out.dtype.is_integer:
            return tf.clip_by_value(out, tf.cast(lo, out.dtype), tf.cast(hi, out.dtype))
        return tf.clip_by_value(out, float(lo), float(hi))

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(input_shape)

    def get_config(self) -> Dict[str, Any]:
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
            "seed": self.seed,
        }
