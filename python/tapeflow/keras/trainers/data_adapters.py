"""What ``fit``/``evaluate``/``predict`` accept as data, and how an epoch walks it, as
Keras 3's data adapters and ``EpochIterator`` do.

* NumPy arrays and Tensors (nests of them, dicts for named inputs) are sliced into
  batches of ``batch_size`` (shuffled each epoch when asked); ``x``, ``y`` and
  ``sample_weight`` must have the same number of samples ("Data cardinality is
  ambiguous", with the sizes).
* A ``tf.data.Dataset`` of batches is walked once per epoch (a new pass each epoch);
  its elements reach ``train_step`` exactly as the dataset yields them.
* A ``keras.utils.PyDataset`` gives batch ``i`` as ``ds[i]``; generators and other
  iterators are consumed as they go (they cannot restart).
* ``steps_per_epoch`` takes that many batches per epoch, continuing where the last
  epoch stopped. When the data ends early, Keras's warning "Your input ran out of data;
  interrupting training" is given and the epoch ends; a restartable source starts over
  for the next epoch, an exhausted generator stops training. An epoch that ran no step
  reports nothing (no zero or NaN metrics).
"""

from __future__ import annotations

import math
import types
import warnings
from typing import Any, Iterator, Optional

import numpy as np

import tapeflow as tf
from tapeflow import nest

RAN_OUT = ("Your input ran out of data; interrupting training. Make sure that your "
           "dataset or generator can generate at least `steps_per_epoch * epochs` "
           "batches. You may need to use the `.repeat()` function when building your "
           "dataset.")


class PyDataset:
    """Base class of a dataset of batches written in Python (``keras.utils.PyDataset``):
    ``__getitem__(i)`` returns batch ``i`` (``x``, ``(x, y)`` or ``(x, y,
    sample_weight)``) and ``__len__`` the number of batches (or ``num_batches``, None for
    an endless one); ``on_epoch_begin``/``on_epoch_end`` run around each epoch.
    ``workers``/``use_multiprocessing``/``max_queue_size`` are accepted; tapeflow reads
    the batches in order on the training thread."""

    def __init__(self, workers: int = 1, use_multiprocessing: bool = False,
                 max_queue_size: int = 10) -> None:
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    @property
    def workers(self) -> int:
        return getattr(self, "_workers", 1)

    @workers.setter
    def workers(self, value: int) -> None:
        self._workers = value

    @property
    def use_multiprocessing(self) -> bool:
        return getattr(self, "_use_multiprocessing", False)

    @property
    def max_queue_size(self) -> int:
        return getattr(self, "_max_queue_size", 10)

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError

    @property
    def num_batches(self) -> Optional[int]:
        if hasattr(self, "__len__"):
            return len(self)  # type: ignore[arg-type]
        raise NotImplementedError(
            "You need to implement the `num_batches` property:\n\n"
            "@property\ndef num_batches(self):\n  return ...")

    def on_epoch_begin(self) -> None:
        pass

    def on_epoch_end(self) -> None:
        pass


def pack_x_y_sample_weight(x: Any, y: Any = None, sample_weight: Any = None) -> Any:
    """Keras's batch format: ``x`` alone (``(x,)`` for a list or tuple of inputs),
    ``(x, y)``, or ``(x, y, sample_weight)``."""
    if y is None:
        return (x,) if isinstance(x, (list, tuple)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def unpack_x_y_sample_weight(data: Any) -> Any:
    """``(x, y, sample_weight)`` from a batch (``None`` for what it lacks), as Keras's
    ``keras.utils.unpack_x_y_sample_weight``."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data[0], data[1], data[2]
    raise ValueError("Data is expected to be in format `x`, `(x,)`, `(x, y)`, or "
                     f"`(x, y, sample_weight)`, found: {data}")


# ---------------------------------------------------------------------------------
# Adapters
# ---------------------------------------------------------------------------------
class DataAdapter:
    """Batches of one kind of data: ``num_batches`` (None when unknown), a fresh
    ``iterator()`` per epoch (or the same one for sources that cannot restart)."""

    num_batches: Optional[int] = None
    restartable = True

    def iterator(self) -> Iterator[Any]:
        raise NotImplementedError

    def on_epoch_begin(self) -> None:
        pass

    def on_epoch_end(self) -> None:
        pass


def _is_array(x: Any) -> bool:
    if isinstance(x, (tf.data.Dataset, PyDataset)):
        return False
    return isinstance(x, np.ndarray) or tf.is_tensor(x) or hasattr(x, "__array__")


def can_convert_arrays(arrays: Any) -> bool:
    """Whether every leaf is an array or Tensor (or a Python number list)."""
    leaves = [a for a in nest.flatten(arrays) if a is not None]
    return bool(leaves) and all(_is_array(a) for a in leaves)


def _to_numpy(x: Any) -> Any:
    if x is None:
        return None
    if isinstance(x, (list, tuple)):
        return type(x)(_to_numpy(v) for v in x)
    if isinstance(x, dict):
        return {k: _to_numpy(v) for k, v in x.items()}
    return np.asarray(x)


def _take(x: Any, idx: Any) -> Any:
    if x is None:
        return None
    if isinstance(x, (list, tuple)):
        return type(x)(_take(v, idx) for v in x)
    if isinstance(x, dict):
        return {k: _take(v, idx) for k, v in x.items()}
    return x[idx]


def check_data_cardinality(data: Any) -> None:
    """Keras's ValueError when x, y and sample_weight disagree on the number of
    samples (its exact message)."""
    sizes = {int(np.shape(a)[0]) for a in nest.flatten(data)
             if a is not None and np.ndim(a) > 0}
    if len(sizes) > 1:
        msg = ("Data cardinality is ambiguous. Make sure all arrays contain the same "
               "number of samples.")
        for label, single in zip(["x", "y", "sample_weight"], data):
            shown = ", ".join(str(np.shape(a)[0]) for a in nest.flatten(single)
                              if a is not None)
            msg += f"'{label}' sizes: {shown}\n"
        raise ValueError(msg)


class ArrayDataAdapter(DataAdapter):
    """In-memory arrays (or Tensors), batched and optionally shuffled each epoch."""

    def __init__(self, x: Any, y: Any = None, sample_weight: Any = None,
                 batch_size: Optional[int] = None, shuffle: Any = False,
                 steps: Optional[int] = None) -> None:
        self.x, self.y, self.sw = _to_numpy(x), _to_numpy(y), _to_numpy(sample_weight)
        packed = pack_x_y_sample_weight(self.x, self.y, self.sw)
        check_data_cardinality(packed if isinstance(packed, tuple) else (packed,))
        first = nest.flatten(self.x)[0]
        self.n = int(np.shape(first)[0]) if np.ndim(first) else 1
        self.batch_size = int(batch_size or (math.ceil(self.n / steps) if steps else 32))
        self.shuffle = shuffle
        self.num_batches = max(1, math.ceil(self.n / self.batch_size)) if self.n else 0

    def iterator(self) -> Iterator[Any]:
        n, size = self.n, self.batch_size
        if self.shuffle == "batch":
            order = np.concatenate([np.random.permutation(np.arange(s, min(s + size, n)))
                                    for s in np.random.permutation(
                                        np.arange(0, n, size))]) if n else np.arange(0)
        elif self.shuffle:
            order = np.random.permutation(n)
        else:
            order = None
        for s in range(self.num_batches):
            idx = slice(s * size, (s + 1) * size) if order is None else \
                order[s * size:(s + 1) * size]  # contiguous slices are views: no copy
            yield pack_x_y_sample_weight(_take(self.x, idx), _take(self.y, idx),
                                         _take(self.sw, idx))


class DatasetAdapter(DataAdapter):
    """A ``tf.data.Dataset`` of batches: a new pass per epoch."""

    def __init__(self, dataset: Any, class_weight: Any = None) -> None:
        self.dataset = dataset
        n = int(dataset.cardinality().numpy())
        self.num_batches = n if n >= 0 else None
        self.class_weight = class_weight

    def iterator(self) -> Iterator[Any]:
        it = iter(self.dataset)
        if self.class_weight is None:
            return it
        return (_with_class_weight(b, self.class_weight) for b in it)


class PyDatasetAdapter(DataAdapter):
    def __init__(self, dataset: PyDataset, shuffle: Any = False,
                 class_weight: Any = None) -> None:
        self.dataset = dataset
        self.num_batches = dataset.num_batches
        self.shuffle = shuffle
        self.class_weight = class_weight

    def iterator(self) -> Iterator[Any]:
        n = self.num_batches
        if n is None:  # endless: until the dataset raises IndexError / StopIteration
            i = 0
            while True:
                try:
                    batch = self.dataset[i]
                except (IndexError, StopIteration):
                    return
                yield self._batch(batch)
                i += 1
        order = np.random.permutation(n) if self.shuffle else range(n)
        for i in order:
            yield self._batch(self.dataset[int(i)])

    def _batch(self, batch: Any) -> Any:
        batch = tuple(batch) if isinstance(batch, list) else batch
        return batch if self.class_weight is None else \
            _with_class_weight(batch, self.class_weight)

    def on_epoch_begin(self) -> None:
        self.dataset.on_epoch_begin()

    def on_epoch_end(self) -> None:
        self.dataset.on_epoch_end()


class GeneratorAdapter(DataAdapter):
    """A generator or iterator of batches: consumed once, never restarted."""

    restartable = False

    def __init__(self, source: Any, class_weight: Any = None) -> None:
        self.source = iter(source)
        self.class_weight = class_weight

    def iterator(self) -> Iterator[Any]:
        for batch in self.source:
            batch = tuple(batch) if isinstance(batch, list) else batch
            yield batch if self.class_weight is None else \
                _with_class_weight(batch, self.class_weight)


def class_weight_to_sample_weights(y: Any, class_weight: Any,
                                   sample_weight: Any = None) -> np.ndarray:
    """Per-sample weights from ``class_weight`` (the class of a one-hot row is its
    argmax), times ``sample_weight`` when given, as Keras weighs classes."""
    yy = np.asarray(y)
    labels = yy.argmax(-1) if yy.ndim > 1 and yy.shape[-1] > 1 else yy.reshape(len(yy))
    cw = np.array([class_weight.get(int(c), 1.0) for c in labels], np.float32)
    return cw if sample_weight is None else np.asarray(sample_weight) * cw


def _with_class_weight(batch: Any, class_weight: Any) -> Any:
    x, y, sw = unpack_x_y_sample_weight(batch)
    if y is None:
        return batch
    return (x, y, class_weight_to_sample_weights(y, class_weight, sw))


def _unsupported(arg: str, description: str, input_type: str) -> ValueError:
    return ValueError(f"When providing `x` as a {input_type}, `{arg}` should not be "
                      f"passed. Instead, {description} should be included as part of the "
                      f"{input_type}.")


def _looks_like_list_of_batches(x: Any) -> bool:
    return isinstance(x, list) and bool(x) and all(
        isinstance(b, (tuple, list)) and len(b) in (2, 3) and all(
            hasattr(p, "shape") or isinstance(p, (list, tuple)) for p in b) for b in x)


def get_data_adapter(x: Any, y: Any = None, sample_weight: Any = None,
                     batch_size: Optional[int] = None, steps_per_epoch: Optional[int] = None,
                     shuffle: Any = False, class_weight: Any = None) -> DataAdapter:
    """The adapter for ``x`` (Keras 3's ``get_data_adapter``, with its errors)."""
    if isinstance(x, DataAdapter):
        return x
    if isinstance(x, tf.data.Dataset):
        if y is not None:
            raise _unsupported("y", "the targets", "tf.data.Dataset")
        if sample_weight is not None:
            raise _unsupported("sample_weights", "the sample weights", "tf.data.Dataset")
        if shuffle:
            warnings.warn("`shuffle=True` was passed, but will be ignored since the data "
                          "`x` was provided as a tf.data.Dataset. The Dataset is expected "
                          "to already be shuffled (via `.shuffle(buffer_size)`).",
                          stacklevel=3)
        return DatasetAdapter(x, class_weight)
    if isinstance(x, PyDataset):
        if y is not None:
            raise _unsupported("y", "the targets", "PyDataset")
        if sample_weight is not None:
            raise _unsupported("sample_weights", "the sample weights", "PyDataset")
        return PyDatasetAdapter(x, shuffle, class_weight)
    if _looks_like_list_of_batches(x):
        raise ValueError(
            "`x` is a list of (x, y) batches, which Keras reads as the inputs of a "
            "multi-input model. Pass batches as a generator, a keras.utils.PyDataset or a "
            "tf.data.Dataset (e.g. tf.data.Dataset.from_tensor_slices((x, y)).batch(32)), "
            "or pass whole arrays as `x` and `y`.")
    if can_convert_arrays((x, y, sample_weight)):
        return ArrayDataAdapter(x, y, sample_weight, batch_size, shuffle, steps_per_epoch)
    if isinstance(x, (types.GeneratorType, Iterator)) or (
            hasattr(x, "__iter__") and not isinstance(x, (str, bytes, dict, list, tuple))):
        if y is not None:
            raise _unsupported("y", "the targets", "generator")
        if sample_weight is not None:
            raise _unsupported("sample_weights", "the sample weights", "generator")
        if shuffle and isinstance(x, types.GeneratorType):
            warnings.warn("`shuffle=True` was passed, but will be ignored since the data "
                          "`x` was provided as a generator. The generator is expected to "
                          "yield already-shuffled data.", stacklevel=3)
        return GeneratorAdapter(x, class_weight)
    raise ValueError(f"Unrecognized data type: x={x!r:.200} (of type {type(x)})")


# ---------------------------------------------------------------------------------
# Epochs
# ---------------------------------------------------------------------------------
class EpochIterator:
    """Walks an adapter epoch by epoch (Keras 3's ``EpochIterator``): ``epoch()`` yields
    the batches of one epoch; ``num_batches`` is what the progress bar shows (learned
    after the first epoch when the source cannot say); ``exhausted`` is set when a
    source that cannot restart had nothing left for an epoch."""

    def __init__(self, adapter: DataAdapter, steps_per_epoch: Optional[int] = None
                 ) -> None:
        self.adapter = adapter
        self.steps_per_epoch = steps_per_epoch
        self._iterator: Optional[Iterator[Any]] = None
        self.exhausted = False
        self._seen_batches: Optional[int] = None

    @property
    def num_batches(self) -> Optional[int]:
        if self.steps_per_epoch:
            return self.steps_per_epoch
        if self.adapter.num_batches is not None:
            return self.adapter.num_batches
        return self._seen_batches

    def _fresh(self) -> Iterator[Any]:
        if self.adapter.restartable or self._iterator is None:
            return iter(self.adapter.iterator())
        return self._iterator

    def epoch(self) -> Iterator[Any]:
        self.adapter.on_epoch_begin()
        ran = 0
        if self.steps_per_epoch:
            if self._iterator is None:
                self._iterator = self._fresh()
            for _ in range(self.steps_per_epoch):
                try:
                    batch = next(self._iterator)
                except StopIteration:
                    warnings.warn(RAN_OUT, stacklevel=3)
                    # A restartable source starts over next epoch; a generator cannot.
                    self._iterator = None if self.adapter.restartable else self._iterator
                    break
                ran += 1
                yield batch
        else:
            known = self.adapter.num_batches
            self._iterator = self._fresh()
            for batch in self._iterator:
                ran += 1
                yield batch
                if known is not None and ran >= known:
                    break
            if known is None:  # Keras warns when only running out ends an epoch
                warnings.warn(RAN_OUT, stacklevel=3)
                if self._seen_batches is None and ran:
                    self._seen_batches = ran
        if ran == 0:
            self.exhausted = True
        self.adapter.on_epoch_end()
