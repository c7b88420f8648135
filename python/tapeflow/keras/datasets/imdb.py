"""``keras.datasets.imdb``: the IMDB movie-review sentiment data."""

from __future__ import annotations

import json
from typing import Any, Dict, Optional

import numpy as np

from tapeflow.keras.datasets import _files
from tapeflow.keras.datasets._safe_pickle import load_npz

_ORIGIN = _files.ORIGIN_FOLDER + "imdb.npz"
_FILE_HASH = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
_WORD_INDEX_ORIGIN = _files.ORIGIN_FOLDER + "imdb_word_index.json"
_WORD_INDEX_HASH = "bfafd718b763782e994055a2d397834f"  # md5, as Keras gives it


def load_data(path: str = "imdb.npz", num_words: Optional[int] = None, skip_top: int = 0,
              maxlen: Optional[int] = None, seed: int = 113, start_char: Optional[int] = 1,
              oov_char: Optional[int] = 2, index_from: int = 3,
              **kwargs: Any) -> _files.Dataset:
    """Loads the IMDB reviews as word-index sequences (``keras.datasets.imdb.load_data``).

    Reads Keras's ``imdb.npz`` (object arrays ``x_train``/``x_test`` of word-index lists,
    integer ``y_train``/``y_test``) from the Keras cache, or downloads it from Keras's URL
    (sha256-checked). The object arrays are read with a restricted unpickler, never
    ``allow_pickle=True``. Then, in Keras's order and with Keras's results:

    1. the training and then the test set are shuffled with one
       ``np.random.RandomState(seed)``;
    2. every index is shifted by ``index_from`` and ``start_char`` is put first (when
       not ``None``);
    3. with ``maxlen``, sequences of ``maxlen`` words or more (counting ``start_char``)
       are dropped (``ValueError`` if a set ends up empty);
    4. indices outside ``[skip_top, num_words)`` become ``oov_char`` (or are dropped if it
       is ``None``). Without ``num_words`` the bound is the largest index present, so --
       as in Keras -- that one word becomes ``oov_char`` too.

    Args:
        path: File name in the cache (``~/.keras/datasets`` or ``$KERAS_HOME/datasets``).
        num_words: Keep the ``num_words`` most frequent words (by index); ``None``: all.
        skip_top: Treat the ``skip_top`` most frequent words as out of vocabulary.
        maxlen: Drop sequences this long or longer; ``None``: keep all.
        seed: Seed of the shuffle.
        start_char: Index marking the start of every sequence, or ``None``.
        oov_char: Index replacing cut words, or ``None`` to remove them.
        index_from: Offset added to every word index.
        **kwargs: Accepted and ignored, as in Keras 3.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``x`` as 1-D object arrays of lists of
        ints (25,000 each in the real data), ``y`` as integer 0/1 arrays.

    Raises:
        DownloadError: The file is missing and cannot be downloaded.
        ValueError: ``maxlen`` leaves no sequence, or a malformed file (named);
            ``UnsafePickleError`` (a ``ValueError``) when a pickle names anything other
            than numpy's array reconstruction.
    """
    del kwargs  # Keras 3 accepts and ignores extra keyword arguments.
    fpath = _files.fetch(path, _ORIGIN, _FILE_HASH)
    f = load_npz(fpath, keys=("x_train", "y_train", "x_test", "y_test"), allow_object=True)
    _files.check_sequences(f["x_train"], f["y_train"], f"{fpath} (training arrays)")
    _files.check_sequences(f["x_test"], f["y_test"], f"{fpath} (test arrays)")

    rng = np.random.RandomState(seed)
    x_train, labels_train = _files.shuffled(rng, f["x_train"], f["y_train"])
    x_test, labels_test = _files.shuffled(rng, f["x_test"], f["y_test"])

    x_train = _files.mark_and_shift(x_train, start_char, index_from)
    x_test = _files.mark_and_shift(x_test, start_char, index_from)

    if maxlen:
        x_train, labels_train = _files.drop_long(maxlen, x_train, labels_train)
        x_test, labels_test = _files.drop_long(maxlen, x_test, labels_test)
        if not x_train or not x_test:
            raise ValueError("After filtering for sequences shorter than maxlen="
                             f"{maxlen}, no sequence was kept. Increase maxlen.")

    xs = _files.limit_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([labels_train, labels_test])
    n = len(x_train)
    return ((np.array(xs[:n], dtype="object"), labels[:n]),
            (np.array(xs[n:], dtype="object"), labels[n:]))


def _read_word_index(fpath: str) -> Dict[str, int]:
    try:
        with open(fpath, encoding="utf-8") as f:
            index = json.load(f)
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise ValueError(f"{fpath} is not a readable JSON word index: {e}") from e
    if not isinstance(index, dict) or not all(
            isinstance(k, str) and type(v) is int for k, v in index.items()):
        raise ValueError(f"{fpath} is not a word index (a JSON object mapping words to "
                         "integers).")
    return index


def get_word_index(path: str = "imdb_word_index.json") -> Dict[str, int]:
    """The IMDB word index, ``{word: index}`` (``keras.datasets.imdb.get_word_index``).

    Reads Keras's ``imdb_word_index.json`` from the Keras cache or downloads it (md5
    checked, as Keras). Indices in ``load_data``'s sequences are these plus
    ``index_from``.

    Args:
        path: File name in the cache (``~/.keras/datasets`` or ``$KERAS_HOME/datasets``).

    Returns:
        The dict loaded from the JSON file.

    Raises:
        DownloadError: The file is missing and cannot be downloaded.
        ValueError: The file is not a JSON object of word -> int (Keras does not check).
    """
    return _read_word_index(_files.fetch(path, _WORD_INDEX_ORIGIN, _WORD_INDEX_HASH))
