"""``tf.image``: resizing, cropping, flipping, color adjustments, dtype conversion and
PNG/JPEG coding, as TensorFlow 2.21.

Every function is written with tapeflow ops, so float inputs get gradients: a resize is
two matrix products with TF's interpolation weights (one per axis), nearest-neighbour
resizing and the projective sampler behind Keras's random rotations/zooms/translations
are gathers. Values equal TF's to float32 rounding (the resize weights are TF's own
formulas, half-pixel centers as TF2's ``tf.image.resize``).

Where tapeflow differs from TF:

* tapeflow has no ``uint8``/``uint16``/``int8``/``int16``/``float16`` tensors: NumPy
  arrays of those dtypes are widened (to int32/float32) when they become tensors.
  Functions whose TF result keeps the image's dtype return the widened dtype. Their
  *value range* is kept: ``convert_image_dtype``, ``adjust_brightness``,
  ``adjust_contrast`` and ``rgb_to_grayscale`` scale a NumPy ``uint8`` image by 255 as
  TF does for a ``uint8`` tensor, and ``convert_image_dtype`` accepts those NumPy dtypes
  as targets (returning int32 tensors holding that range).
* tapeflow has no string tensors: ``decode_*`` take Python ``bytes`` (or a NumPy bytes
  scalar, or a uint8 array of the file's bytes) and return the pixels as a NumPy
  ``uint8`` (or ``uint16``) array; ``encode_*`` return Python ``bytes``. Coding uses
  Pillow, an optional dependency (``pip install pillow``).
* Sizes, offsets and crop boxes are Python values (or tensors read once), not graph
  values; images always have static shapes.
"""

from __future__ import annotations

import functools
import io
from typing import Any, Callable, Optional, Sequence, Tuple, Union

import numpy as np

from tapeflow.framework import dtypes, errors
from tapeflow.framework.tensor import Tensor, convert_to_tensor
from tapeflow.ops import array_ops, math_ops, random_ops

_f32 = np.float32
_INT_MAX = {
    "uint8": 255,
    "uint16": 65535,
    "int8": 127,
    "int16": 32767,
    "int32": 2**31 - 1,
    "int64": 2**63 - 1,
}
_INT_MIN = {
    "uint8": 0,
    "uint16": 0,
    "int8": -128,
    "int16": -32768,
    "int32": -(2**31),
    "int64": -(2**63),
}
_NARROW = ("uint8", "uint16", "int8", "int16", "float16")  # widened by tapeflow


class ResizeMethod:
    """The names ``tf.image.resize`` takes as ``method`` (``tf.image.ResizeMethod``)."""

    BILINEAR = "bilinear"
    NEAREST_NEIGHBOR = "nearest"
    BICUBIC = "bicubic"
    AREA = "area"
    LANCZOS3 = "lanczos3"
    LANCZOS5 = "lanczos5"
    GAUSSIAN = "gaussian"
    MITCHELLCUBIC = "mitchellcubic"


_METHODS = (
    "bilinear",
    "nearest",
    "bicubic",
    "area",
    "lanczos3",
    "lanczos5",
    "gaussian",
    "mitchellcubic",
)
_RESIZE_OP = {
    "bilinear": "ResizeBilinear",
    "nearest": "ResizeNearestNeighbor",
    "bicubic": "ResizeBicubic",
    "area": "ResizeArea",
}


# ---------------------------------------------------------------------------------
# Helpers: images as tensors, with the dtype they had before tapeflow widened them
# ---------------------------------------------------------------------------------
def _image(image: Any) -> Tuple[Tensor, str]:
    """The image as a Tensor, and the name of its dtype as the caller gave it (a NumPy
    ``uint8`` image becomes an int32 Tensor, and ``"uint8"``)."""
    kind = None
    if isinstance(image, (np.ndarray, np.generic)) and image.dtype.name in _NARROW:
        kind = image.dtype.name
    t = convert_to_tensor(image)
    return t, kind or t.dtype.name


def _kind(dtype: Any) -> str:
    """A target dtype's name; NumPy's narrow ints are allowed (see the module doc)."""
    if isinstance(dtype, str) and dtype in _NARROW:
        return dtype
    if not isinstance(dtype, (str, dtypes.DType)) and dtype is not None:
        try:
            name = np.dtype(dtype).name
        except TypeError:
            name = None
        if name in _NARROW:
            return name
    return dtypes.as_dtype(dtype).name


def _is_int(kind: str) -> bool:
    return kind in _INT_MAX


def _is_float(kind: str) -> bool:
    return kind in ("float16", "float32", "float64")


def _widened(kind: str) -> dtypes.DType:
    """The tapeflow dtype holding values of `kind`."""
    if kind == "float16":
        return dtypes.float32
    if kind in ("uint8", "uint16", "int8", "int16"):
        return dtypes.int32
    return dtypes.as_dtype(kind)


def _cast_to(x: Tensor, kind: str, saturate: bool) -> Tensor:
    """``tf.cast`` / ``tf.saturate_cast`` of x to `kind` (narrow ints wrap or clip)."""
    dt = _widened(kind)
    if kind not in ("uint8", "uint16", "int8", "int16"):
        return math_ops.saturate_cast(x, dt) if saturate else math_ops.cast(x, dt)
    lo, hi = _INT_MIN[kind], _INT_MAX[kind]
    if saturate:
        if x.dtype.is_floating:
            x = math_ops.clip_by_value(x, float(lo), float(hi))
        else:
            x = math_ops.clip_by_value(
                x, math_ops.cast(lo, x.dtype), math_ops.cast(hi, x.dtype)
            )
        return math_ops.cast(x, dt)
    v = math_ops.cast(x, dtypes.int64)  # C's conversion: keep the low bits
    span = hi - lo + 1
    return math_ops.cast(math_ops.floormod(v - lo, span) + lo, dt)


def _convert(x: Tensor, src: str, dst: str, saturate: bool = False) -> Tensor:
    """TF's ``convert_image_dtype`` from dtype `src` (which x holds, maybe widened) to
    `dst`: ints scale by their maximum, floats live in [0, 1]."""
    if src == dst or (
        src in ("float16", "float32")
        and dst in ("float16", "float32")
        and x.dtype == _widened(dst)
    ):
        return array_ops.identity(x)
    if _is_int(src) and _is_int(dst):
        scale_in, scale_out = _INT_MAX[src], _INT_MAX[dst]
        if scale_in > scale_out:
            scaled = math_ops.floordiv(
                x, math_ops.cast((scale_in + 1) // (scale_out + 1), x.dtype)
            )
            return _cast_to(scaled, dst, saturate)
        cast = _cast_to(x, dst, saturate)
        return math_ops.multiply(
            cast, math_ops.cast((scale_out + 1) // (scale_in + 1), cast.dtype)
        )
    if _is_float(src) and _is_float(dst):
        return math_ops.cast(x, _widened(dst))
    if _is_int(src):
        dt = _widened(dst)
        return math_ops.multiply(
            math_ops.cast(x, dt), convert_to_tensor(1.0 / _INT_MAX[src], dtype=dt)
        )
    scaled = math_ops.multiply(x, convert_to_tensor(_INT_MAX[dst] + 0.5, dtype=x.dtype))
    return _cast_to(scaled, dst, saturate)


def _check_kinds(src: str, dst: str) -> None:
    if not (_is_int(dst) or _is_float(dst)):
        raise AttributeError("dtype must be either floating point or integer")
    if not (_is_int(src) or _is_float(src)):
        raise AttributeError("image dtype must be either floating point or integer")


def _shape_str(shape: Sequence[int]) -> str:
    """A shape as TF's TensorShape prints it: ``(6, 3)``."""
    return (
        "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
    )


def _dims(shape: Sequence[int]) -> str:
    """A shape as TF's kernels print it: ``[6,3]``."""
    return "[" + ",".join(str(d) for d in shape) + "]"


def _at_least_3d(x: Tensor, max_rank: Optional[int] = 4, space: str = " ") -> int:
    """TF's ``_CheckAtLeast3DImage`` (+ its 3-or-4 rank check): the rank."""
    shape = tuple(x.shape.as_list())
    if len(shape) < 3:
        raise ValueError(
            f"'image' (shape {_shape_str(shape)}) must be at least three-dimensional."
        )
    if any(d == 0 for d in shape[-3:]):
        raise ValueError(
            f"inner 3 dims of 'image.shape' must be > 0: {_shape_str(shape)}"
        )
    if max_rank is not None and len(shape) > max_rank:
        raise ValueError(
            f"'image' (shape {_shape_str(shape)}){space}must have either 3 "
            "or 4 dimensions."
        )
    return len(shape)


def _batched(x: Tensor) -> Tuple[Tensor, bool]:
    """A 3-D or 4-D image as 4-D, and whether it was 4-D."""
    rank = x.shape.rank
    if rank == 4:
        return x, True
    if rank == 3:
        return array_ops.expand_dims(x, 0), False
    raise ValueError(
        f"'image' (shape {_shape_str(x.shape.as_list())}) must have either 3 "
        "or 4 dimensions."
    )


def _unbatch(x: Tensor, batched: bool) -> Tensor:
    return x if batched else array_ops.squeeze(x, [0])


def _int(value: Any) -> int:
    """A size or offset given as a Python number or a scalar tensor."""
    if isinstance(value, Tensor) or hasattr(value, "_as_tensor"):
        value = convert_to_tensor(value).numpy()
    return int(value)


# ---------------------------------------------------------------------------------
# Resize weights: TF's kernels as (out_size, in_size) matrices
# ---------------------------------------------------------------------------------
def _keys_cubic_table() -> Tuple[np.ndarray, np.ndarray]:
    """ResizeBicubic's tabulated Keys cubic weights (a = -0.5) at 1/1024 steps: for a
    fractional offset t, the inner taps' weight and the outer taps' weight."""
    a = -0.5
    t = np.arange(1025, dtype=np.float64) / 1024.0
    inner = ((a + 2) * t - (a + 3)) * t * t + 1
    u = t + 1
    outer = ((a * u - 5 * a) * u + 8 * a) * u - 4 * a
    return inner.astype(_f32), outer.astype(_f32)


def _lanczos(radius: float) -> Callable[[np.ndarray], np.ndarray]:
    def kernel(x: np.ndarray) -> np.ndarray:
        x = np.abs(x)
        safe = np.where(x <= 1e-3, 1.0, x)
        pi = 3.14159265359
        value = (
            radius
            * np.sin(pi * safe)
            * np.sin(pi * safe / radius)
            / (pi * pi * safe * safe)
        )
        return np.where(x <= 1e-3, 1.0, np.where(x > radius, 0.0, value))

    return kernel


def _gaussian(x: np.ndarray) -> np.ndarray:
    sigma = 1.5 / 3.0
    return np.where(np.abs(x) >= 1.5, 0.0, np.exp(-x * x / (2 * sigma * sigma)))


def _mitchell(x: np.ndarray) -> np.ndarray:
    x = np.abs(x)
    near = (7.0 / 6.0 * x - 2.0) * x * x + 8.0 / 9.0
    far = ((-7.0 / 18.0 * x + 2.0) * x - 10.0 / 3.0) * x + 16.0 / 9.0
    return np.where(x >= 2, 0.0, np.where(x >= 1, far, near))


def _triangle(x: np.ndarray) -> np.ndarray:
    x = np.abs(x)
    return np.where(x < 1.0, 1.0 - x, 0.0)


def _keys_cubic(x: np.ndarray) -> np.ndarray:
    x = np.abs(x)
    far = ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0
    near = (1.5 * x - 2.5) * x * x + 1.0
    return np.where(x >= 2, 0.0, np.where(x >= 1, far, near))


# ScaleAndTranslate's kernels and radii (TF's sampling_kernels.h)
_SCALE_AND_TRANSLATE = {
    "lanczos3": (_lanczos(3.0), 3.0),
    "lanczos5": (_lanczos(5.0), 5.0),
    "gaussian": (_gaussian, 1.5),
    "mitchellcubic": (_mitchell, 2.0),
    "triangle": (_triangle, 1.0),
    "keyscubic": (_keys_cubic, 2.0),
}


@functools.lru_cache(maxsize=256)
def _resize_weights(
    method: str, in_size: int, out_size: int, antialias: bool = False
) -> np.ndarray:
    """The ``(out_size, in_size)`` float32 matrix that resamples one axis as
    ``tf.image.resize(..., method, antialias)`` does (``nearest``: a 0/1 matrix).

    ``antialias`` switches bilinear and bicubic to TF's ScaleAndTranslate kernels
    (triangle, Keys cubic) and widens those kernels when downsampling; it does not
    change ``nearest`` or ``area``, as in TF.
    """
    if antialias and method in ("bilinear", "bicubic"):
        method = "triangle" if method == "bilinear" else "keyscubic"
    elif method in ("bilinear", "bicubic", "nearest", "area"):
        antialias = False
    w = np.zeros((out_size, in_size), np.float64)
    rows = np.arange(out_size)
    centers = rows.astype(_f32) + _f32(0.5)
    scale = _f32(in_size) / _f32(out_size)
    if method == "nearest":  # ResizeNearestNeighbor, half-pixel centers
        src = np.clip(np.floor(centers * scale).astype(np.int64), 0, in_size - 1)
        w[rows, src] = 1.0
    elif method == "bilinear":  # ResizeBilinear, half-pixel centers
        pos = centers * scale - _f32(0.5)
        low_f = np.floor(pos)
        low = np.maximum(low_f, 0).astype(np.int64)
        high = np.minimum(np.ceil(pos), in_size - 1).astype(np.int64)
        frac = (pos - low_f).astype(np.float64)
        np.add.at(w, (rows, low), 1.0 - frac)
        np.add.at(w, (rows, high), frac)
    elif method == "bicubic":  # ResizeBicubic, half-pixel centers: tabulated Keys cubic
        inner, outer = _keys_cubic_table()
        pos = centers * scale - _f32(0.5)
        base_f = np.floor(pos)
        base = base_f.astype(np.int64)
        step = np.rint((pos - base_f) * _f32(1024)).astype(np.int64)
        taps = np.stack(
            [outer[step], inner[step], inner[1024 - step], outer[1024 - step]], 1
        )
        cols = base[:, None] + np.arange(-1, 3)[None, :]
        taps = np.where((cols >= 0) & (cols < in_size), taps, _f32(0))
        total = taps.sum(axis=1, dtype=_f32)
        ok = np.abs(total) >= _f32(1000) * np.finfo(_f32).tiny
        scale_back = (_f32(1) / np.where(ok, total, 1))[:, None]
        taps = np.where(ok[:, None], taps * scale_back, taps)
        np.add.at(
            w,
            (np.repeat(rows, 4), np.clip(cols, 0, in_size - 1).ravel()),
            taps.ravel().astype(np.float64),
        )
    elif method == "area":  # ResizeArea: exact box coverage
        for r in range(out_size):
            lo, hi = _f32(r) * scale, _f32(r + 1) * scale
            for i in range(int(np.floor(lo)), int(np.ceil(hi))):
                if i < lo:
                    part = scale if i + 1 > hi else _f32(i + 1) - lo
                else:
                    part = hi - _f32(i) if i + 1 > hi else _f32(1)
                w[r, min(i, in_size - 1)] += float(part)
        w /= float(scale)
    else:  # ScaleAndTranslate: lanczos3/5, gaussian, mitchellcubic, triangle, keyscubic
        kernel, radius = _SCALE_AND_TRANSLATE[method]
        inv_scale = _f32(1) / (_f32(out_size) / _f32(in_size))
        kernel_scale = max(inv_scale, _f32(1)) if antialias else _f32(1)
        reach = _f32(radius) * kernel_scale
        for r in range(out_size):
            center = (_f32(r) + _f32(0.5)) * inv_scale
            first = int(np.ceil(center - reach - _f32(0.5)))
            last = int(np.floor(center + reach - _f32(0.5)))
            first = min(max(first, 0), in_size - 1)
            last = min(max(last, 0), in_size - 1) + 1
            src = np.arange(first, last)
            pos = (src.astype(_f32) + _f32(0.5) - center) / kernel_scale
            taps = kernel(np.abs(pos).astype(np.float64)).astype(_f32)
            total = taps.sum(dtype=_f32)
            if abs(total) >= 1000 * np.finfo(_f32).tiny:
                taps = taps * (_f32(1) / total)
            w[r, first:last] = taps
    return w.astype(_f32)


@functools.lru_cache(maxsize=256)
def _nearest_index(in_size: int, out_size: int) -> np.ndarray:
    return np.argmax(_resize_weights("nearest", in_size, out_size), axis=1).astype(
        np.int32
    )


def _resample(x: Tensor, method: str, size: Tuple[int, int], antialias: bool) -> Tensor:
    """A 4-D image resampled to `size` (height and width in turn)."""
    b, h, w, c = x.shape.as_list()
    nh, nw = size
    if method == "nearest":  # a gather keeps the dtype, and has a gradient
        if nh != h:
            x = array_ops.gather(x, _nearest_index(h, nh), axis=1)
        if nw != w:
            x = array_ops.gather(x, _nearest_index(w, nw), axis=2)
        return x
    if x.dtype != dtypes.float32:
        x = math_ops.cast(x, dtypes.float32)
    wh = _resize_weights(method, h, nh, antialias)
    if not (nh == h and np.array_equal(wh, np.eye(h, dtype=_f32))):
        x = array_ops.reshape(
            math_ops.matmul(convert_to_tensor(wh), array_ops.reshape(x, (b, h, w * c))),
            (b * nh, w, c),
        )
    ww = _resize_weights(method, w, nw, antialias)
    if not (nw == w and np.array_equal(ww, np.eye(w, dtype=_f32))):
        x = math_ops.matmul(convert_to_tensor(ww), array_ops.reshape(x, (b * nh, w, c)))
    return array_ops.reshape(x, (b, nh, nw, c))


def _size_arg(size: Any) -> Tuple[int, int]:
    if isinstance(size, Tensor) or hasattr(size, "_as_tensor"):
        size = convert_to_tensor(size).numpy()
    arr = np.asarray(size)
    if arr.dtype.kind not in "iu":
        raise ValueError("'size' must be a 1-D int32 Tensor")
    if arr.shape != (2,):
        raise ValueError(
            "'size' must be a 1-D Tensor of 2 elements: new_height, new_width"
        )
    return int(arr[0]), int(arr[1])


def resize(
    images: Any,
    size: Any,
    method: str = ResizeMethod.BILINEAR,
    preserve_aspect_ratio: bool = False,
    antialias: bool = False,
    name: Optional[str] = None,
) -> Tensor:
    """Resizes images to `size` (``tf.image.resize``, TF2's ``resize_images_v2``).

    Mirrors TF 2.21: half-pixel centers; methods ``bilinear``, ``nearest``, ``bicubic``,
    ``area``, ``lanczos3``, ``lanczos5``, ``gaussian``, ``mitchellcubic``;
    ``antialias`` (bilinear/bicubic become TF's triangle/Keys-cubic ScaleAndTranslate
    kernels, widened when downsampling; the lanczos/gaussian/mitchell kernels widen;
    nearest and area ignore it); ``preserve_aspect_ratio`` (the largest size within
    `size`, rounded half to even); the result is float32, except ``nearest``, which
    keeps the dtype; TF's errors (ValueError for bad ranks, sizes, methods;
    InvalidArgumentError for non-positive sizes or empty images).

    Differs: the result is differentiable for every method (TF has no gradient for
    ``area``); a NumPy uint8 image resized with ``nearest`` comes back as int32.

    Args:
        images: ``(height, width, channels)`` or ``(batch, height, width, channels)``.
        size: ``(new_height, new_width)``, ints.
        method: a ``tf.image.ResizeMethod`` name.
        preserve_aspect_ratio: keep the aspect ratio, fitting within `size`.
        antialias: low-pass filter when downsampling (see above).
        name: unused.

    Returns:
        The resized images, 3-D or 4-D as the input.
    """
    x = convert_to_tensor(images)
    if x.shape.rank not in (3, 4):
        raise ValueError("'images' must have either 3 or 4 dimensions.")
    x, batched = _batched(x)
    nh, nw = _size_arg(size)
    method = str(getattr(method, "value", method)).lower()
    if method not in _METHODS:
        raise ValueError(f"Resize method is not implemented: {method}")
    _, h, w, _ = x.shape.as_list()
    if preserve_aspect_ratio:
        factor = min(_f32(nh) / _f32(h), _f32(nw) / _f32(w))
        nh, nw = int(np.rint(factor * _f32(h))), int(np.rint(factor * _f32(w)))
    op = (
        "ScaleAndTranslate"
        if method not in _RESIZE_OP or (antialias and method in ("bilinear", "bicubic"))
        else _RESIZE_OP[method]
    )
    if x.dtype == dtypes.bool:
        raise errors.InvalidArgumentError(
            None,
            None,
            "Value for attr 'T' of bool is not in the list of allowed values: "
            f"int8, uint8, int16, uint16, int32, int64, bfloat16, half, float, double "
            f"[Op:{op}]",
        )
    if nh <= 0 or nw <= 0:
        raise errors.InvalidArgumentError(
            None, None, f"output dimensions must be positive [Op:{op}]"
        )
    if x.shape.num_elements() == 0:
        raise errors.InvalidArgumentError(
            None, None, f"input image must be of non-zero size [Op:{op}]"
        )
    return _unbatch(_resample(x, method, (nh, nw), bool(antialias)), batched)


def resize_with_pad(
    image: Any,
    target_height: int,
    target_width: int,
    method: str = ResizeMethod.BILINEAR,
    antialias: bool = False,
) -> Tensor:
    """Resizes to fit within the target keeping the aspect ratio, then zero-pads
    (centered) to ``(target_height, target_width)`` (``tf.image.resize_with_pad``,
    float32 arithmetic as TF; dtype as :func:`resize`)."""
    x = convert_to_tensor(image)
    x, batched = _batched(x)
    _at_least_3d(x, None)
    th, tw = _int(target_height), _int(target_width)
    if tw <= 0:
        raise ValueError("target_width must be > 0.")
    if th <= 0:
        raise ValueError("target_height must be > 0.")
    _, h, w, _ = x.shape.as_list()
    ratio = max(_f32(w) / _f32(tw), _f32(h) / _f32(th))
    rh, rw = _f32(h) / ratio, _f32(w) / ratio
    top = max(0, int(np.floor((_f32(th) - rh) / _f32(2))))
    left = max(0, int(np.floor((_f32(tw) - rw) / _f32(2))))
    resized = resize(
        x, (int(np.floor(rh)), int(np.floor(rw))), method, antialias=antialias
    )
    return _unbatch(pad_to_bounding_box(resized, top, left, th, tw), batched)


def resize_with_crop_or_pad(
    image: Any, target_height: int, target_width: int
) -> Tensor:
    """Centrally crops and/or zero-pads to ``(target_height, target_width)``
    (``tf.image.resize_with_crop_or_pad``); keeps the dtype."""
    x = convert_to_tensor(image)
    x, batched = _batched(x)
    _at_least_3d(x, None)
    th, tw = _int(target_height), _int(target_width)
    if tw <= 0:
        raise ValueError("target_width must be > 0.")
    if th <= 0:
        raise ValueError("target_height must be > 0.")
    _, h, w, _ = x.shape.as_list()
    cropped = crop_to_bounding_box(
        x, max((h - th) // 2, 0), max((w - tw) // 2, 0), min(th, h), min(tw, w)
    )
    out = pad_to_bounding_box(
        cropped, max((th - h) // 2, 0), max((tw - w) // 2, 0), th, tw
    )
    return _unbatch(out, batched)


# ---------------------------------------------------------------------------------
# Flips, rotations, crops
# ---------------------------------------------------------------------------------
def _reverse(x: Tensor, axes: Sequence[int]) -> Tensor:
    key = [slice(None)] * x.shape.rank
    for a in axes:
        key[a] = slice(None, None, -1)
    return x[tuple(key)]


def flip_left_right(image: Any) -> Tensor:
    """Reverses the width axis of a 3-D or 4-D image (``tf.image.flip_left_right``)."""
    x = convert_to_tensor(image)
    _at_least_3d(x, space="")
    return _reverse(x, [-2])


def flip_up_down(image: Any) -> Tensor:
    """Reverses the height axis of a 3-D or 4-D image (``tf.image.flip_up_down``)."""
    x = convert_to_tensor(image)
    _at_least_3d(x, space="")
    return _reverse(x, [-3])


def _rank4_transpose(x: Tensor) -> Tensor:
    return array_ops.transpose(x, [1, 0, 2] if x.shape.rank == 3 else [0, 2, 1, 3])


def rot90(image: Any, k: Any = 1, name: Optional[str] = None) -> Tensor:
    """Rotates by ``k`` quarter turns counter-clockwise (``tf.image.rot90``)."""
    x = convert_to_tensor(image)
    _at_least_3d(x)
    if isinstance(k, float) and not float(k).is_integer():
        raise TypeError(f"Cannot convert {k} to EagerTensor of dtype int32")
    k = _int(k) % 4
    if k == 1:
        return _rank4_transpose(_reverse(x, [-2]))
    if k == 2:
        return _reverse(x, [-3, -2])
    if k == 3:
        return _reverse(_rank4_transpose(x), [-2])
    return x


def transpose(image: Any, name: Optional[str] = None) -> Tensor:
    """Swaps height and width (``tf.image.transpose``)."""
    x = convert_to_tensor(image)
    _at_least_3d(x)
    return _rank4_transpose(x)


def central_crop(image: Any, central_fraction: float) -> Tensor:
    """The central ``central_fraction`` of the height and width
    (``tf.image.central_crop``, TF's rounding of the box)."""
    x = convert_to_tensor(image)
    fraction = float(central_fraction)
    if fraction <= 0.0 or fraction > 1.0:
        raise ValueError("central_fraction must be within (0, 1]")
    if fraction == 1.0:
        return x
    _at_least_3d(x, None)
    rank = x.shape.rank
    if rank not in (3, 4):
        raise ValueError(
            "`image` should either be a Tensor with rank = 3 or rank = 4. "
            f"Had rank = {rank}."
        )
    h, w = x.shape.as_list()[-3:-1]
    top = int((float(h) - float(h) * fraction) / 2)
    left = int((float(w) - float(w) * fraction) / 2)
    return x[..., top : h - top, left : w - left, :]


def crop_to_bounding_box(
    image: Any,
    offset_height: int,
    offset_width: int,
    target_height: int,
    target_width: int,
) -> Tensor:
    """The ``(target_height, target_width)`` window at the given offset
    (``tf.image.crop_to_bounding_box``, TF's ValueErrors)."""
    x = convert_to_tensor(image)
    x, batched = _batched(x)
    _at_least_3d(x, None)
    oh, ow, th, tw = (
        _int(v) for v in (offset_height, offset_width, target_height, target_width)
    )
    _, h, w, _ = x.shape.as_list()
    for ok, message in (
        (ow >= 0, "offset_width must be >= 0."),
        (oh >= 0, "offset_height must be >= 0."),
        (tw > 0, "target_width must be > 0."),
        (th > 0, "target_height must be > 0."),
        (w >= tw + ow, "width must be >= target + offset."),
        (h >= th + oh, "height must be >= target + offset."),
    ):
        if not ok:
            raise ValueError(message)
    return _unbatch(x[:, oh : oh + th, ow : ow + tw, :], batched)


def pad_to_bounding_box(
    image: Any,
    offset_height: int,
    offset_width: int,
    target_height: int,
    target_width: int,
) -> Tensor:
    """Zero-pads to ``(target_height, target_width)`` with the image at the offset
    (``tf.image.pad_to_bounding_box``, TF's ValueErrors)."""
    x = convert_to_tensor(image)
    x, batched = _batched(x)
    oh, ow, th, tw = (
        _int(v) for v in (offset_height, offset_width, target_height, target_width)
    )
    _, h, w, _ = x.shape.as_list()
    _at_least_3d(x, None)
    for ok, message in (
        (oh >= 0, "offset_height must be >= 0"),
        (ow >= 0, "offset_width must be >= 0"),
        (tw - ow - w >= 0, "width must be <= target - offset"),
        (th - oh - h >= 0, "height must be <= target - offset"),
    ):
        if not ok:
            raise ValueError(message)
    out = array_ops.pad(x, [[0, 0], [oh, th - oh - h], [ow, tw - ow - w], [0, 0]])
    return _unbatch(out, batched)


# ---------------------------------------------------------------------------------
# Random transformations (stateful ops: tf.random.set_seed and `seed` as TF)
# ---------------------------------------------------------------------------------
def _random_flip(image: Any, axis: int, seed: Optional[int]) -> Tensor:
    x = convert_to_tensor(image)
    rank = _at_least_3d(x)
    if rank == 3:
        mirror = math_ops.less(random_ops.uniform([], 0, 1.0, seed=seed), 0.5)
        return math_ops.where(mirror, _reverse(x, [axis]), x)
    b = x.shape[0]
    flips = math_ops.round(
        array_ops.reshape(random_ops.uniform([b], 0, 1.0, seed=seed), [b, 1, 1, 1])
    )
    flips = math_ops.cast(flips, x.dtype)
    return flips * _reverse(x, [axis + 1]) + (1 - flips) * x


def random_flip_left_right(image: Any, seed: Optional[int] = None) -> Tensor:
    """Flips the width axis with probability 1/2, per image of a batch
    (``tf.image.random_flip_left_right``)."""
    return _random_flip(image, 1, seed)


def random_flip_up_down(image: Any, seed: Optional[int] = None) -> Tensor:
    """Flips the height axis with probability 1/2, per image of a batch
    (``tf.image.random_flip_up_down``)."""
    return _random_flip(image, 0, seed)


def random_brightness(
    image: Any, max_delta: float, seed: Optional[int] = None
) -> Tensor:
    """:func:`adjust_brightness` by a delta drawn from ``[-max_delta, max_delta)``
    (``tf.image.random_brightness``)."""
    if max_delta < 0:
        raise ValueError("max_delta must be non-negative.")
    delta = random_ops.uniform([], -max_delta, max_delta, seed=seed)
    return adjust_brightness(image, delta)


def random_contrast(
    image: Any, lower: float, upper: float, seed: Optional[int] = None
) -> Tensor:
    """:func:`adjust_contrast` by a factor drawn from ``[lower, upper)``
    (``tf.image.random_contrast``)."""
    if upper <= lower:
        raise ValueError("upper must be > lower.")
    if lower < 0:
        raise ValueError("lower must be non-negative.")
    factor = random_ops.uniform([], lower, upper, seed=seed)
    return adjust_contrast(image, factor)


def random_crop(
    value: Any, size: Any, seed: Optional[int] = None, name: Optional[str] = None
) -> Tensor:
    """A window of shape `size` at a random offset (``tf.image.random_crop``, any
    rank; the offset is drawn as TF draws it). Works inside ``tf.function``: the window
    is gathered, not sliced at a Python offset."""
    x = convert_to_tensor(value)
    shape = x.shape.as_list()
    if isinstance(size, Tensor):
        size = size.numpy()
    size = [int(s) for s in np.asarray(size).reshape(-1)]
    if len(size) != len(shape):
        raise errors.InvalidArgumentError(
            None,
            None,
            f"Incompatible shapes: [{len(shape)}] vs. [{len(size)}] [Op:GreaterEqual]",
        )
    if any(d < s for d, s in zip(shape, size)):
        raise errors.InvalidArgumentError(
            None,
            None,
            "Need value.shape >= size, got "
            f"{', '.join(map(str, shape))} {', '.join(map(str, size))}",
        )
    limit = convert_to_tensor(
        np.asarray([d - s + 1 for d, s in zip(shape, size)], np.int32)
    )
    offset = math_ops.floormod(
        random_ops.uniform([len(shape)], 0, 2**31 - 1, dtype=dtypes.int32, seed=seed),
        limit,
    )
    for axis, (d, s) in enumerate(zip(shape, size)):
        if s != d:
            index = array_ops.gather(offset, axis) + np.arange(s, dtype=np.int32)
            x = array_ops.gather(x, index, axis=axis)
    return x


# ---------------------------------------------------------------------------------
# Color and value adjustments
# ---------------------------------------------------------------------------------
def adjust_brightness(image: Any, delta: Any) -> Tensor:
    """Adds `delta` to an image in [0, 1] float terms (``tf.image.adjust_brightness``):
    integer images are converted to float32, shifted, and converted back saturating."""
    x, src = _image(image)
    flt = x if src in ("float16", "float32") else _convert(x, src, "float32")
    adjusted = math_ops.add(flt, math_ops.cast(delta, flt.dtype))
    return _convert(adjusted, "float32", src, saturate=True)


def adjust_contrast(images: Any, contrast_factor: Any) -> Tensor:
    """``(x - mean) * contrast_factor + mean`` per image and channel, the mean taken
    over height and width (``tf.image.adjust_contrast``, TF's AdjustContrastv2;
    integer images are converted as :func:`adjust_brightness` does)."""
    x, src = _image(images)
    if x.shape.rank < 3:
        raise errors.InvalidArgumentError(
            None,
            None,
            f"input must be at least 3-D, got shape{_dims(x.shape.as_list())} "
            "[Op:AdjustContrastv2]",
        )
    flt = x if src in ("float16", "float32") else _convert(x, src, "float32")
    mean = math_ops.reduce_mean(flt, axis=[-3, -2], keepdims=True)
    factor = math_ops.cast(contrast_factor, flt.dtype)
    adjusted = (flt - mean) * factor + mean
    return _convert(adjusted, "float32", src, saturate=True)


def rgb_to_grayscale(images: Any, name: Optional[str] = None) -> Tensor:
    """Luma ``0.2989 R + 0.5870 G + 0.1140 B`` in a last axis of size 1
    (``tf.image.rgb_to_grayscale``; integer images convert through float32)."""
    x, src = _image(images)
    flt = _convert(x, src, "float32")
    shape = flt.shape.as_list()
    weights = convert_to_tensor(np.array([[0.2989], [0.5870], [0.1140]], _f32))
    if shape[-1] != 3:
        raise errors.InvalidArgumentError(
            None,
            None,
            f"Matrix size-incompatible: In[0]: "
            f"[{int(np.prod(shape[:-1]))},{shape[-1]}], In[1]: [3,1] [Op:MatMul]",
        )
    gray = math_ops.matmul(array_ops.reshape(flt, (-1, 3)), weights)
    gray = array_ops.reshape(gray, shape[:-1] + [1])
    return _convert(gray, "float32", src)


def grayscale_to_rgb(images: Any, name: Optional[str] = None) -> Tensor:
    """Repeats the gray last axis (size 1) 3 times (``tf.image.grayscale_to_rgb``)."""
    x = convert_to_tensor(images)
    shape = x.shape.as_list()
    if len(shape) < 2:
        raise ValueError(
            f"A grayscale image (shape {_shape_str(shape)}) must be at least "
            "two-dimensional."
        )
    if shape[-1] != 1:
        raise ValueError("Last dimension of a grayscale image should be size 1.")
    return array_ops.tile(x, [1] * (len(shape) - 1) + [3])


def convert_image_dtype(
    image: Any, dtype: Any, saturate: bool = False, name: Optional[str] = None
) -> Tensor:
    """Converts an image's dtype, rescaling values (``tf.image.convert_image_dtype``).

    TF's rules: floats hold [0, 1]; integers hold [0, MAX]; int to int scales by a
    power of two (floor division down, multiplication up); int to float multiplies by
    ``1 / MAX``; float to int multiplies by ``MAX + 0.5`` and casts (``saturate``
    clamps first); float to float casts; the same dtype is the identity. A bool dtype
    is TF's AttributeError.

    Differs: a NumPy ``uint8``/``uint16``/``int8``/``int16`` image is scaled by its own
    maximum (as TF does for such tensors) although tapeflow holds it as int32; those
    NumPy dtypes are also accepted as `dtype`, giving an int32 tensor with that range.

    Args:
        image: the image (any shape).
        dtype: the target dtype.
        saturate: clamp before casting to avoid overflow.
        name: unused.

    Returns:
        A Tensor of `dtype` (int32 for the narrow NumPy integer dtypes).
    """
    x, src = _image(image)
    dst = _kind(dtype)
    _check_kinds(src, dst)
    return _convert(x, src, dst, saturate)


def per_image_standardization(image: Any) -> Tensor:
    """``(x - mean) / max(stddev, 1 / sqrt(num_pixels))`` over each image's last three
    axes, as float32 (``tf.image.per_image_standardization``)."""
    x = convert_to_tensor(image)
    _at_least_3d(x, None)
    x = math_ops.cast(x, dtypes.float32)
    num_pixels = int(np.prod(x.shape.as_list()[-3:]))
    mean = math_ops.reduce_mean(x, axis=[-1, -2, -3], keepdims=True)
    stddev = math_ops.reduce_std(x, axis=[-1, -2, -3], keepdims=True)
    min_stddev = _f32(1) / np.sqrt(_f32(num_pixels))
    return math_ops.divide(x - mean, math_ops.maximum(stddev, float(min_stddev)))


# ---------------------------------------------------------------------------------
# The projective sampler (TF's ImageProjectiveTransformV3)
# ---------------------------------------------------------------------------------
def _map_coordinate(c: Tensor, size: int, fill_mode: str) -> Tensor:
    """TF's MapCoordinate: an input coordinate moved inside [0, size - 1] by the fill
    mode (``constant`` leaves it)."""
    if fill_mode == "constant":
        return c
    last = float(size - 1)
    if fill_mode == "nearest" or size <= 1:
        if size <= 1 and fill_mode in ("reflect", "wrap"):
            return math_ops.clip_by_value(c * 0.0, 0.0, 0.0)
        return math_ops.clip_by_value(c, 0.0, last)
    floor = math_ops.floor
    if fill_mode == "reflect":  # [abcd] -> [dcba|abcd|dcba]
        sz2 = float(2 * size)
        neg = sz2 * floor(-c / sz2) + c
        neg = math_ops.where(neg < -size, neg + sz2, -neg - 1.0)
        pos = c - sz2 * floor(c / sz2)
        pos = math_ops.where(pos >= size, sz2 - pos - 1.0, pos)
    else:  # wrap: [abcd] -> [abcd|abcd|abcd]
        sz = float(size - 1)
        neg = c + float(size) * (floor(-c / sz) + 1.0)
        pos = c - float(size) * floor(c / sz)
    out = math_ops.where(c < 0, neg, math_ops.where(c > last, pos, c))
    return math_ops.clip_by_value(out, 0.0, last)


def _projective_transform(
    images: Any,
    transforms: Any,
    output_shape: Any = None,
    fill_value: float = 0.0,
    interpolation: str = "bilinear",
    fill_mode: str = "constant",
) -> Tensor:
    """Samples each image at ``x' = (a0 x + a1 y + a2) / k``,
    ``y' = (b0 x + b1 y + b2) / k``, ``k = c0 x + c1 y + 1``, for every output pixel
    ``(x, y)``: TF's
    ``ImageProjectiveTransformV3`` (what Keras's ``ops.image.affine_transform`` runs).

    ``transforms`` is ``(8,)``, ``(1, 8)`` or ``(batch, 8)``; ``interpolation``
    ``"nearest"`` (round half away from zero) or ``"bilinear"``; ``fill_mode``
    ``"reflect"``, ``"wrap"``, ``"nearest"`` or ``"constant"`` (``fill_value`` outside
    the image, blended by bilinear weights as TF does). Written with gathers, so float
    images get gradients; integer images are sampled in float32 and truncated back.
    """
    x = convert_to_tensor(images)
    b, h, w, c = x.shape.as_list()
    oh, ow = (
        (h, w)
        if output_shape is None
        else (
            int(v)
            for v in np.asarray(
                output_shape.numpy()
                if isinstance(output_shape, Tensor)
                else output_shape
            )
        )
    )
    t = math_ops.cast(convert_to_tensor(transforms), dtypes.float32)
    if t.shape.rank == 1:
        t = array_ops.reshape(t, (1, 8))
    interpolation = interpolation.lower()
    fill_mode = fill_mode.lower()
    dtype = x.dtype
    flt = x if dtype == dtypes.float32 else math_ops.cast(x, dtypes.float32)
    ys, xs = np.meshgrid(
        np.arange(oh, dtype=_f32), np.arange(ow, dtype=_f32), indexing="ij"
    )
    ox = convert_to_tensor(xs.reshape(1, -1))
    oy = convert_to_tensor(ys.reshape(1, -1))
    a0, a1, a2, b0, b1, b2, c0, c1 = (t[:, i : i + 1] for i in range(8))
    proj = c0 * ox + c1 * oy + 1.0
    safe = math_ops.where(math_ops.equal(proj, 0.0), math_ops.ones_like(proj), proj)
    in_x = _map_coordinate((a0 * ox + a1 * oy + a2) / safe, w, fill_mode)
    in_y = _map_coordinate((b0 * ox + b1 * oy + b2) / safe, h, fill_mode)
    if t.shape[0] != b:
        in_x = array_ops.broadcast_to(in_x, (b, oh * ow))
        in_y = array_ops.broadcast_to(in_y, (b, oh * ow))
        proj = array_ops.broadcast_to(proj, (b, oh * ow))
    flat = array_ops.reshape(flt, (b * h * w, c))
    base = convert_to_tensor((np.arange(b, dtype=np.int32) * (h * w)).reshape(b, 1))
    fill = convert_to_tensor(float(fill_value), dtype=dtypes.float32)

    def read(yi: Tensor, xi: Tensor) -> Tensor:
        """Pixels at float-valued integer coordinates, the fill value outside."""
        inside = math_ops.logical_and(
            math_ops.logical_and(yi >= 0.0, yi <= float(h - 1)),
            math_ops.logical_and(xi >= 0.0, xi <= float(w - 1)),
        )
        yc = math_ops.cast(math_ops.clip_by_value(yi, 0.0, float(h - 1)), dtypes.int32)
        xc = math_ops.cast(math_ops.clip_by_value(xi, 0.0, float(w - 1)), dtypes.int32)
        values = array_ops.gather(flat, array_ops.reshape(base + yc * w + xc, [-1]))
        values = array_ops.reshape(values, (b, oh * ow, c))
        return math_ops.where(array_ops.expand_dims(inside, -1), values, fill)

    if interpolation == "nearest":

        def round_away(v: Tensor) -> Tensor:
            return math_ops.sign(v) * math_ops.floor(math_ops.abs(v) + 0.5)

        out = read(round_away(in_y), round_away(in_x))
    else:
        y0, x0 = math_ops.floor(in_y), math_ops.floor(in_x)
        y1, x1 = y0 + 1.0, x0 + 1.0
        wx0, wx1 = (
            array_ops.expand_dims(x1 - in_x, -1),
            array_ops.expand_dims(in_x - x0, -1),
        )
        wy0, wy1 = (
            array_ops.expand_dims(y1 - in_y, -1),
            array_ops.expand_dims(in_y - y0, -1),
        )
        top = wx0 * read(y0, x0) + wx1 * read(y0, x1)
        bottom = wx0 * read(y1, x0) + wx1 * read(y1, x1)
        out = wy0 * top + wy1 * bottom
    out = math_ops.where(
        array_ops.expand_dims(math_ops.equal(proj, 0.0), -1), fill, out
    )
    out = array_ops.reshape(out, (b, oh, ow, c))
    return out if dtype == dtypes.float32 else math_ops.cast(out, dtype)


# ---------------------------------------------------------------------------------
# Decoding and encoding (Pillow)
# ---------------------------------------------------------------------------------
def _pil(what: str) -> Any:
    """Pillow's ``Image`` module, imported on first use."""
    try:
        from PIL import Image
    except ImportError as e:
        raise ImportError(
            f"{what} needs the Pillow package to code images in tapeflow. "
            "Install it with `pip install pillow`."
        ) from e
    return Image


def _contents(contents: Any, op: str) -> bytes:
    """The file's bytes from bytes, a NumPy bytes scalar or a uint8 array."""
    if isinstance(contents, (bytes, bytearray, memoryview)):
        return bytes(contents)
    if (
        isinstance(contents, np.ndarray)
        and contents.dtype.kind in "SO"
        and contents.ndim == 0
    ):
        return bytes(contents.item())
    if isinstance(contents, np.bytes_):
        return bytes(contents)
    if isinstance(contents, np.ndarray) and contents.dtype == np.uint8:
        return contents.tobytes()
    raise TypeError(
        f"tf.image.{op}: `contents` must be the encoded image as bytes (tapeflow "
        f"has no string tensors); got {type(contents).__name__}"
    )


_OP_NAMES = {
    "decode_image": "DecodeImage",
    "decode_png": "DecodePng",
    "decode_jpeg": "DecodeJpeg",
    "decode_bmp": "DecodeBmp",
    "decode_gif": "DecodeGif",
}
_UNKNOWN = (
    "Unknown image file format. One of JPEG, JPEG XL, PNG, GIF, BMP, WebP required."
)


def _decode_error(message: str, op: str) -> errors.InvalidArgumentError:
    return errors.InvalidArgumentError(None, None, f"{message} [Op:{_OP_NAMES[op]}]")


def _decode(
    contents: Any,
    channels: int,
    op: str,
    expand_animations: bool = False,
    sixteen: bool = False,
    ratio: int = 1,
) -> np.ndarray:
    """The pixels of an encoded image, as TF's DecodeImageV2 kernel gives them:
    ``(height, width, channels)`` uint8 (uint16 with `sixteen`), or
    ``(frames, height, width, 3)`` for a GIF with `expand_animations`."""
    data = _contents(contents, op)
    Image = _pil(f"tf.image.{op}")
    channels = 0 if channels is None else int(channels)
    if channels not in (0, 1, 3, 4):
        raise _decode_error(f"`channels` must be 0, 1, 3 or 4 but got {channels}", op)
    try:
        img = Image.open(io.BytesIO(data))
    except Exception:  # noqa: BLE001 - Pillow's UnidentifiedImageError and kin
        raise _decode_error(_UNKNOWN, op) from None
    kind = img.format
    if kind == "JPEG":
        if channels == 4:
            raise _decode_error("JPEG does not support 4 channels", op)
        if channels == 1 and img.mode != "L":
            img.draft("L", img.size)  # libjpeg's own grayscale output, as TF asks for
        if ratio != 1:
            img.draft(
                img.mode if channels != 1 else "L",
                (-(-img.size[0] // ratio), -(-img.size[1] // ratio)),
            )
    elif kind == "GIF":
        if channels not in (0, 3):
            raise _decode_error(f"channels must be 0 or 3 for GIF, got {channels}", op)
    elif kind == "BMP":
        if channels == 1:
            raise _decode_error(
                f"`channels` must be 0, 3 or 4 for BMP, but got {channels}", op
            )
    elif kind not in ("PNG", "WEBP"):
        raise _decode_error(_UNKNOWN, op)
    try:
        img.load()
    except Exception as e:  # noqa: BLE001 - a truncated or corrupt file
        raise _decode_error(f"Invalid {kind} data or size: {e}", op) from None
    if kind == "GIF":
        frames = []
        for i in range(getattr(img, "n_frames", 1) if expand_animations else 1):
            img.seek(i)
            frames.append(np.asarray(img.convert("RGB")))
        arr = np.stack(frames) if expand_animations else frames[0]
        return arr.astype(np.uint16) * 257 if sixteen else arr
    deep = img.mode in ("I;16", "I;16B", "I;16L", "I")  # 16-bit gray
    if deep:
        full = np.asarray(img).astype(np.uint32)
        if sixteen:
            gray16 = full.astype(np.uint16)
            if channels in (3, 4):
                out = np.repeat(gray16[..., None], 3, axis=-1)
                if channels == 4:
                    out = np.concatenate([out, np.full_like(out[..., :1], 65535)], -1)
                return out
            return gray16[..., None]
        img = Image.fromarray(
            (full >> 8).astype(np.uint8), "L"
        )  # libpng strips to 8 bits
    if channels == 3:
        arr = np.asarray(img.convert("RGB"))
    elif channels == 4:
        arr = np.asarray(img.convert("RGBA"))
    elif channels == 1 and img.mode not in ("L", "LA", "1"):
        # color to gray with libpng's weights (png_set_rgb_to_gray, 15-bit fixed point)
        rgb = np.asarray(img.convert("RGB")).astype(np.uint32)
        gray = (9797 * rgb[..., 0] + 19234 * rgb[..., 1] + 3737 * rgb[..., 2]) >> 15
        arr = gray.astype(np.uint8)[..., None]
    elif channels == 1 or img.mode in ("L", "1"):
        arr = np.asarray(img.convert("L"))[..., None]
    elif img.mode == "LA":
        arr = np.asarray(img.convert("LA"))
    elif img.mode in ("RGBA", "RGBa") or (
        img.mode == "P" and "transparency" in img.info
    ):
        arr = np.asarray(img.convert("RGBA"))
    else:
        arr = np.asarray(img.convert("RGB"))
    arr = np.ascontiguousarray(arr)
    return arr.astype(np.uint16) * 257 if sixteen else arr


def _decoded_dtype(dtype: Any) -> str:
    name = _kind(dtype) if dtype is not None else "uint8"
    if name not in (
        "uint8",
        "uint16",
        "float32",
        "float64",
        "int32",
        "int64",
        "float16",
        "int8",
        "int16",
    ):
        raise TypeError(
            f"Value for attr 'dtype' of {name} is not in the list of allowed "
            "values: uint8, uint16, float"
        )
    return name


def decode_image(
    contents: Any,
    channels: Optional[int] = None,
    dtype: Any = "uint8",
    name: Optional[str] = None,
    expand_animations: bool = True,
) -> Union[np.ndarray, Tensor]:
    """Decodes a BMP, GIF, JPEG, PNG or WebP image (``tf.io.decode_image``).

    Mirrors TF's channel rules (``channels`` 0 keeps the file's; 1 converts color to
    gray with libpng's weights; 3 and 4 add or drop alpha) and errors; a GIF gives
    ``(frames, height, width, 3)`` with ``expand_animations`` (its first frame
    otherwise); ``dtype`` float32/float64/int32 converts as ``convert_image_dtype``
    (from uint8, or from uint16 for non-float dtypes other than uint8, as TF).

    Differs: `contents` is Python ``bytes`` (or a NumPy bytes scalar, or a uint8 array
    of the file's bytes): tapeflow has no string tensors. Pixels of the default
    ``uint8`` (or ``"uint16"``) dtype come back as a NumPy array, since tapeflow has no
    uint8 tensors; every ``tf.image`` function takes such arrays and keeps their range.
    Decoding uses Pillow (``pip install pillow``): JPEG pixels may differ from TF's
    libjpeg-turbo settings by a few units; 16-bit color PNGs keep only their high byte
    with ``dtype="uint16"``.

    Returns:
        A NumPy uint8/uint16 array, or a Tensor for float and wide int dtypes.
    """
    kind = _decoded_dtype(dtype)
    if kind in ("uint8", "uint16", "float32"):
        raw = _decode(
            contents,
            channels or 0,
            "decode_image",
            expand_animations,
            sixteen=kind == "uint16",
        )
        if kind == "float32":
            return _convert(convert_to_tensor(raw.astype(np.int32)), "uint8", "float32")
        return raw
    raw = _decode(
        contents, channels or 0, "decode_image", expand_animations, sixteen=True
    )
    return _convert(convert_to_tensor(raw.astype(np.int32)), "uint16", kind)


def decode_png(
    contents: Any, channels: int = 0, dtype: Any = "uint8", name: Optional[str] = None
) -> np.ndarray:
    """Decodes an image (``tf.io.decode_png``: TF 2.21 decodes any supported format
    here, GIFs to their first frame). ``dtype`` ``"uint8"`` or ``"uint16"``. See
    :func:`decode_image` for the bytes-in, NumPy-out difference from TF."""
    kind = _decoded_dtype(dtype)
    if kind not in ("uint8", "uint16"):
        raise TypeError(
            f"Value for attr 'dtype' of {kind} is not in the list of allowed "
            "values: uint8, uint16"
        )
    return _decode(contents, channels, "decode_png", sixteen=kind == "uint16")


def decode_jpeg(
    contents: Any,
    channels: int = 0,
    ratio: int = 1,
    fancy_upscaling: bool = True,
    try_recover_truncated: bool = False,
    acceptable_fraction: float = 1,
    dct_method: str = "",
    name: Optional[str] = None,
) -> np.ndarray:
    """Decodes an image (``tf.io.decode_jpeg``: TF 2.21 decodes any supported format
    here) to uint8 pixels; ``ratio`` 1, 2, 4 or 8 downscales JPEGs while decoding
    (libjpeg's DCT scaling, through Pillow's draft mode). The other libjpeg options are
    accepted and ignored. See :func:`decode_image` for the bytes-in, NumPy-out
    difference from TF."""
    if ratio not in (1, 2, 4, 8):
        raise errors.InvalidArgumentError(
            None, None, f"ratio must be 1, 2, 4, or 8, got {ratio} [Op:DecodeJpeg]"
        )
    return _decode(contents, channels, "decode_jpeg", ratio=int(ratio))


def _pixels(image: Any, op: str) -> np.ndarray:
    """An image to encode as a NumPy uint8/uint16 array: NumPy uint8/uint16 arrays as
    they are, integer tensors and arrays when their values fit in uint8 (tapeflow holds
    uint8 images as int32)."""
    op_name = {"encode_png": "EncodePng", "encode_jpeg": "EncodeJpeg"}[op]
    allowed = "uint8, uint16" if op == "encode_png" else "uint8"
    if isinstance(image, np.ndarray) and image.dtype in (np.uint8, np.uint16):
        arr = image
    else:
        t = convert_to_tensor(image)
        arr = t.numpy()
        if not t.dtype.is_integer:
            raise errors.InvalidArgumentError(
                None,
                None,
                f"Value for attr 'T' of {dtypes.c_name(t.dtype)} is not in "
                f"the list of allowed values: {allowed} [Op:{op_name}]",
            )
        if arr.size and (arr.min() < 0 or arr.max() > 255):
            raise errors.InvalidArgumentError(
                None,
                None,
                f"tf.image.{op}: an {t.dtype.name} image must hold uint8 values "
                f"(0 to 255) in tapeflow; got values in [{arr.min()}, {arr.max()}] "
                f"[Op:{op_name}]",
            )
        arr = arr.astype(np.uint8)
    if op == "encode_jpeg" and arr.dtype != np.uint8:
        raise errors.InvalidArgumentError(
            None,
            None,
            "Value for attr 'T' of uint16 is not in the list of allowed values: "
            f"uint8 [Op:{op_name}]",
        )
    return arr


def encode_png(
    image: Any, compression: int = -1, name: Optional[str] = None
) -> Union[bytes, np.ndarray]:
    """PNG-encodes ``(height, width, channels)`` pixels, channels 1 to 4
    (``tf.io.encode_png``); higher ranks encode each image of the batch dims.

    Differs: returns Python ``bytes`` (a NumPy object array of them for batches), as
    tapeflow has no string tensors; takes NumPy uint8/uint16 arrays, or integer tensors
    holding uint8 values; 16-bit images must be grayscale (Pillow's limit). The bytes
    come from Pillow's zlib settings, so they may differ from TF's while decoding to the
    same pixels.
    """
    arr = _pixels(image, "encode_png")
    if arr.ndim < 3:
        raise errors.InvalidArgumentError(
            None,
            None,
            f"images must be at least rank 3{_dims(arr.shape)} [Op:EncodePng]",
        )
    if arr.shape[-1] not in (1, 2, 3, 4):
        raise errors.InvalidArgumentError(
            None,
            None,
            f"image must have 1, 2, 3, or 4 channels, got {arr.shape[-1]} "
            "[Op:EncodePng]",
        )
    if not -1 <= compression <= 9:
        raise errors.InvalidArgumentError(
            None,
            None,
            f"compression should be in [-1,9], got {compression} [Op:EncodePng]",
        )
    Image = _pil("tf.image.encode_png")

    def one(img: np.ndarray) -> bytes:
        if img.dtype == np.uint16:
            if img.shape[-1] != 1:
                raise NotImplementedError(
                    "tf.image.encode_png: 16-bit images must be "
                    "grayscale in tapeflow (Pillow's limit)"
                )
            pil = Image.fromarray(np.ascontiguousarray(img[..., 0]).astype("<u2"))
        else:
            mode = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[img.shape[-1]]
            pil = Image.fromarray(
                np.ascontiguousarray(img if img.shape[-1] > 1 else img[..., 0]), mode
            )
        buf = io.BytesIO()
        pil.save(buf, "PNG", compress_level=6 if compression == -1 else compression)
        return buf.getvalue()

    if arr.ndim == 3:
        return one(arr)
    lead = arr.shape[:-3]
    out = np.empty(lead, dtype=object)
    for idx in np.ndindex(*lead):
        out[idx] = one(arr[idx])
    return out


def encode_jpeg(
    image: Any,
    format: str = "",
    quality: int = 95,
    progressive: bool = False,
    optimize_size: bool = False,
    chroma_downsampling: bool = True,
    density_unit: str = "in",
    x_density: int = 300,
    y_density: int = 300,
    xmp_metadata: str = "",
    name: Optional[str] = None,
) -> bytes:
    """JPEG-encodes ``(height, width, channels)`` uint8 pixels, channels 1 or 3
    (``tf.io.encode_jpeg``): ``quality``, ``progressive``, ``optimize_size``,
    ``chroma_downsampling`` (4:2:0, else 4:4:4), the density and ``format``
    (``"grayscale"``/``"rgb"``) as TF.

    Differs: returns Python ``bytes``; takes NumPy uint8 arrays or integer tensors
    holding uint8 values; encoded with Pillow's libjpeg, so the bytes (and decoded
    pixels, by a few units) may differ from TF's; ``xmp_metadata`` is not written.
    """
    arr = _pixels(image, "encode_jpeg")
    if arr.ndim != 3:
        raise errors.InvalidArgumentError(
            None, None, f"image must be 3-dimensional{_dims(arr.shape)} [Op:EncodeJpeg]"
        )
    want = {"": arr.shape[-1], "grayscale": 1, "rgb": 3}.get(format)
    if want is None:
        raise ValueError(f"format must be '', 'grayscale' or 'rgb', got {format!r}")
    if arr.shape[-1] != want or want not in (1, 3):
        raise errors.InvalidArgumentError(
            None,
            None,
            f"image must have 1 or 3 channels, got {_dims(arr.shape)} [Op:EncodeJpeg]",
        )
    Image = _pil("tf.image.encode_jpeg")
    pil = Image.fromarray(
        np.ascontiguousarray(arr[..., 0] if want == 1 else arr),
        "L" if want == 1 else "RGB",
    )
    buf = io.BytesIO()
    dpi = (x_density, y_density)
    if density_unit == "cm":
        dpi = (x_density * 2.54, y_density * 2.54)
    pil.save(
        buf,
        "JPEG",
        quality=int(quality),
        progressive=bool(progressive),
        optimize=bool(optimize_size),
        subsampling=2 if chroma_downsampling else 0,
        dpi=dpi,
    )
    return buf.getvalue()


def is_jpeg(contents: Any, name: Optional[str] = None) -> bool:
    """Whether the bytes start like a JPEG file (``tf.io.is_jpeg``; a Python bool)."""
    return _contents(contents, "decode_jpeg")[:3] == b"\xff\xd8\xff"


__all__ = [
    "ResizeMethod",
    "adjust_brightness",
    "adjust_contrast",
    "central_crop",
    "convert_image_dtype",
    "crop_to_bounding_box",
    "decode_image",
    "decode_jpeg",
    "decode_png",
    "encode_jpeg",
    "encode_png",
    "flip_left_right",
    "flip_up_down",
    "grayscale_to_rgb",
    "is_jpeg",
    "pad_to_bounding_box",
    "per_image_standardization",
    "random_brightness",
    "random_contrast",
    "random_crop",
    "random_flip_left_right",
    "random_flip_up_down",
    "resize",
    "resize_with_crop_or_pad",
    "resize_with_pad",
    "rgb_to_grayscale",
    "rot90",
    "transpose",
]
