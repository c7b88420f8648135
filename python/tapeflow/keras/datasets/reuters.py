"""``keras.datasets.reuters``: the Reuters newswire topic data."""

from __future__ import annotations

from typing import Dict, Optional, Tuple

import numpy as np

from tapeflow.keras.datasets import _files
from tapeflow.keras.datasets._safe_pickle import load_npz
from tapeflow.keras.datasets.imdb import _read_word_index

_ORIGIN = _files.ORIGIN_FOLDER + "reuters.npz"
_FILE_HASH = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
_WORD_INDEX_ORIGIN = _files.ORIGIN_FOLDER + "reuters_word_index.json"
_WORD_INDEX_HASH = "4d44cc38712099c9e383dc6e5f11a921"  # md5, as Keras gives it

_LABEL_NAMES = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing",
    "money-supply", "coffee", "sugar", "trade", "reserves", "ship", "cotton", "carcass",
    "crude", "nat-gas", "cpi", "money-fx", "interest", "gnp", "meal-feed", "alum",
    "oilseed", "gold", "tin", "strategic-metal", "livestock", "retail", "ipi",
    "iron-steel", "rubber", "heat", "jobs", "lei", "bop", "zinc", "orange", "pet-chem",
    "dlr", "gas", "silver", "wpi", "hog", "lead",
)


def load_data(path: str = "reuters.npz", num_words: Optional[int] = None,
              skip_top: int = 0, maxlen: Optional[int] = None, test_split: float = 0.2,
              seed: int = 113, start_char: Optional[int] = 1, oov_char: Optional[int] = 2,
              index_from: int = 3) -> _files.Dataset:
    """Loads the Reuters newswires as word-index sequences
    (``keras.datasets.reuters.load_data``).

    Reads Keras's ``reuters.npz`` (object array ``x`` of word-index lists, integer topic
    labels ``y``, 11,228 newswires over 46 topics) from the Keras cache or downloads it
    (sha256-checked), with a restricted unpickler instead of ``allow_pickle=True``. Then,
    exactly as Keras: shuffle with ``np.random.RandomState(seed)``; shift indices by
    ``index_from`` and put ``start_char`` first; with ``maxlen`` drop sequences of
    ``maxlen`` or more words; replace indices outside ``[skip_top, num_words)`` by
    ``oov_char`` (or drop them if it is ``None``; without ``num_words`` the largest index
    present is the bound and becomes ``oov_char`` too); the first
    ``int(n * (1 - test_split))`` sequences are the training set. As in Keras,
    ``test_split`` is not range-checked here.

    Args:
        path: File name in the cache (``~/.keras/datasets`` or ``$KERAS_HOME/datasets``).
        num_words: Keep the ``num_words`` most frequent words (by index); ``None``: all.
        skip_top: Treat the ``skip_top`` most frequent words as out of vocabulary.
        maxlen: Drop sequences this long or longer; ``None``: keep all.
        test_split: Fraction of the newswires for the test set.
        seed: Seed of the shuffle.
        start_char: Index marking the start of every sequence, or ``None``.
        oov_char: Index replacing cut words, or ``None`` to remove them.
        index_from: Offset added to every word index.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``x`` as 1-D object arrays of lists of
        ints, ``y`` as integer topic arrays (see :func:`get_label_names`).

    Raises:
        DownloadError: The file is missing and cannot be downloaded.
        ValueError: A malformed file (named); ``UnsafePickleError`` (a ``ValueError``)
            when a pickle names anything other than numpy's array reconstruction.
    """
    fpath = _files.fetch(path, _ORIGIN, _FILE_HASH)
    f = load_npz(fpath, keys=("x", "y"), allow_object=True)
    _files.check_sequences(f["x"], f["y"], fpath)

    xs, labels = _files.shuffled(np.random.RandomState(seed), f["x"], f["y"])
    xs = _files.mark_and_shift(xs, start_char, index_from)
    if maxlen:
        xs, labels = _files.drop_long(maxlen, xs, labels)
    xs = _files.limit_vocabulary(xs, num_words, skip_top, oov_char)

    n = int(len(xs) * (1 - test_split))
    return ((np.array(xs[:n], dtype="object"), np.array(labels[:n])),
            (np.array(xs[n:], dtype="object"), np.array(labels[n:])))


def get_word_index(path: str = "reuters_word_index.json") -> Dict[str, int]:
    """The Reuters word index, ``{word: index}`` (``keras.datasets.reuters.get_word_index``).

    Reads Keras's ``reuters_word_index.json`` from the Keras cache or downloads it (md5
    checked, as Keras). Indices in ``load_data``'s sequences are these plus
    ``index_from`` (3 by default: 0 padding, 1 start, 2 out of vocabulary).

    Args:
        path: File name in the cache (``~/.keras/datasets`` or ``$KERAS_HOME/datasets``).

    Returns:
        The dict loaded from the JSON file.

    Raises:
        DownloadError: The file is missing and cannot be downloaded.
        ValueError: The file is not a JSON object of word -> int (Keras does not check).
    """
    return _read_word_index(_files.fetch(path, _WORD_INDEX_ORIGIN, _WORD_INDEX_HASH))


def get_label_names() -> Tuple[str, ...]:
    """The 46 topic names, indexed like the labels (``keras.datasets.reuters.get_label_names``)."""
    return _LABEL_NAMES
