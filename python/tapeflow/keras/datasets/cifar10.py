"""``keras.datasets.cifar10``: the CIFAR-10 small images."""

from __future__ import annotations

import os

import numpy as np

from tapeflow.keras.datasets import _files

_DIRNAME = "cifar-10-batches-py-target"
_INNER = "cifar-10-batches-py"
_ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
_FILE_HASH = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch",)


def _batches_folder() -> str:
    """The extracted ``{_INNER}`` folder, fetching the archive if needed."""
    return _files.cifar_folder(_DIRNAME, _INNER, _BATCHES, _ORIGIN, _FILE_HASH, "CIFAR-10")


def load_data() -> _files.Dataset:
    """Loads CIFAR-10 (``keras.datasets.cifar10.load_data``).

    Keras 3 keeps the downloaded archive as
    ``~/.keras/datasets/cifar-10-batches-py-target_archive`` and extracts it into
    ``~/.keras/datasets/cifar-10-batches-py-target/cifar-10-batches-py/``
    (``$KERAS_HOME/datasets/...`` when KERAS_HOME is set). tapeflow reads that folder
    when it holds the six batch pickles (``data_batch_1`` ... ``data_batch_5``,
    ``test_batch``), else Keras 2's ``~/.keras/datasets/cifar-10-batches-py/``, else
    the archive (extracting it, as Keras does on every call), else downloads the
    archive from Keras's URL (sha256-checked).

    The batches are read with a restricted unpickler (see ``_safe_pickle``). Keras
    requires exactly 10,000 images per training batch; tapeflow accepts any count.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``uint8`` images ``(50000, 32, 32, 3)``
        and ``(10000, 32, 32, 3)`` (channels last, the only layout tapeflow has), and
        ``uint8`` labels 0-9 of shape ``(50000, 1)`` and ``(10000, 1)``.

    Raises:
        DownloadError: Neither the extracted folder nor the archive is present, and the
            archive cannot be downloaded.
        ValueError: A malformed batch file (named); a pickle naming anything but numpy
            array reconstruction raises ``UnsafePickleError``, a ``ValueError``.
    """
    folder = _batches_folder()
    train = [_files.load_cifar_batch(os.path.join(folder, b)) for b in _BATCHES[:5]]
    x_train = np.concatenate([x for x, _ in train]).astype("uint8", copy=False)
    y_train = np.concatenate([np.asarray(y, dtype="uint8") for _, y in train])
    x_test, y_test = _files.load_cifar_batch(os.path.join(folder, _BATCHES[5]))

    y_train = np.reshape(y_train, (len(y_train), 1))
    y_test = np.reshape(y_test, (len(y_test), 1))
    x_train = x_train.transpose(0, 2, 3, 1)
    x_test = x_test.transpose(0, 2, 3, 1)
    return (x_train, y_train), (x_test.astype(x_train.dtype), y_test.astype(y_train.dtype))
