"""``keras.datasets.boston_housing``: the Boston Housing price regression data."""

from __future__ import annotations

from tapeflow.keras.datasets import _files
from tapeflow.keras.datasets._safe_pickle import load_npz

_ORIGIN = _files.ORIGIN_FOLDER + "boston_housing.npz"
_FILE_HASH = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(path: str = "boston_housing.npz", test_split: float = 0.2,
              seed: int = 113) -> _files.Dataset:
    """Loads Boston Housing (``keras.datasets.boston_housing.load_data``).

    Keras's own warning applies: the data has an ethical problem (its "B" feature);
    prefer ``california_housing`` unless illustrating that.

    Reads Keras's ``boston_housing.npz`` (arrays ``x`` and ``y``), shuffles the rows
    with ``np.random.RandomState(seed)`` and keeps the first
    ``int(n * (1 - test_split))`` for training, exactly as Keras.

    Args:
        path: File name in the cache (``~/.keras/datasets`` or ``$KERAS_HOME/datasets``).
        test_split: Fraction of the rows for the test set, in ``[0, 1)``.
        seed: Seed of the shuffle.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``x`` of shape ``(n, 13)``, ``y`` of
        shape ``(n,)`` (house prices in k$), with the file's dtypes.

    Raises:
        ValueError: ``test_split`` outside ``[0, 1)``; a malformed file (named).
        DownloadError: The file is missing and cannot be downloaded.
    """
    _files.check_test_split(test_split)
    fpath = _files.fetch(path, _ORIGIN, _FILE_HASH)
    f = load_npz(fpath, keys=("x", "y"))
    _files.check_xy(f["x"], f["y"], fpath, x_ndim=2)
    return _files.split_regression(f["x"], f["y"], test_split, seed)
