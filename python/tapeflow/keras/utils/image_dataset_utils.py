"""``keras.utils.image_dataset_from_directory``, as Keras 3.15, and the text/audio
counterparts that tapeflow cannot offer yet.

Images are decoded with Pillow (an optional dependency, imported when first needed)
following ``tf.image.decode_image``'s channel rules, and resized with NumPy ports of
TensorFlow's resize kernels (``tf.image.resize`` with ``antialias=False``, as Keras
calls it), so pixels equal Keras's to float32 rounding for PNG, BMP and GIF files.
"""

from __future__ import annotations

import functools
import io
from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

import numpy as np

import tapeflow as tf
from tapeflow.framework import errors
from tapeflow.keras.utils import dataset_utils

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5",
                   "gaussian", "mitchellcubic")
_f32 = np.float32


def image_dataset_from_directory(
        directory: str,
        labels: Union[str, Sequence[int], None] = "inferred",
        label_mode: Optional[str] = "int",
        class_names: Optional[Sequence[str]] = None,
        color_mode: str = "rgb",
        batch_size: Optional[int] = 32,
        image_size: Union[int, Tuple[int, int]] = (256, 256),
        shuffle: bool = True,
        seed: Optional[int] = None,
        validation_split: Optional[float] = None,
        subset: Optional[str] = None,
        interpolation: str = "bilinear",
        follow_links: bool = False,
        crop_to_aspect_ratio: bool = False,
        pad_to_aspect_ratio: bool = False,
        data_format: Optional[str] = None,
        format: str = "tf",
        verbose: bool = True) -> Union[tf.data.Dataset, List[tf.data.Dataset]]:
    """A dataset of images (and labels) from a directory tree
    (``keras.utils.image_dataset_from_directory``).

    Mirrors Keras 3.15 (``format="tf"``):

    * Files: ``.bmp .gif .jpeg .jpg .png`` (any case), listed as Keras's
      ``index_directory`` does: with ``labels="inferred"`` one class per visible
      subdirectory (sorted names, or ``class_names``' order), files found by a sorted
      ``os.walk`` of each; otherwise the whole tree, with ``labels`` given per file in
      that order (or None). Prints "Found N files belonging to K classes." (or "Found N
      files.") and, with ``validation_split``, "Using M files for training." /
      "Using M files for validation.".
    * Order: with ``shuffle`` the file list is permuted by
      ``np.random.RandomState(seed)`` as Keras does (``seed`` default:
      ``np.random.randint(1e6)``), so ``file_paths`` and the training/validation
      split equal Keras's for a given seed; the training dataset then passes a shuffle
      buffer of ``8 * batch_size`` seeded with ``seed``.
    * Elements: ``(images, labels)`` batches, or images alone when ``labels`` or
      ``label_mode`` is None; images float32 ``(batch, height, width, channels)``
      (``channels_first``: channels before height); labels int32 ``(batch,)`` for
      ``"int"`` (given labels keep tapeflow's dtype for them), float32 one-hot
      ``(batch, num_classes)`` for ``"categorical"``, float32 ``(batch, 1)`` for
      ``"binary"``. ``batch_size=None`` gives single images.
    * The returned dataset has ``class_names`` and ``file_paths`` attributes;
      ``subset="both"`` returns the list ``[train_dataset, validation_dataset]``.
    * Keras's argument errors, with its messages and at the same moment.

    Where tapeflow differs:

    * The shuffle buffer uses tapeflow's random generator, not TensorFlow's: a shuffled
      training dataset holds the same (image, label) pairs as Keras's, in another order.
      Unshuffled datasets (and the validation dataset of ``subset="both"``) equal
      Keras's batch for batch.
    * Decoding uses Pillow (``pip install pillow``). PNG, BMP and GIF pixels equal
      TensorFlow's (including libpng's grayscale weights for ``color_mode="grayscale"``
      on color PNGs); JPEG pixels may differ by a few units (libjpeg's DCT settings),
      16-bit PNGs keep their high byte, and a palette PNG without transparency read
      as ``"rgba"`` gets an opaque alpha channel.
    * Resizing reimplements TensorFlow's kernels (bilinear, nearest, bicubic, area,
      lanczos3/5, gaussian, mitchellcubic, no antialiasing) in NumPy: values agree
      with TensorFlow to about 1e-3 (float32 rounding).
    * ``interpolation="nearest"`` yields float32 images (Keras yields uint8, which
      tapeflow lacks), with the same integer values.
    * Decoding errors that TensorFlow raises while iterating (an unsupported channel
      count for the format, e.g. ``"grayscale"`` for GIF or BMP files, or an image too
      small for ``pad_to_aspect_ratio``) are raised while iterating too, as
      ``tf.errors.InvalidArgumentError`` with TensorFlow's message.
    * ``format="grain"`` is not available (NotImplementedError).

    Args:
        directory: The root directory of the images.
        labels: ``"inferred"``, a list/tuple of integer labels (one per file, in the
            sorted walk order), or None.
        label_mode: ``"int"``, ``"categorical"``, ``"binary"`` or None.
        class_names: With inferred labels, the class folders to use, in label order.
        color_mode: ``"grayscale"``, ``"rgb"`` or ``"rgba"`` (1, 3 or 4 channels).
        batch_size: Images per batch, or None for single images.
        image_size: ``(height, width)`` (or an int for both) of the output images.
        shuffle: Whether to shuffle the files.
        seed: Seed for the shuffles and the validation split.
        validation_split: Fraction of the files held out for validation.
        subset: ``"training"``, ``"validation"`` or ``"both"`` (with
            ``validation_split``).
        interpolation: The resize kernel (see above).
        follow_links: Whether to enter symlinked subdirectories.
        crop_to_aspect_ratio: Crop the largest centered window of the target aspect
            ratio before resizing (Keras's ``smart_resize``).
        pad_to_aspect_ratio: Resize within the target keeping the aspect ratio and
            zero-pad the rest (``tf.image.resize_with_pad``).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        format: ``"tf"``.
        verbose: Whether to print the counts of files and classes.

    Returns:
        A tapeflow ``tf.data.Dataset``, or ``[train, validation]`` for ``subset="both"``.
    """
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)):
            raise ValueError(
                "`labels` argument should be a list/tuple of integer labels, of the same "
                "size as the number of image files in the target directory. If you wish "
                "to infer the labels from the subdirectory names in the target "
                'directory, pass `labels="inferred"`. If you wish to get a dataset that '
                "only contains images (no labels), pass `labels=None`. Received: "
                f"labels={labels}")
        if class_names:
            raise ValueError('You can only pass `class_names` if `labels="inferred"`. '
                             f"Received: labels={labels}, and class_names={class_names}")
    if label_mode not in {"int", "categorical", "binary", None}:
        raise ValueError('`label_mode` argument must be one of "int", "categorical", '
                         f'"binary", or None. Received: label_mode={label_mode}')
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    channels = {"rgb": 3, "rgba": 4, "grayscale": 1}.get(color_mode)
    if channels is None:
        raise ValueError('`color_mode` must be one of {"rgb", "rgba", "grayscale"}. '
                         f"Received: color_mode={color_mode}")
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    elif not isinstance(image_size, (list, tuple)) or len(image_size) != 2:
        raise ValueError("Invalid `image_size` value. Expected a tuple of 2 integers. "
                         f"Received: image_size={image_size}")
    interpolation = interpolation.lower()
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(f"Argument `interpolation` should be one of {_INTERPOLATIONS}. "
                         f"Received: interpolation={interpolation}")
    dataset_utils.check_format(format)
    dataset_utils.check_validation_split_arg(validation_split, subset, shuffle, seed)
    _pil()  # fail early, with a clear message, when Pillow is missing

    if seed is None:
        seed = np.random.randint(1e6)
    paths, labels, class_names = dataset_utils.index_directory(
        directory, labels, formats=ALLOWLIST_FORMATS, class_names=class_names,
        shuffle=shuffle, seed=seed, follow_links=follow_links, verbose=verbose)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError('When passing `label_mode="binary"`, there must be exactly 2 '
                         f"class_names. Received: class_names={class_names}")
    data_format = _data_format(data_format)
    buffer = batch_size * 8 if batch_size is not None else 1024
    loader = functools.partial(
        _load_image, image_size=tuple(int(s) for s in image_size), channels=channels,
        interpolation=interpolation, data_format=data_format,
        crop_to_aspect_ratio=crop_to_aspect_ratio, pad_to_aspect_ratio=pad_to_aspect_ratio)
    num_classes = len(class_names) if class_names else 0

    def finish(ds: tf.data.Dataset, ds_paths: List[str]) -> tf.data.Dataset:
        if batch_size is not None:
            ds = ds.batch(batch_size)
        ds = ds.prefetch(tf.data.AUTOTUNE)
        ds.class_names = class_names
        ds.file_paths = ds_paths
        return ds

    if subset == "both":
        train_paths, train_labels = dataset_utils.get_training_or_validation_split(
            paths, labels, validation_split, "training")
        val_paths, val_labels = dataset_utils.get_training_or_validation_split(
            paths, labels, validation_split, "validation")
        if not train_paths:
            raise ValueError(f"No training images found in directory {directory}. "
                             f"Allowed formats: {ALLOWLIST_FORMATS}")
        if not val_paths:
            raise ValueError(f"No validation images found in directory {directory}. "
                             f"Allowed formats: {ALLOWLIST_FORMATS}")
        train = _paths_and_labels_to_dataset(
            train_paths, train_labels, label_mode, num_classes, loader, image_size,
            channels, data_format, crop_to_aspect_ratio, pad_to_aspect_ratio,
            shuffle, buffer, seed)
        val = _paths_and_labels_to_dataset(
            val_paths, val_labels, label_mode, num_classes, loader, image_size, channels,
            data_format, crop_to_aspect_ratio, pad_to_aspect_ratio, False, None, None)
        return [finish(train, train_paths), finish(val, val_paths)]

    paths, labels = dataset_utils.get_training_or_validation_split(
        paths, labels, validation_split, subset)
    if not paths:
        raise ValueError(f"No images found in directory {directory}. "
                         f"Allowed formats: {ALLOWLIST_FORMATS}")
    ds = _paths_and_labels_to_dataset(
        paths, labels, label_mode, num_classes, loader, image_size, channels, data_format,
        crop_to_aspect_ratio, pad_to_aspect_ratio, shuffle, buffer, seed)
    return finish(ds, paths)


def text_dataset_from_directory(
        directory: str, labels: Any = "inferred", label_mode: Optional[str] = "int",
        class_names: Optional[Sequence[str]] = None, batch_size: Optional[int] = 32,
        max_length: Optional[int] = None, shuffle: bool = True, seed: Optional[int] = None,
        validation_split: Optional[float] = None, subset: Optional[str] = None,
        follow_links: bool = False, format: str = "tf", verbose: bool = True) -> Any:
    """``keras.utils.text_dataset_from_directory`` (Keras 3.15's signature): not
    available in tapeflow.

    Raises:
        NotImplementedError: always: its elements are ``tf.string`` tensors, and
            tapeflow has no string dtype yet.
    """
    raise NotImplementedError(
        "keras.utils.text_dataset_from_directory is not available in tapeflow: it yields "
        "tf.string tensors and tapeflow has no string dtype yet. Read the files in "
        "Python and tokenize them into integer arrays (for instance with "
        "keras.utils.pad_sequences and Dataset.from_tensor_slices).")


def audio_dataset_from_directory(
        directory: str, labels: Any = "inferred", label_mode: Optional[str] = "int",
        class_names: Optional[Sequence[str]] = None, batch_size: Optional[int] = 32,
        sampling_rate: Optional[int] = None, output_sequence_length: Optional[int] = None,
        ragged: bool = False, shuffle: bool = True, seed: Optional[int] = None,
        validation_split: Optional[float] = None, subset: Optional[str] = None,
        follow_links: bool = False, verbose: bool = True) -> Any:
    """``keras.utils.audio_dataset_from_directory`` (Keras 3.15's signature): not
    available in tapeflow.

    Raises:
        NotImplementedError: always: tapeflow has no audio decoding (``tf.audio``).
    """
    raise NotImplementedError(
        "keras.utils.audio_dataset_from_directory is not available in tapeflow: it has "
        "no audio decoding (tf.audio.decode_wav). Decode the files in Python (e.g. with "
        "the standard `wave` module) and build the dataset with "
        "Dataset.from_tensor_slices.")


# ---------------------------------------------------------------------------------
# Dataset assembly
# ---------------------------------------------------------------------------------
def _data_format(data_format: Optional[str]) -> str:
    """Keras's ``standardize_data_format`` (tapeflow's image data format is always
    ``channels_last``)."""
    if data_format is None:
        return "channels_last"
    data_format = str(data_format).lower()
    if data_format not in {"channels_first", "channels_last"}:
        raise ValueError("The `data_format` argument must be one of "
                         "{'channels_first', 'channels_last'}. "
                         f"Received: data_format={data_format}")
    return data_format


def _paths_and_labels_to_dataset(paths: List[str], labels: Any, label_mode: Optional[str],
                                 num_classes: int, loader: Callable[[str], np.ndarray],
                                 image_size: Sequence[int], channels: int, data_format: str,
                                 crop_to_aspect_ratio: bool, pad_to_aspect_ratio: bool,
                                 shuffle: bool, buffer: Optional[int], seed: Optional[int]
                                 ) -> tf.data.Dataset:
    """Keras's pipeline: (file, label) pairs, shuffled, then images loaded in parallel.
    File indices stand in for the path strings that tapeflow cannot hold."""
    if pad_to_aspect_ratio and crop_to_aspect_ratio:
        raise ValueError("Only one of `pad_to_aspect_ratio`, `crop_to_aspect_ratio` can be "
                         "set to `True`.")
    h, w = int(image_size[0]), int(image_size[1])
    shape = (h, w, channels) if data_format == "channels_last" else (channels, h, w)
    image_spec = tf.TensorSpec(shape, tf.float32)
    index = np.arange(len(paths), dtype=np.int64)
    if label_mode:
        values = dataset_utils.labels_to_array(labels, label_mode, num_classes)
        ds = tf.data.Dataset.from_tensor_slices((index, values))
        spec: Any = (image_spec, tf.TensorSpec(values.shape[1:], tf.as_dtype(values.dtype)))

        def load(i: np.ndarray, label: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
            return loader(paths[int(i)]), label
    else:
        ds = tf.data.Dataset.from_tensor_slices(index)
        spec = image_spec

        def load(i: np.ndarray) -> Tuple[np.ndarray]:  # type: ignore[misc]
            return (loader(paths[int(i)]),)
    if shuffle:
        ds = ds.shuffle(buffer_size=buffer or 1024, seed=seed)
    return dataset_utils.PyFunctionMapDataset(
        ds, load, spec, num_parallel_calls=dataset_utils.default_parallelism())


def _load_image(path: str, image_size: Tuple[int, int], channels: int, interpolation: str,
                data_format: str, crop_to_aspect_ratio: bool, pad_to_aspect_ratio: bool
                ) -> np.ndarray:
    """One image as Keras's ``_load_image_tf`` makes it: decoded, cropped or padded to
    the aspect ratio if asked, resized, float32."""
    img = decode_image(path, channels)
    th, tw = image_size
    if crop_to_aspect_ratio:
        img = _center_crop(img, th, tw)
        out = resize(img, (th, tw), interpolation)
    elif pad_to_aspect_ratio:
        out = resize_with_pad(img, th, tw, interpolation)
    else:
        out = resize(img, (th, tw), interpolation)
    if data_format == "channels_first":
        out = np.ascontiguousarray(out.transpose(2, 0, 1))
    return out


# ---------------------------------------------------------------------------------
# Decoding (tf.image.decode_image's channel rules, with Pillow)
# ---------------------------------------------------------------------------------
def _pil() -> Any:
    """Pillow's ``Image`` module, imported on first use."""
    try:
        from PIL import Image
    except ImportError as e:
        raise ImportError(
            "keras.utils.image_dataset_from_directory needs the Pillow package to decode "
            "images in tapeflow. Install it with `pip install pillow`.") from e
    return Image


def _decode_error(message: str) -> errors.InvalidArgumentError:
    return errors.InvalidArgumentError(None, None, f"{message} [Op:DecodeImage]")


def decode_image(path: str, channels: int) -> np.ndarray:
    """The uint8 ``(height, width, channels)`` pixels of an image file, as
    ``tf.image.decode_image(contents, channels=channels, expand_animations=False)``
    gives them (first frame of a GIF; TF's errors for channel counts a format does not
    support)."""
    Image = _pil()
    with open(path, "rb") as f:
        contents = f.read()
    try:
        img = Image.open(io.BytesIO(contents))
    except Exception:  # noqa: BLE001 - Pillow's UnidentifiedImageError and kin
        raise _decode_error("Unknown image file format. One of JPEG, JPEG XL, PNG, GIF, "
                            "BMP, WebP required.") from None
    kind = img.format
    if kind == "JPEG":
        if channels == 4:
            raise _decode_error("JPEG does not support 4 channels")
        if channels == 1 and img.mode != "L":
            img.draft("L", img.size)  # libjpeg's own grayscale output, as TF asks for
    elif kind == "GIF":
        if channels != 3:
            raise _decode_error(f"channels must be 0 or 3 for GIF, got {channels}")
        img.seek(0)
    elif kind == "BMP":
        if channels == 1:
            raise _decode_error(f"`channels` must be 0, 3 or 4 for BMP, but got {channels}")
    elif kind not in ("PNG", "WEBP"):
        raise _decode_error("Unknown image file format. One of JPEG, JPEG XL, PNG, GIF, "
                            "BMP, WebP required.")
    try:
        img.load()
    except Exception as e:  # noqa: BLE001 - a truncated or corrupt file
        raise _decode_error(f"Invalid {kind} data or size: {e}") from None

    if img.mode in ("I;16", "I;16B", "I;16L", "I"):  # 16-bit gray: libpng strips to 8
        high = (np.asarray(img).astype(np.uint32) >> 8).astype(np.uint8)
        img = Image.fromarray(high, "L")
    if channels == 3:
        arr = np.asarray(img.convert("RGB"))
    elif channels == 4:
        arr = np.asarray(img.convert("RGBA"))
    elif img.mode in ("L", "LA", "1"):
        arr = np.asarray(img.convert("L"))[..., None]
    else:  # color to gray with libpng's weights (png_set_rgb_to_gray, 15-bit fixed point)
        rgb = np.asarray(img.convert("RGB")).astype(np.uint32)
        gray = (9797 * rgb[..., 0] + 19234 * rgb[..., 1] + 3737 * rgb[..., 2]) >> 15
        arr = gray.astype(np.uint8)[..., None]
    return arr


# ---------------------------------------------------------------------------------
# Resizing: TensorFlow's kernels (tf.image.resize, antialias=False) in NumPy
# ---------------------------------------------------------------------------------
def _keys_cubic_table() -> Tuple[np.ndarray, np.ndarray]:
    """TF's tabulated Keys cubic weights (a = -0.5) at 1/1024 steps: for a fractional
    offset t, the inner taps' weight and the outer taps' weight."""
    a = -0.5
    t = np.arange(1025, dtype=np.float64) / 1024.0
    inner = ((a + 2) * t - (a + 3)) * t * t + 1
    u = t + 1
    outer = ((a * u - 5 * a) * u + 8 * a) * u - 4 * a
    return inner.astype(_f32), outer.astype(_f32)


def _lanczos(radius: float) -> Callable[[np.ndarray], np.ndarray]:
    def kernel(x: np.ndarray) -> np.ndarray:
        x = np.abs(x)
        safe = np.where(x == 0, 1.0, x)
        value = radius * np.sin(np.pi * safe) * np.sin(np.pi * safe / radius) / (
            np.pi * np.pi * safe * safe)
        return np.where(x == 0, 1.0, np.where(x > radius, 0.0, value))
    return kernel


def _gaussian(x: np.ndarray) -> np.ndarray:
    sigma = 1.5 / 3.0
    return np.where(np.abs(x) >= 1.5, 0.0, np.exp(-x * x / (2 * sigma * sigma)))


def _mitchell(x: np.ndarray) -> np.ndarray:
    x = np.abs(x)
    near = (7.0 / 6.0 * x - 2.0) * x * x + 8.0 / 9.0
    far = ((-7.0 / 18.0 * x + 2.0) * x - 10.0 / 3.0) * x + 16.0 / 9.0
    return np.where(x >= 2, 0.0, np.where(x >= 1, far, near))


_SCALE_AND_TRANSLATE = {"lanczos3": (_lanczos(3.0), 3.0), "lanczos5": (_lanczos(5.0), 5.0),
                        "gaussian": (_gaussian, 1.5), "mitchellcubic": (_mitchell, 2.0)}


@functools.lru_cache(maxsize=256)
def _weights(method: str, in_size: int, out_size: int) -> np.ndarray:
    """The ``(out_size, in_size)`` float32 matrix that resamples one axis as TF does."""
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
        taps = np.stack([outer[step], inner[step], inner[1024 - step],
                         outer[1024 - step]], 1)
        cols = base[:, None] + np.arange(-1, 3)[None, :]
        taps = np.where((cols >= 0) & (cols < in_size), taps, _f32(0))
        total = taps.sum(axis=1, dtype=_f32)
        ok = np.abs(total) >= _f32(1000) * np.finfo(_f32).tiny
        scale_back = (_f32(1) / np.where(ok, total, 1))[:, None]
        taps = np.where(ok[:, None], taps * scale_back, taps)
        np.add.at(w, (np.repeat(rows, 4), np.clip(cols, 0, in_size - 1).ravel()),
                  taps.ravel().astype(np.float64))
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
    else:  # ScaleAndTranslate (lanczos3/5, gaussian, mitchellcubic), kernel not widened
        kernel, radius = _SCALE_AND_TRANSLATE[method]
        inv_scale = _f32(1) / (_f32(out_size) / _f32(in_size))
        for r in range(out_size):
            center = (_f32(r) + _f32(0.5)) * inv_scale
            first = int(np.ceil(center - _f32(radius) - _f32(0.5)))
            last = int(np.floor(center + _f32(radius) - _f32(0.5)))
            first = min(max(first, 0), in_size - 1)
            last = min(max(last, 0), in_size - 1) + 1
            src = np.arange(first, last)
            taps = kernel((src.astype(_f32) + _f32(0.5) - center).astype(np.float64))
            taps = taps.astype(_f32)
            total = taps.sum(dtype=_f32)
            if abs(total) >= 1000 * np.finfo(_f32).tiny:
                taps = taps * (_f32(1) / total)
            w[r, first:last] = taps
    return w.astype(_f32)


@functools.lru_cache(maxsize=256)
def _taps(method: str, in_size: int, out_size: int) -> Tuple[np.ndarray, np.ndarray]:
    """``_weights`` as, for each output position, the source indices and weights of its
    (contiguous) non-zero span: ``(index, weight)``, both ``(out_size, taps)``."""
    w = _weights(method, in_size, out_size)
    nonzero = w != 0
    first = np.where(nonzero.any(axis=1), nonzero.argmax(axis=1), 0)
    last = in_size - 1 - nonzero[:, ::-1].argmax(axis=1)
    taps = int(max(1, (last - first).max() + 1))
    index = first[:, None] + np.arange(taps)[None, :]
    weight = np.take_along_axis(w, np.minimum(index, in_size - 1), axis=1)
    weight = np.where(index < in_size, weight, _f32(0))
    return np.minimum(index, in_size - 1), weight.astype(_f32)


def resize(image: np.ndarray, size: Tuple[int, int], interpolation: str) -> np.ndarray:
    """``tf.image.resize(image, size, method=interpolation)`` of a ``(h, w, c)`` image,
    as float32 (each axis resampled in turn, a few weighted taps per output pixel)."""
    h, w = image.shape[:2]
    th, tw = int(size[0]), int(size[1])
    if th <= 0 or tw <= 0:
        raise errors.InvalidArgumentError(None, None, "output dimensions must be positive")
    img = np.asarray(image, dtype=_f32)
    index, weight = _taps(interpolation, h, th)
    rows = img[index[:, 0]] * weight[:, 0].reshape(th, 1, 1)
    for j in range(1, index.shape[1]):
        rows += img[index[:, j]] * weight[:, j].reshape(th, 1, 1)
    index, weight = _taps(interpolation, w, tw)
    out = rows[:, index[:, 0]] * weight[:, 0].reshape(1, tw, 1)
    for j in range(1, index.shape[1]):
        out += rows[:, index[:, j]] * weight[:, j].reshape(1, tw, 1)
    return out


def resize_with_pad(image: np.ndarray, target_height: int, target_width: int,
                    interpolation: str) -> np.ndarray:
    """``tf.image.resize_with_pad``: resized to fit keeping the aspect ratio (float32
    arithmetic as TF), then zero-padded, centered."""
    h, w = image.shape[:2]
    fh, fw = _f32(h), _f32(w)
    ratio = max(fw / _f32(target_width), fh / _f32(target_height))
    new_h_f, new_w_f = fh / ratio, fw / ratio
    new_h, new_w = int(np.floor(new_h_f)), int(np.floor(new_w_f))
    top = max(0, int(np.floor((_f32(target_height) - new_h_f) / _f32(2))))
    left = max(0, int(np.floor((_f32(target_width) - new_w_f) / _f32(2))))
    resized = resize(image, (new_h, new_w), interpolation)
    out = np.zeros((target_height, target_width, image.shape[2]), _f32)
    out[top:top + new_h, left:left + new_w] = resized
    return out


def _center_crop(image: np.ndarray, target_height: int, target_width: int) -> np.ndarray:
    """Keras's ``smart_resize`` crop: the largest centered window with the target's
    aspect ratio (float32 arithmetic, as its TensorFlow path)."""
    h, w = image.shape[:2]
    crop_h = int(_f32(w * target_height) / _f32(target_width))
    crop_h = max(min(h, crop_h), 1)
    crop_w = int(_f32(h * target_width) / _f32(target_height))
    crop_w = max(min(w, crop_w), 1)
    top = int(_f32(h - crop_h) / _f32(2))
    left = int(_f32(w - crop_w) / _f32(2))
    return image[top:top + crop_h, left:left + crop_w]
