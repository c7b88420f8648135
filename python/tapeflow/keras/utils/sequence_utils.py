"""``keras.utils.pad_sequences``, as Keras 3.15."""

from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np


def pad_sequences(sequences: Sequence[Any], maxlen: Optional[int] = None,
                  dtype: Any = "int32", padding: str = "pre", truncating: str = "pre",
                  value: Any = 0.0) -> np.ndarray:
    """Pads (and truncates) sequences to one length (``keras.utils.pad_sequences``).

    Mirrors Keras 3.15: the result is a NumPy array of shape
    ``(len(sequences), maxlen) + sample_shape`` (``sample_shape`` taken from the first
    non-empty sequence), filled with ``value`` and with each sequence's last (``"pre"``
    truncation) or first (``"post"``) ``maxlen`` items written at its end (``"pre"``
    padding) or start (``"post"``). ``maxlen`` defaults to the longest sequence. Values
    are cast with NumPy to ``dtype`` (floats to an int dtype truncate toward zero), and
    the errors are Keras's (ValueError for a non-iterable item, a sample-shape mismatch,
    an unknown padding/truncating mode or a string ``value`` with a non-string dtype).

    Args:
        sequences: A list of sequences (lists or arrays; items may be arrays).
        maxlen: The length of every output row; default: the longest sequence.
        dtype: The output's NumPy dtype (``object`` for variable-length strings).
        padding: ``"pre"`` or ``"post"``: where the padding goes.
        truncating: ``"pre"`` or ``"post"``: which end of a long sequence is cut.
        value: The padding value.

    Returns:
        A NumPy array of shape ``(len(sequences), maxlen) + sample_shape``.
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError("`sequences` must be iterable.")
    lengths = []
    sample_shape: tuple = ()
    found_sample = False
    for seq in sequences:
        try:
            n = len(seq)
        except TypeError as e:
            raise ValueError("`sequences` must be a list of iterables. "
                             f"Found non-iterable: {seq}") from e
        lengths.append(n)
        if n and not found_sample:
            sample_shape = np.asarray(seq).shape[1:]
            found_sample = True

    if maxlen is None:
        maxlen = np.max(lengths)  # (as Keras: an empty list of sequences raises here)

    string_dtype = np.issubdtype(dtype, np.str_) or np.issubdtype(dtype, np.bytes_)
    if isinstance(value, str) and dtype is not object and not string_dtype:
        raise ValueError(
            f"`dtype` {dtype} is not compatible with `value`'s type: {type(value)}\n"
            "You should set `dtype=object` for variable length strings.")

    out = np.full((len(sequences), maxlen) + tuple(sample_shape), value, dtype=dtype)
    for i, seq in enumerate(sequences):
        if not len(seq):
            continue
        if truncating == "pre":
            kept = seq[-maxlen:]
        elif truncating == "post":
            kept = seq[:maxlen]
        else:
            raise ValueError(f'Truncating type "{truncating}" not understood')
        kept = np.asarray(kept, dtype=dtype)
        if kept.shape[1:] != sample_shape:
            raise ValueError(f"Shape of sample {kept.shape[1:]} of sequence at position "
                             f"{i} is different from expected shape {sample_shape}")
        if padding == "post":
            out[i, :len(kept)] = kept
        elif padding == "pre":
            out[i, -len(kept):] = kept
        else:
            raise ValueError(f'Padding type "{padding}" not understood')
    return out
