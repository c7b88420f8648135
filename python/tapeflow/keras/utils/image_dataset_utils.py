"""``keras.utils.image_dataset_from_directory``, as Keras 3.15, and the text/audio
counterparts that tapeflow cannot offer yet.

Images are decoded and resized as Keras does it, with ``tf.image.decode_image`` (Pillow,
an optional dependency imported when first needed) and ``tf.image.resize``, so pixels
equal Keras's to float32 rounding for PNG, BMP and GIF files.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

import numpy as np

import tapeflow as tf
from tapeflow.keras.utils import dataset_utils
from tapeflow.keras.utils.argument_validation import (
    standardize_data_format as _data_format)

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5",
                   "gaussian", "mitchellcubic")


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
    * Resizing is tapeflow's ``tf.image.resize`` (bilinear, nearest, bicubic, area,
      lanczos3/5, gaussian, mitchellcubic, no antialiasing): values agree with
      TensorFlow's to about 1e-3 (float32 rounding).
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
    from tapeflow.keras.layers.preprocessing import _keras_resize  # (imports layers)

    with open(path, "rb") as f:
        img = tf.image.decode_image(f.read(), channels=channels, expand_animations=False)
    img = img.astype(np.float32)
    th, tw = image_size
    if crop_to_aspect_ratio:  # Keras's smart_resize on tensors: float32 box arithmetic
        out = _keras_resize(tf.constant(img[None]), (th, tw), interpolation,
                            crop_to_aspect_ratio=True)[0]
    elif pad_to_aspect_ratio:
        out = tf.image.resize_with_pad(img, th, tw, interpolation)
    else:
        out = tf.image.resize(img, (th, tw), interpolation)
    out = out.numpy()
    if data_format == "channels_first":
        out = np.ascontiguousarray(out.transpose(2, 0, 1))
    return out


# ---------------------------------------------------------------------------------
# Pillow, checked when the dataset is made (tf.image.decode_image uses it)
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

