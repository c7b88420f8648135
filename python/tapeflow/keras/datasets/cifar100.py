"""``keras.datasets.cifar100``: the CIFAR-100 small images."""

from __future__ import annotations

import os

import numpy as np

from tapeflow.keras.datasets import _files

_DIRNAME = "cifar-100-python-target"
_INNER = "cifar-100-python"
_ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
_FILE_HASH = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"
_BATCHES = ("train", "test")


def _batches_folder() -> str:
    """The extracted ``{_INNER}`` folder, fetching the archive if needed."""
    return _files.cifar_folder(_DIRNAME, _INNER, _BATCHES, _ORIGIN, _FILE_HASH, "CIFAR-100")


def load_data(label_mode: str = "fine") -> _files.Dataset:
    """Loads CIFAR-100 (``keras.datasets.cifar100.load_data``).

    Files are found as for :func:`tapeflow.keras.datasets.cifar10.load_data`: the
    folder ``cifar-100-python-target/cifar-100-python/`` (Keras 3) or
    ``cifar-100-python/`` (Keras 2) in the datasets cache holding the pickles ``train``
    and ``test``, else the archive ``cifar-100-python-target_archive``, else a download
    from Keras's URL. The pickles are read with a restricted unpickler.

    Args:
        label_mode: ``"fine"`` (100 classes) or ``"coarse"`` (20 superclasses).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``uint8`` images ``(50000, 32, 32, 3)``
        and ``(10000, 32, 32, 3)`` (channels last) and labels of shape ``(50000, 1)`` and
        ``(10000, 1)``. As in Keras the labels are ``int64`` here (CIFAR-10's are
        ``uint8``).

    Raises:
        ValueError: An unknown ``label_mode``, or a malformed batch file (named).
        DownloadError: The data is not cached and cannot be downloaded.
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError('`label_mode` must be one of `"fine"`, `"coarse"`. '
                         f"Received: label_mode={label_mode}.")
    folder = _batches_folder()
    key, classes = f"{label_mode}_labels", (100 if label_mode == "fine" else 20)
    x_train, y_train = _files.load_cifar_batch(os.path.join(folder, "train"), key, classes)
    x_test, y_test = _files.load_cifar_batch(os.path.join(folder, "test"), key, classes)

    y_train = np.reshape(y_train, (len(y_train), 1))
    y_test = np.reshape(y_test, (len(y_test), 1))
    return ((x_train.transpose(0, 2, 3, 1), y_train),
            (x_test.transpose(0, 2, 3, 1), y_test))
