"""``keras.datasets.california_housing``: the California Housing regression data."""

from __future__ import annotations

from tapeflow.keras.datasets import _files
from tapeflow.keras.datasets._safe_pickle import load_npz

_ORIGIN = _files.ORIGIN_FOLDER + "california_housing.npz"
_FILE_HASH = "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"


def load_data(version: str = "large", path: str = "california_housing.npz",
              test_split: float = 0.2, seed: int = 113) -> _files.Dataset:
    """Loads California Housing (``keras.datasets.california_housing.load_data``).

    Reads Keras's ``california_housing.npz`` (arrays ``x`` with 8 features and ``y``,
    20,640 rows), keeps the first 600 rows for ``version="small"``, shuffles with
    ``np.random.RandomState(seed)`` and keeps the first ``int(n * (1 - test_split))``
    rows for training, exactly as Keras.

    Args:
        version: ``"large"`` (all rows) or ``"small"`` (the first 600).
        path: File name in the cache (``~/.keras/datasets`` or ``$KERAS_HOME/datasets``).
        test_split: Fraction of the rows for the test set, in ``[0, 1)``.
        seed: Seed of the shuffle.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``x`` of shape ``(n, 8)``, ``y`` of
        shape ``(n,)`` (median house values in dollars), with the file's dtypes.

    Raises:
        ValueError: ``test_split`` outside ``[0, 1)``, an unknown ``version`` (checked
            before the file is looked for; Keras checks it after loading), or a
            malformed file (named).
        DownloadError: The file is missing and cannot be downloaded.
    """
    _files.check_test_split(test_split)
    if version not in ("small", "large"):
        raise ValueError("Argument `version` must be one of 'small', 'large'. "
                         f"Received: version={version}")
    fpath = _files.fetch(path, _ORIGIN, _FILE_HASH)
    f = load_npz(fpath, keys=("x", "y"))
    x, y = f["x"], f["y"]
    _files.check_xy(x, y, fpath, x_ndim=2)
    if version == "small":
        x, y = x[:600], y[:600]
    return _files.split_regression(x, y, test_split, seed)
