"""``keras.datasets.mnist``: the MNIST handwritten digits."""

from __future__ import annotations

from tapeflow.keras.datasets import _files
from tapeflow.keras.datasets._safe_pickle import load_npz

_ORIGIN = _files.ORIGIN_FOLDER + "mnist.npz"
_FILE_HASH = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def load_data(path: str = "mnist.npz") -> _files.Dataset:
    """Loads MNIST (``keras.datasets.mnist.load_data``).

    Reads Keras's ``mnist.npz`` (arrays ``x_train``, ``y_train``, ``x_test``,
    ``y_test``) from the Keras cache, downloading it from Keras's URL when it is missing
    and a network is available (sha256-checked, as Keras).

    Args:
        path: File name in the cache (``~/.keras/datasets`` or ``$KERAS_HOME/datasets``).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``uint8`` images ``(60000, 28, 28)``
        and ``(10000, 28, 28)``, ``uint8`` labels ``(60000,)`` and ``(10000,)``, exactly
        as in the file.

    Raises:
        DownloadError: The file is missing and cannot be downloaded.
        ValueError: The file is not a valid MNIST ``.npz`` (Keras would return whatever
            arrays it holds; tapeflow checks their dtype and layout).
    """
    fpath = _files.fetch(path, _ORIGIN, _FILE_HASH)
    f = load_npz(fpath, keys=("x_train", "y_train", "x_test", "y_test"))
    x_train, y_train, x_test, y_test = f["x_train"], f["y_train"], f["x_test"], f["y_test"]
    _files.check_xy(x_train, y_train, f"{fpath} (training arrays)", x_ndim=3, dtype="uint8")
    _files.check_xy(x_test, y_test, f"{fpath} (test arrays)", x_ndim=3, dtype="uint8")
    return (x_train, y_train), (x_test, y_test)
