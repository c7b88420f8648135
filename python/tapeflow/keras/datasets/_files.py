"""Helpers shared by the ``keras.datasets`` loaders: fetching, checks, Keras's steps."""

from __future__ import annotations

import os
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from tapeflow.keras.utils import file_utils

# Where Keras downloads its own copies of the datasets from.
ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

Split = Tuple[np.ndarray, np.ndarray]
Dataset = Tuple[Split, Split]


def fetch(fname: str, origin: str, file_hash: Optional[str], *,
          cache_subdir: str = "datasets", extract: bool = False,
          hint: Optional[str] = None) -> str:
    """``get_file`` with Keras's arguments; ``hint`` is added to a download error."""
    try:
        return file_utils.get_file(fname=fname, origin=origin, file_hash=file_hash,
                                   cache_subdir=cache_subdir, extract=extract)
    except file_utils.DownloadError as e:
        if not hint:
            raise
        raise file_utils.DownloadError(f"{e}\n{hint}") from e.__cause__


def find_extracted(folder_names: Sequence[str], required: Sequence[str]) -> Optional[str]:
    """The first ``<datasets cache>/<folder>`` that holds every ``required`` file."""
    for datadir in file_utils.cache_datadirs():
        for name in folder_names:
            folder = os.path.join(datadir, name)
            if all(os.path.isfile(os.path.join(folder, f)) for f in required):
                return folder
    return None


def check_test_split(test_split: float) -> None:
    """Keras's check in ``boston_housing``/``california_housing``."""
    if not (0 <= test_split < 1):
        raise ValueError(f"Invalid `test_split` argument: {test_split}. "
                         "It must be between 0 and 1 (exclusive of 1).")


def check_xy(x: np.ndarray, y: np.ndarray, source: str, *, x_ndim: int,
             kinds: str = "biuf", dtype: Optional[str] = None,
             tail: Optional[Tuple[int, ...]] = None) -> None:
    """Raises ``ValueError`` naming ``source`` unless ``x``/``y`` have the expected layout."""
    for name, arr, ndim in (("x", x, x_ndim), ("y", y, 1)):
        if dtype is not None and arr.dtype != np.dtype(dtype):
            raise ValueError(f"{source}: {name} has dtype {arr.dtype}, expected {dtype}.")
        if arr.dtype.kind not in kinds:
            raise ValueError(f"{source}: {name} has dtype {arr.dtype}, which is not "
                             "numeric.")
        if arr.ndim != ndim:
            raise ValueError(f"{source}: {name} has shape {arr.shape}, expected "
                             f"{ndim} dimension(s).")
    if tail is not None and x.shape[1:] != tail:
        raise ValueError(f"{source}: x has shape {x.shape}, expected (n, "
                         f"{', '.join(map(str, tail))}).")
    if len(x) != len(y):
        raise ValueError(f"{source}: x has {len(x)} samples but y has {len(y)}.")


def check_sequences(x: np.ndarray, y: np.ndarray, source: str) -> None:
    """IMDB/Reuters layout: ``x`` a 1-D object array of int sequences (or a 2-D int
    array), ``y`` 1-D integer labels of the same length."""
    if x.dtype == object:
        if x.ndim != 1:
            raise ValueError(f"{source}: x has shape {x.shape}, expected a 1-D array of "
                             "sequences.")
        for i, seq in enumerate(x):
            if isinstance(seq, list):
                if not set(map(type, seq)) <= {int}:
                    raise ValueError(f"{source}: sequence {i} holds something other "
                                     "than integers.")
            elif not (isinstance(seq, np.ndarray) and seq.ndim == 1
                      and seq.dtype.kind in "iu"):
                raise ValueError(f"{source}: item {i} of x is a {type(seq).__name__}, "
                                 "not a list of word indices.")
    elif x.dtype.kind not in "iu" or x.ndim != 2:
        raise ValueError(f"{source}: x has dtype {x.dtype} and shape {x.shape}, expected "
                         "an object array of integer sequences.")
    if y.dtype.kind not in "biu" or y.ndim != 1:
        raise ValueError(f"{source}: y has dtype {y.dtype} and shape {y.shape}, expected "
                         "1-D integer labels.")
    if len(x) != len(y):
        raise ValueError(f"{source}: x has {len(x)} sequences but y has {len(y)} labels.")


def shuffled(rng: np.random.RandomState, *arrays: np.ndarray) -> List[np.ndarray]:
    """Permutes the arrays alike, drawing as Keras does: ``rng.shuffle(np.arange(n))``."""
    indices = np.arange(len(arrays[0]))
    rng.shuffle(indices)
    return [a[indices] for a in arrays]


def split_regression(x: np.ndarray, y: np.ndarray, test_split: float,
                     seed: int) -> Dataset:
    """Shuffle with ``RandomState(seed)``, then the first ``int(n * (1 - test_split))``
    rows train (``boston_housing``/``california_housing``)."""
    x, y = shuffled(np.random.RandomState(seed), x, y)
    cut = int(len(x) * (1 - test_split))
    return (np.array(x[:cut]), np.array(y[:cut])), (np.array(x[cut:]), np.array(y[cut:]))


def mark_and_shift(seqs: Any, start_char: Optional[int], index_from: int) -> List[list]:
    """Each sequence as a list, word indices plus ``index_from``, ``start_char`` first."""
    if start_char is not None:
        return [[start_char] + [w + index_from for w in seq] for seq in seqs]
    return [[w + index_from for w in seq] for seq in seqs]


def drop_long(maxlen: int, seqs: Sequence[Any], labels: Sequence[Any]) -> Tuple[list, list]:
    """Keeps the pairs whose sequence is strictly shorter than ``maxlen`` (Keras's
    ``remove_long_seq``)."""
    kept = [(s, l) for s, l in zip(seqs, labels) if len(s) < maxlen]
    return [s for s, _ in kept], [l for _, l in kept]


def limit_vocabulary(seqs: Sequence[Any], num_words: Optional[int], skip_top: int,
                     oov_char: Optional[int]) -> List[list]:
    """Words outside ``[skip_top, num_words)`` become ``oov_char`` (or are dropped when it
    is ``None``). Without ``num_words`` the bound is the largest index present, which --
    exactly as in Keras -- turns that largest word itself into ``oov_char``."""
    if not num_words:
        num_words = max(max(seq) for seq in seqs)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in seq] for seq in seqs]
    return [[w for w in seq if skip_top <= w < num_words] for seq in seqs]


def load_cifar_batch(fpath: str, label_key: str = "labels",
                     num_classes: int = 10) -> Tuple[np.ndarray, Any]:
    """Reads one CIFAR batch pickle as Keras's ``cifar.load_batch`` does.

    The pickle (protocol 2, ``encoding="bytes"``) is read with the restricted unpickler
    and must be a dict whose ``data`` is a ``uint8`` array of shape ``(n, 3072)`` and
    whose ``label_key`` entry holds ``n`` integer labels in ``[0, num_classes)``.

    Returns:
        ``(data, labels)``: ``data`` reshaped to ``(n, 3, 32, 32)``; ``labels`` as stored
        (a list of ints in the real files).
    """
    from tapeflow.keras.datasets._safe_pickle import load_pickle

    try:
        f = open(fpath, "rb")
    except OSError as e:
        raise ValueError(f"Cannot open the CIFAR batch {fpath}: {e}") from e
    with f:
        batch = load_pickle(f, fpath, encoding="bytes")
    if not isinstance(batch, dict):
        raise ValueError(f"{fpath} is not a CIFAR batch: it holds a "
                         f"{type(batch).__name__}, not a dict.")
    decoded = {}
    for key, value in batch.items():
        if isinstance(key, bytes):
            try:
                key = key.decode("utf8")
            except UnicodeDecodeError as e:
                raise ValueError(f"{fpath}: a key is not UTF-8 text.") from e
        decoded[key] = value
    missing = [k for k in ("data", label_key) if k not in decoded]
    if missing:
        raise ValueError(f"{fpath} is not a CIFAR batch: it has no "
                         f"{' or '.join(map(repr, missing))} entry.")
    data, labels = decoded["data"], decoded[label_key]
    if (not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2
            or data.shape[1] != 3 * 32 * 32):
        raise ValueError(f"{fpath}: 'data' must be a uint8 array of shape (n, 3072); got "
                         f"{getattr(data, 'dtype', type(data).__name__)} "
                         f"{getattr(data, 'shape', '')}.")
    if isinstance(labels, list):
        ok = set(map(type, labels)) <= {int}
    else:
        ok = isinstance(labels, np.ndarray) and labels.ndim == 1 and labels.dtype.kind in "iu"
    if not ok or len(labels) != len(data):
        raise ValueError(f"{fpath}: '{label_key}' must hold {len(data)} integer labels.")
    if len(labels) and not (0 <= min(labels) and max(labels) < num_classes):
        raise ValueError(f"{fpath}: '{label_key}' holds labels outside [0, {num_classes}).")
    return data.reshape(data.shape[0], 3, 32, 32), labels


def cifar_folder(dirname: str, inner: str, batches: Sequence[str], origin: str,
                 file_hash: str, what: str) -> str:
    """The extracted CIFAR folder ``inner`` holding ``batches``: already extracted
    (Keras 3's ``dirname/inner`` or Keras 2's ``inner`` in the cache), else the archive
    fetched and extracted. ``what`` names the dataset in errors."""
    found = find_extracted((os.path.join(dirname, inner), inner), batches)
    if found is not None:
        return found
    datadir = file_utils.cache_datadirs()[0]
    hint = (f"Or put the extracted folder '{inner}' ({', '.join(batches)}) at "
            f"{os.path.join(datadir, dirname, inner)} (Keras 3's layout) or "
            f"{os.path.join(datadir, inner)} (Keras 2's).")
    folder = os.path.join(fetch(dirname, origin, file_hash, extract=True, hint=hint), inner)
    missing = [b for b in batches if not os.path.isfile(os.path.join(folder, b))]
    if missing:
        raise ValueError(f"The {what} archive was extracted, but {folder} lacks "
                         f"{', '.join(missing)}; the archive is not Keras's "
                         f"{os.path.basename(origin)}.")
    return folder

