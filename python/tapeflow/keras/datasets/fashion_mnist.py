"""``keras.datasets.fashion_mnist``: Zalando's Fashion-MNIST."""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib
from typing import Tuple

import numpy as np

from tapeflow.keras.datasets import _files
from tapeflow.keras.utils import file_utils

_BASE = _files.ORIGIN_FOLDER
_CACHE_SUBDIR = os.path.join("datasets", "fashion-mnist")
_FILES = ("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
          "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz")
# IDX magic numbers: unsigned bytes, 1 or 3 dimensions.
_LABELS_MAGIC, _IMAGES_MAGIC = 0x00000801, 0x00000803
_MAX_ELEMENTS = 1 << 31


def _read_idx(path: str, magic: int, ndim: int) -> Tuple[np.ndarray, Tuple[int, ...]]:
    """Reads a gzip-compressed IDX file of unsigned bytes; checks header and size."""
    try:
        with gzip.open(path, "rb") as f:
            header = f.read(4 + 4 * ndim)
            if len(header) < 4 + 4 * ndim:
                raise ValueError(f"{path} is truncated: no complete IDX header.")
            found, *dims = struct.unpack(f">{1 + ndim}I", header)
            if found != magic:
                raise ValueError(f"{path} is not an IDX file of {ndim}-D unsigned bytes "
                                 f"(magic number {found:#010x}, expected {magic:#010x}).")
            count = math.prod(dims)
            if count > _MAX_ELEMENTS:
                raise ValueError(f"{path}: implausible IDX dimensions {tuple(dims)}.")
            body = f.read(count)
            if len(body) != count:
                raise ValueError(f"{path} is truncated: the header says {tuple(dims)} "
                                 f"({count} bytes) but the file holds {len(body)}.")
            if f.read(1):
                raise ValueError(f"{path} has data after the {count} bytes its header "
                                 f"({tuple(dims)}) announces.")
    except (OSError, EOFError, zlib.error) as e:
        raise ValueError(f"{path} is not a readable gzip file (truncated or "
                         f"corrupted?): {e}") from e
    return np.frombuffer(bytearray(body), dtype=np.uint8), tuple(dims)


def load_data() -> _files.Dataset:
    """Loads Fashion-MNIST (``keras.datasets.fashion_mnist.load_data``).

    Reads the four gzip-compressed IDX files Keras keeps in
    ``~/.keras/datasets/fashion-mnist/`` (or ``$KERAS_HOME/datasets/fashion-mnist/``):
    ``train-labels-idx1-ubyte.gz``, ``train-images-idx3-ubyte.gz``,
    ``t10k-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz``, downloading missing
    ones from Keras's URL when a network is available (Keras gives no hash for them).

    Keras skips the IDX headers and reshapes the bytes; tapeflow reads the same bytes but
    checks the headers (magic number, 28x28 images, as many images as labels, no
    missing or extra bytes) and raises ``ValueError`` naming the file otherwise. Keras's
    arrays are read-only views of the file's bytes; tapeflow's are writable.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``uint8`` images ``(60000, 28, 28)`` and
        ``(10000, 28, 28)``, ``uint8`` labels 0-9 of shape ``(60000,)`` and ``(10000,)``.

    Raises:
        DownloadError: A file is missing and cannot be downloaded.
        ValueError: A malformed file (named).
    """
    folder = os.path.join(os.path.dirname(file_utils.cache_datadirs()[0]), _CACHE_SUBDIR)
    hint = (f"Fashion-MNIST needs all four files in {folder}: "
            + ", ".join(f"{name} (from {_BASE + name})" for name in _FILES) + ".")
    paths = [_files.fetch(name, _BASE + name, None, cache_subdir=_CACHE_SUBDIR, hint=hint)
             for name in _FILES]
    out = []
    for labels_path, images_path in ((paths[0], paths[1]), (paths[2], paths[3])):
        y, _ = _read_idx(labels_path, _LABELS_MAGIC, 1)
        x, dims = _read_idx(images_path, _IMAGES_MAGIC, 3)
        if dims[1:] != (28, 28) or dims[0] != len(y):
            raise ValueError(f"{images_path} holds images of shape {dims}, expected "
                             f"({len(y)}, 28, 28) to match {labels_path}.")
        out.append((x.reshape(len(y), 28, 28), y))
    return out[0], out[1]
