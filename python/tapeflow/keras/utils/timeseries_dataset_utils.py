"""``keras.utils.timeseries_dataset_from_array``, as Keras 3.15."""

from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np

import tapeflow as tf
from tapeflow.framework import errors
from tapeflow.keras.utils.dataset_utils import PyFunctionMapDataset, check_format


def timeseries_dataset_from_array(data: Any, targets: Any, sequence_length: int,
                                  sequence_stride: int = 1, sampling_rate: int = 1,
                                  batch_size: Optional[int] = 128, shuffle: bool = False,
                                  seed: Optional[int] = None,
                                  start_index: Optional[int] = None,
                                  end_index: Optional[int] = None,
                                  format: str = "tf") -> tf.data.Dataset:
    """A dataset of sliding windows over an array (``keras.utils.
    timeseries_dataset_from_array``).

    Mirrors Keras 3.15 (``format="tf"``): with ``steps = data[start_index:end_index]``,
    window ``i`` is ``steps[p_i + sampling_rate * arange(sequence_length)]`` for the
    start positions ``p = range(0, n, sequence_stride)``, where ``n = len(steps) -
    (sequence_length - 1) * sampling_rate`` (at most ``len(targets)``); its target is
    ``targets[start_index:end_index][p_i]``. Elements are ``window`` or ``(window,
    target)``, batched by ``batch_size`` (``None``: unbatched). Windows keep the data's
    dtype (as tapeflow converts it: Python floats give float32, NumPy float64 stays
    float64; NumPy dtypes that tapeflow lacks, such as uint8 or float16, become int32 or
    float32 where Keras keeps them) and the element spec has Keras's unknown window length (``(None, None) +
    data.shape[1:]`` once batched). The cardinality is known. Keras's argument checks
    and messages are kept (``start_index``, ``end_index``, ``sampling_rate``,
    ``sequence_stride``).

    Shuffling, as Keras: the start positions are permuted with
    ``np.random.RandomState(seed)`` (``seed`` default: ``np.random.randint(1e6)``),
    then the windows pass a shuffle buffer of ``8 * batch_size`` (1024 unbatched)
    seeded with ``seed``. That second shuffle uses tapeflow's generator, not
    TensorFlow's, so a shuffled dataset holds the same windows as Keras's, grouped and
    ordered differently; unshuffled datasets equal Keras's batch for batch.

    Args:
        data: An array-like (NumPy array, list, Tensor) of timesteps along axis 0.
        targets: Targets per timestep, aligned with ``data``, or None.
        sequence_length: The number of timesteps in a window.
        sequence_stride: The step between the starts of consecutive windows.
        sampling_rate: The step between the timesteps of one window.
        batch_size: Windows per batch, or None for single windows.
        shuffle: Whether to shuffle the windows.
        seed: The shuffle's seed.
        start_index: The first timestep used (default 0).
        end_index: One past the last timestep used (default ``len(data)``).
        format: ``"tf"`` (a tf.data Dataset). Keras's ``"grain"`` is not available in
            tapeflow (NotImplementedError).

    Returns:
        A tapeflow ``tf.data.Dataset``.
    """
    n_data = len(data)
    if start_index:
        if start_index < 0:
            raise ValueError("`start_index` must be 0 or greater. Received: "
                             f"start_index={start_index}")
        if start_index >= n_data:
            raise ValueError("`start_index` must be lower than the length of the data. "
                             f"Received: start_index={start_index}, for data of length "
                             f"{n_data}")
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError("`end_index` must be higher than `start_index`. Received: "
                             f"start_index={start_index}, and end_index={end_index} ")
        if end_index >= n_data:
            raise ValueError("`end_index` must be lower than the length of the data. "
                             f"Received: end_index={end_index}, for data of length "
                             f"{n_data}")
        if end_index <= 0:
            raise ValueError(f"`end_index` must be higher than 0. Received: "
                             f"end_index={end_index}")
    for name, value in (("sampling_rate", sampling_rate),
                        ("sequence_stride", sequence_stride)):
        if value <= 0:
            raise ValueError(f"`{name}` must be higher than 0. Received: {name}={value}")
        if value >= n_data:
            raise ValueError(f"`{name}` must be lower than the length of the data. "
                             f"Received: {name}={value}, for data of length {n_data}")
    check_format(format)

    start = 0 if start_index is None else start_index
    end = n_data if end_index is None else end_index
    n_windows = end - start - (sequence_length - 1) * sampling_rate
    if targets is not None:
        n_windows = min(n_windows, len(targets))
    index_dtype = "int32" if n_windows < 2147483647 else "int64"
    starts = np.arange(0, n_windows, sequence_stride, dtype=index_dtype)
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(starts)

    steps = _as_array(data, start, end)
    offsets = np.arange(sequence_length, dtype=index_dtype) * sampling_rate
    specs = [tf.TensorSpec((None,) + steps.shape[1:], tf.as_dtype(steps.dtype))]
    target_steps = None
    if targets is not None:
        target_steps = _as_array(targets, start, end)
        specs.append(tf.TensorSpec(target_steps.shape[1:], tf.as_dtype(target_steps.dtype)))

    def window(position: np.ndarray) -> Tuple[np.ndarray, ...]:
        p = int(position)
        rows = p + offsets  # (within ``steps`` by construction of the start positions)
        if target_steps is None:
            return (steps[rows],)
        if p >= len(target_steps):
            _out_of_range(p, len(target_steps))
        return steps[rows], target_steps[p]

    dataset: tf.data.Dataset = PyFunctionMapDataset(
        tf.data.Dataset.from_tensor_slices(starts), window,
        specs[0] if targets is None else tuple(specs))
    if batch_size is not None:
        if shuffle:
            dataset = dataset.shuffle(buffer_size=batch_size * 8, seed=seed)
        dataset = dataset.batch(batch_size)
    elif shuffle:
        dataset = dataset.shuffle(buffer_size=1024, seed=seed)
    return dataset


def _as_array(values: Any, start: int, end: int) -> np.ndarray:
    """``values[start:end]`` as the NumPy array of the Tensor tapeflow makes of it."""
    if isinstance(values, tf.Tensor):
        values = values.numpy()
    return tf.convert_to_tensor(values[start:end]).numpy()


def _out_of_range(index: int, size: int) -> None:
    """TF's error for a gather past the end (targets shorter than the window count that
    Keras computes from ``len(targets)`` when ``start_index > 0``)."""
    raise errors.InvalidArgumentError(
        None, None, f"indices[{index}] = {index} is not in [0, {size}) [Op:GatherV2]")
