"""``tf.data.Dataset``: input pipelines as TF 2.21 builds them.

A Dataset is an immutable description; iterating it (``for x in ds``, ``iter(ds)``)
starts a fresh pass. Elements are nests of Tensors (or of Datasets, after ``window``)
with the structure and dtypes of ``element_spec``; element order equals TF's for every
deterministic pipeline. Where we differ from TF:

* Functions given to ``map``, ``filter``, ``scan``, ``take_while``... are traced with
  ``tf.function`` (autograph included): their Python side effects run when a new input
  shape is traced, not per element, as in TF. Element specs with unknown (``None``)
  dimensions are found by tracing at two sizes, so a function's side effects may run
  twice when the dataset is built. A function that cannot be traced (one that reads
  ``.numpy()``, or an op tapeflow cannot trace yet) runs eagerly per element instead.
  Functions that take or return Datasets (``flat_map``, ``interleave``,
  ``group_by_window``'s ``reduce_func``) run eagerly.
* Seeded shuffles are reproducible within tapeflow, not equal to TF's order (TF's
  random generator is not reproduced).
* Background work (``prefetch``, parallel ``map``) runs on Python threads of one shared
  pool (native kernels release the GIL); no thread outlives the pool's workers.
* Strings are not supported yet (tapeflow has no string dtype): ``TextLineDataset`` and
  ``list_files`` raise NotImplementedError.
"""

from __future__ import annotations

import collections
import json
import os
import threading
from typing import Any, Callable, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from tapeflow import nest
from tapeflow.data import structure as _structure
from tapeflow.data._pool import Prefetcher, ordered_map
from tapeflow.data.structure import DatasetSpec
from tapeflow.framework import dtypes, errors
from tapeflow.framework.tensor import Tensor, convert_to_tensor, wrap
from tapeflow.framework.tensor_shape import TensorShape
from tapeflow.framework.tensor_spec import TensorSpec

AUTOTUNE = -1
INFINITE = -1
UNKNOWN = -2
INFINITE_CARDINALITY = INFINITE
UNKNOWN_CARDINALITY = UNKNOWN

Flat = Tuple[Any, ...]


# ---------------------------------------------------------------------------------
# Options
# ---------------------------------------------------------------------------------
class _OptionGroup:
    """A group of options (``options.threading``, ``options.autotune`` ...): accepts
    any attribute, as the pipeline's tuning knobs are not modelled."""

    def __init__(self) -> None:
        object.__setattr__(self, "_values", {})

    def __getattr__(self, key: str) -> Any:
        if key.startswith("__"):
            raise AttributeError(key)
        return self._values.get(key)

    def __setattr__(self, key: str, value: Any) -> None:
        self._values[key] = value

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, _OptionGroup) and self._values == other._values


class Options:
    """``tf.data.Options``: accepted and kept (``ds.options()``); tapeflow's pipelines
    are not tuned by them. ``deterministic=False`` lets parallel ``map`` yield results
    as they finish."""

    def __init__(self) -> None:
        self.deterministic: Optional[bool] = None
        self.experimental_deterministic: Optional[bool] = None
        self.autotune = _OptionGroup()
        self.threading = _OptionGroup()
        self.experimental_optimization = _OptionGroup()
        self.experimental_distribute = _OptionGroup()
        self.experimental_slack = False
        self.experimental_external_state_policy = None
        self.experimental_symbolic_checkpoint = False
        self.experimental_warm_start = False

    def merge(self, other: "Options") -> "Options":
        """These options, overridden by what ``other`` sets."""
        out = Options()
        defaults = vars(Options())
        for src in (self, other):
            for k, v in vars(src).items():
                if isinstance(v, _OptionGroup):
                    getattr(out, k)._values.update(v._values)
                elif v != defaults[k]:
                    setattr(out, k, v)
        return out

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Options) and vars(self) == vars(other)


# ---------------------------------------------------------------------------------
# User functions
# ---------------------------------------------------------------------------------
def _call_unpacked(fn: Callable[..., Any], element: Any) -> Any:
    """TF's calling convention: a plain tuple element is unpacked into positional
    arguments; anything else (a dict, a namedtuple, a tensor) is one argument."""
    if type(element) is tuple:
        return fn(*element)
    return fn(element)


def _placeholder(spec: Any, size: int) -> Any:
    if isinstance(spec, DatasetSpec):
        raise TypeError("a traced function cannot take a Dataset")
    dims = spec.shape.as_list() if spec.shape.rank is not None else [size]
    shape = [size if d is None else d for d in dims]
    return convert_to_tensor(np.full(shape, size, spec.dtype.as_numpy_dtype))


class _Function:
    """A user function applied to dataset elements: traced with tf.function when its
    inputs are Tensors (falling back to eager calls if it cannot be traced), with its
    output structure and specs found once, when the dataset is built."""

    def __init__(self, fn: Callable[..., Any], input_spec: Any, what: str,
                 trace: bool = True) -> None:
        if not callable(fn):
            raise TypeError(f"`{what}` must be callable, got {fn!r}")
        self.python_function = fn
        self.what = what
        self.input_spec = input_spec
        leaves = nest.flatten(input_spec)
        self.traced = trace and all(isinstance(s, TensorSpec) for s in leaves)
        self.call = fn
        if self.traced:
            from tapeflow.graph.function import function as tf_function

            self.call = tf_function(fn)
        self.output_spec: Any = None
        self.output_structure: Any = None

    def find_output_spec(self) -> Any:
        """Calls the function on two placeholder elements (unknown dimensions and all
        values 1, then 2) and relaxes what it returns into the output's element spec:
        a dimension that depends on the input's sizes or values becomes None."""
        leaves = nest.flatten(self.input_spec)
        outs = []
        for size in (1, 2):
            element = nest.pack_sequence_as(self.input_spec,
                                            [_placeholder(s, size) for s in leaves]) \
                if nest.is_nested(self.input_spec) else _placeholder(self.input_spec, size)
            outs.append(self._apply_to(element))
        structure = outs[0]
        specs = [_structure.spec_of_leaf(v) for v in nest.flatten(structure)]
        for other in outs[1:]:
            specs = [_structure.relax(a, _structure.spec_of_leaf(b))
                     for a, b in zip(specs, nest.flatten(other))]
        self.output_structure = structure
        self.output_spec = nest.pack_sequence_as(structure, specs) \
            if nest.is_nested(structure) else specs[0]
        return self.output_spec

    def _apply_to(self, element: Any) -> Any:
        try:
            out = _call_unpacked(self.call, element)
        except (NotImplementedError, AttributeError):
            if not self.traced:
                raise
            # Not traceable (a .numpy() read, a data-dependent shape): run eagerly (a
            # real mistake raises again there).
            self.traced = False
            self.call = self.python_function
            out = _call_unpacked(self.call, element)
        return _as_tensors(out)

    def __call__(self, element: Any) -> Any:
        return _as_tensors(_call_unpacked(self.call, element))


def _as_tensors(value: Any) -> Any:
    """A function's result as an element: lists become tuples, leaves Tensors."""
    t = type(value)
    if t is Tensor:
        return value
    if t is tuple:
        for v in value:
            if type(v) is not Tensor:
                break
        else:
            return value  # a tuple of Tensors: the common map result
    value = _structure.normalize(value)
    if nest.is_nested(value):
        return nest.map_structure(_structure.to_tensor_leaf, value)
    return _structure.to_tensor_leaf(value)




def _int_arg(value: Any, name: str) -> int:
    if isinstance(value, Tensor):
        value = value.numpy()
    try:
        return int(value)
    except (TypeError, ValueError):
        raise TypeError(f"`{name}` must be an integer, got {value!r}") from None


# ---------------------------------------------------------------------------------
# Dataset
# ---------------------------------------------------------------------------------
class Dataset:
    """Represents a potentially large set of elements (``tf.data.Dataset``)."""

    _spec: Any = None
    _inputs: Tuple["Dataset", ...] = ()
    _own_options: Optional[Options] = None

    # -- what subclasses provide -------------------------------------------------------
    def _iter_flat(self) -> Iterator[Flat]:
        """A fresh pass over the elements, each as a tuple of its leaves."""
        raise NotImplementedError

    def _cardinality(self) -> int:
        return UNKNOWN

    # Datasets whose elements are rows of one from_tensor_slices source, selected and
    # reordered (shuffle, repeat, take, skip, shard over it) also describe a pass as
    # chunks of row indices: batch then gathers each batch with one op per component
    # instead of slicing and stacking rows one by one. Their element-by-element pass
    # reads the same index chunks, so both give the same order.
    def _index_source(self) -> Optional["_TensorSliceDataset"]:
        """The from_tensor_slices dataset whose rows the elements are, if any."""
        return None

    def _iter_indices(self) -> Iterator[np.ndarray]:
        """A fresh pass as chunks of row indices into ``_index_source()``."""
        raise NotImplementedError

    def _rows(self) -> Iterator[Flat]:
        """A pass element by element, from the index chunks."""
        source = self._index_source()
        assert source is not None
        for chunk in self._iter_indices():
            for i in chunk.tolist():
                yield source._row(i)

    # -- structure -------------------------------------------------------------------
    @property
    def element_spec(self) -> Any:
        """The type specification of an element (``TensorSpec`` nests)."""
        return self._spec

    def _pack(self, flat: Flat) -> Any:
        return _packer(self._spec)(flat)

    def _elements(self) -> Iterator[Any]:
        """A fresh pass over the elements, packed."""
        pack = _packer(self._spec)
        for flat in self._iter_flat():
            yield pack(flat)

    # -- Python protocol -------------------------------------------------------------
    def __iter__(self) -> "OwnedIterator":
        from tapeflow.framework import tracing

        if tracing.stack:
            raise NotImplementedError(
                "Iterating a tf.data.Dataset inside a tf.function is not supported yet "
                "(TF turns the loop into a graph loop over the dataset; tapeflow would "
                "unroll it into the trace). Iterate outside the function and call it per "
                "batch, e.g. `for x, y in ds: train_step(x, y)`.")
        return OwnedIterator(self)

    def __len__(self) -> int:
        n = self._cardinality()
        if n == INFINITE:
            raise TypeError("The dataset is infinite.")
        if n == UNKNOWN:
            raise TypeError("The dataset length is unknown.")
        return n

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        name = getattr(type(self), "_tf_name", type(self).__name__)
        return f"<{name} element_spec={self._spec!r}>"

    def cardinality(self) -> Tensor:
        """The number of elements as an int64 scalar: ``INFINITE_CARDINALITY`` (-1) or
        ``UNKNOWN_CARDINALITY`` (-2) when it is not known without iterating."""
        return convert_to_tensor(np.int64(self._cardinality()))

    def as_numpy_iterator(self) -> Iterator[Any]:
        """Iterates the elements as numpy values (``tf.data.Dataset.as_numpy_iterator``)."""
        for leaf in nest.flatten(self._spec):
            if isinstance(leaf, DatasetSpec):
                raise TypeError("Dataset.as_numpy_iterator() is not supported for datasets "
                                "that produce values of type DatasetSpec")
        pack = _packer(self._spec)
        for flat in self._iter_flat():
            yield pack(tuple([v.numpy() for v in flat]))

    def options(self) -> Options:
        """The options of this dataset and its inputs, merged."""
        out = Options()
        for d in self._inputs:
            out = out.merge(d.options())
        if self._own_options is not None:
            out = out.merge(self._own_options)
        return out

    def with_options(self, options: Options, name: Optional[str] = None) -> "Dataset":
        if not isinstance(options, Options):
            raise TypeError(f"`options` must be a tf.data.Options, got {options!r}")
        return _OptionsDataset(self, options)

    # -- sources -----------------------------------------------------------------------
    @staticmethod
    def from_tensor_slices(tensors: Any, name: Optional[str] = None) -> "Dataset":
        """One element per slice along the first dimension of every component."""
        return _TensorSliceDataset(tensors)

    @staticmethod
    def from_tensors(tensors: Any, name: Optional[str] = None) -> "Dataset":
        """A single element: ``tensors``."""
        return _TensorDataset(tensors)

    @staticmethod
    def range(*args: Any, **kwargs: Any) -> "Dataset":
        """``range(stop)``, ``range(start, stop[, step])``; int64 elements by default
        (``output_type=``)."""
        return _RangeDataset(*args, **kwargs)

    @staticmethod
    def from_generator(generator: Callable[..., Any], output_types: Any = None,
                       output_shapes: Any = None, args: Any = None,
                       output_signature: Any = None, name: Optional[str] = None
                       ) -> "Dataset":
        """Elements produced by calling ``generator(*args)`` for each pass."""
        return _GeneratorDataset(generator, output_types, output_shapes, args,
                                 output_signature)

    @staticmethod
    def zip(*datasets: Any, name: Optional[str] = None) -> "Dataset":
        """Elements of several datasets side by side, in their nest
        (``Dataset.zip(a, b)`` or ``Dataset.zip((a, b))``)."""
        if not datasets:
            raise TypeError("Must pass at least one dataset to `zip`.")
        structure = datasets[0] if len(datasets) == 1 else datasets
        return _ZipDataset(structure)

    @staticmethod
    def list_files(file_pattern: Any, shuffle: Any = None, seed: Any = None,
                   name: Optional[str] = None) -> "Dataset":
        raise NotImplementedError(
            "tf.data.Dataset.list_files yields file names as tf.string tensors, and "
            "tapeflow has no string dtype yet. Build the list in Python (glob.glob) and "
            "read the files in a generator (Dataset.from_generator).")

    @staticmethod
    def load(path: str, element_spec: Any = None, compression: Any = None,
             reader_func: Any = None) -> "Dataset":
        """A dataset saved with ``Dataset.save`` (tapeflow's format: TF cannot read it,
        nor tapeflow TF's)."""
        return _LoadDataset(path, element_spec)

    # -- transformations -----------------------------------------------------------
    def map(self, map_func: Callable[..., Any], num_parallel_calls: Any = None,
            deterministic: Any = None, name: Optional[str] = None) -> "Dataset":
        """``map_func`` applied to each element (a tuple element is unpacked into
        positional arguments, as TF)."""
        if num_parallel_calls is None:
            return _MapDataset(self, map_func)
        return _ParallelMapDataset(self, map_func, num_parallel_calls, deterministic)

    def filter(self, predicate: Callable[..., Any], name: Optional[str] = None
               ) -> "Dataset":
        return _FilterDataset(self, predicate)

    def batch(self, batch_size: Any, drop_remainder: bool = False,
              num_parallel_calls: Any = None, deterministic: Any = None,
              name: Optional[str] = None) -> "Dataset":
        return _BatchDataset(self, batch_size, drop_remainder)

    def unbatch(self, name: Optional[str] = None) -> "Dataset":
        return _UnbatchDataset(self)

    def padded_batch(self, batch_size: Any, padded_shapes: Any = None,
                     padding_values: Any = None, drop_remainder: bool = False,
                     name: Optional[str] = None) -> "Dataset":
        return _PaddedBatchDataset(self, batch_size, padded_shapes, padding_values,
                                   drop_remainder)

    def rebatch(self, batch_size: Any, drop_remainder: bool = False,
                name: Optional[str] = None) -> "Dataset":
        """Batches of ``batch_size`` from the elements of a batched dataset (as
        ``unbatch().batch(batch_size)``)."""
        for s in nest.flatten(self._spec):
            if s.shape.rank == 0:
                raise ValueError(
                    "Invalid `batch_sizes`. Expected dataset with rank of >= 1 but found "
                    "a dataset with scalar elements. Fix the issue by adding the `batch` "
                    "transformation to the dataset.")
        return _RebatchDataset(self, batch_size, drop_remainder)

    def shuffle(self, buffer_size: Any, seed: Any = None,
                reshuffle_each_iteration: Any = True, name: Optional[str] = None
                ) -> "Dataset":
        return _ShuffleDataset(self, buffer_size, seed, reshuffle_each_iteration)

    def repeat(self, count: Any = None, name: Optional[str] = None) -> "Dataset":
        return _RepeatDataset(self, count)

    def take(self, count: Any, name: Optional[str] = None) -> "Dataset":
        return _TakeDataset(self, count)

    def skip(self, count: Any, name: Optional[str] = None) -> "Dataset":
        return _SkipDataset(self, count)

    def shard(self, num_shards: Any, index: Any, name: Optional[str] = None
              ) -> "Dataset":
        return _ShardDataset(self, num_shards, index)

    def enumerate(self, start: Any = 0, name: Optional[str] = None) -> "Dataset":
        """(index, element) pairs, the index an int64 counting from ``start``."""
        max_value = np.iinfo(np.int64).max
        return Dataset.zip(Dataset.range(start, max_value), self)

    def concatenate(self, dataset: "Dataset", name: Optional[str] = None) -> "Dataset":
        return _ConcatenateDataset(self, dataset)

    def prefetch(self, buffer_size: Any, name: Optional[str] = None) -> "Dataset":
        """Produces elements ahead of the consumer on a background thread."""
        return _PrefetchDataset(self, buffer_size)

    def cache(self, filename: str = "", name: Optional[str] = None) -> "Dataset":
        """Keeps the elements of the first complete pass (in memory, or in files under
        ``filename``) and replays them afterwards."""
        if filename:
            return _FileCacheDataset(self, filename)
        return CacheDataset(self)

    def apply(self, transformation_func: Callable[["Dataset"], "Dataset"]) -> "Dataset":
        out = transformation_func(self)
        if not isinstance(out, Dataset):
            raise TypeError(f"`transformation_func` must return a `tf.data.Dataset` "
                            f"object. Got {type(out)}.")
        return out

    def take_while(self, predicate: Callable[..., Any], name: Optional[str] = None
                   ) -> "Dataset":
        return _TakeWhileDataset(self, predicate)

    def unique(self, name: Optional[str] = None) -> "Dataset":
        return _UniqueDataset(self)

    def scan(self, initial_state: Any, scan_func: Callable[..., Any],
             name: Optional[str] = None) -> "Dataset":
        return _ScanDataset(self, initial_state, scan_func)

    def window(self, size: Any, shift: Any = None, stride: Any = 1,
               drop_remainder: bool = False, name: Optional[str] = None) -> "Dataset":
        return _WindowDataset(self, size, shift, stride, drop_remainder)

    def flat_map(self, map_func: Callable[..., Any], name: Optional[str] = None
                 ) -> "Dataset":
        return _FlatMapDataset(self, map_func)

    def interleave(self, map_func: Callable[..., Any], cycle_length: Any = None,
                   block_length: Any = None, num_parallel_calls: Any = None,
                   deterministic: Any = None, name: Optional[str] = None) -> "Dataset":
        return _InterleaveDataset(self, map_func, cycle_length, block_length)

    def group_by_window(self, key_func: Callable[..., Any],
                        reduce_func: Callable[..., Any], window_size: Any = None,
                        window_size_func: Any = None, name: Optional[str] = None
                        ) -> "Dataset":
        return _GroupByWindowDataset(self, key_func, reduce_func, window_size,
                                     window_size_func)

    def bucket_by_sequence_length(self, element_length_func: Callable[..., Any],
                                  bucket_boundaries: Sequence[int],
                                  bucket_batch_sizes: Sequence[int],
                                  padded_shapes: Any = None, padding_values: Any = None,
                                  pad_to_bucket_boundary: bool = False,
                                  no_padding: bool = False, drop_remainder: bool = False,
                                  name: Optional[str] = None) -> "Dataset":
        """Batches elements of similar length together (TF's bucketing by
        ``group_by_window``)."""
        boundaries = [int(b) for b in bucket_boundaries]
        sizes = [int(b) for b in bucket_batch_sizes]
        if len(sizes) != len(boundaries) + 1:
            raise ValueError(
                f"`len(bucket_batch_sizes)` must equal `len(bucket_boundaries) + 1` but "
                f"`len(bucket_batch_sizes)={len(sizes)}` and "
                f"`len(bucket_boundaries)={len(boundaries)}`.")
        length_fn = _Function(element_length_func, self._spec, "element_length_func")

        def key(*args: Any) -> Any:
            element = args[0] if len(args) == 1 else args
            n = int(length_fn(element).numpy())
            bucket = sum(1 for b in boundaries if n >= b)
            return np.int64(bucket)

        def reduce(bucket: Any, window: "Dataset") -> "Dataset":
            b = int(bucket.numpy()) if isinstance(bucket, Tensor) else int(bucket)
            if no_padding:
                return window.batch(sizes[b], drop_remainder=drop_remainder)
            shapes = padded_shapes
            if pad_to_bucket_boundary:
                if b == len(boundaries):
                    raise errors.InvalidArgumentError(
                        None, None, "When pad_to_bucket_boundary=True, elements must have "
                        "length < max(bucket_boundaries).")
                bound = boundaries[b] - 1
                shapes = nest.map_structure(
                    lambda s: TensorShape([bound] + s.shape.as_list()[1:])
                    if s.shape.rank else s.shape, window.element_spec) \
                    if padded_shapes is None else padded_shapes
            return window.padded_batch(sizes[b], shapes, padding_values,
                                       drop_remainder=drop_remainder)

        return _GroupByWindowDataset(self, key, reduce, None,
                                     lambda bucket: np.int64(sizes[int(bucket.numpy())]),
                                     eager_key=True)

    def reduce(self, initial_state: Any, reduce_func: Callable[..., Any],
               name: Optional[str] = None) -> Any:
        """Folds the elements into one value: ``reduce_func(state, element)``."""
        state = _as_tensors(initial_state)
        for element in self._elements():
            new = _as_tensors(reduce_func(state, element))
            _check_state(state, new, "reduce_func")
            state = new
        return state

    def get_single_element(self, name: Optional[str] = None) -> Any:
        it = self._elements()
        try:
            first = next(it)
        except StopIteration:
            raise errors.InvalidArgumentError(
                None, None, "Dataset was empty.") from None
        for _ in it:
            raise errors.InvalidArgumentError(
                None, None, "Dataset had more than one element.")
        return first

    def save(self, path: str, compression: Any = None, shard_func: Any = None,
             checkpoint_args: Any = None) -> None:
        """Writes the elements under directory ``path`` (tapeflow's own format: one
        ``.npz`` per element batch and the element spec as JSON), for
        ``Dataset.load``."""
        _save(self, path)

    @staticmethod
    def random(seed: Any = None, rerandomize_each_iteration: Any = None,
               name: Optional[str] = None) -> "Dataset":
        return _RandomDataset(seed, rerandomize_each_iteration)

    @staticmethod
    def sample_from_datasets(datasets: Sequence["Dataset"], weights: Any = None,
                             seed: Any = None, stop_on_empty_dataset: bool = False,
                             rerandomize_each_iteration: Any = None) -> "Dataset":
        return _SampleDataset(list(datasets), weights, seed, stop_on_empty_dataset)

    @staticmethod
    def choose_from_datasets(datasets: Sequence["Dataset"], choice_dataset: "Dataset",
                             stop_on_empty_dataset: bool = True) -> "Dataset":
        return _ChooseDataset(list(datasets), choice_dataset, stop_on_empty_dataset)


def _first(flat: Flat) -> Any:
    return flat[0]


def _same(flat: Flat) -> Any:
    return flat


def _packer(spec: Any) -> Callable[[Flat], Any]:
    """flat tuple -> element, for elements of this spec: the leaf itself, the tuple
    itself (a plain tuple of leaves), or a general nest."""
    if not nest.is_nested(spec):
        return _first
    if type(spec) is tuple and not any(nest.is_nested(s) for s in spec):
        return _same
    return lambda flat: nest.pack_sequence_as(spec, list(flat))


def _flat_of(value: Any) -> Flat:
    """element -> flat tuple (the inverse of _packer)."""
    if type(value) is tuple:
        for v in value:
            if nest.is_nested(v):
                return tuple(nest.flatten(value))
        return value
    if nest.is_nested(value):
        return tuple(nest.flatten(value))
    return (value,)


def _check_state(old: Any, new: Any, what: str) -> None:
    try:
        nest.assert_same_structure(old, new)
    except (TypeError, ValueError) as e:
        raise TypeError(f"The element types for the new state must match the initial "
                        f"state of `{what}`: {e}") from None
    for a, b in zip(nest.flatten(old), nest.flatten(new)):
        if a.dtype != b.dtype:
            raise TypeError(f"The element types for the new state must match the initial "
                            f"state. Expected {a.dtype!r}; got {b.dtype!r}.")


class OwnedIterator:
    """An iterator over a Dataset (``iter(ds)``): ``next()`` gives the next element;
    ``get_next()``/``get_next_as_optional()`` as TF's ``OwnedIterator``."""

    def __init__(self, dataset: Dataset) -> None:
        self._dataset = dataset
        self._flat = dataset._iter_flat()
        self._spec = dataset._spec
        self._packer = _packer(dataset._spec)

    @property
    def element_spec(self) -> Any:
        return self._spec

    def __iter__(self) -> "OwnedIterator":
        return self

    def __next__(self) -> Any:
        return self._packer(next(self._flat))

    def get_next(self) -> Any:
        try:
            return self.__next__()
        except StopIteration:
            raise errors.OutOfRangeError(None, None, "End of sequence") from None


# ---------------------------------------------------------------------------------
# Sources
# ---------------------------------------------------------------------------------
def _to_components(tensors: Any) -> Tuple[Any, List[Tensor]]:
    """``tensors`` as an element: its nest (of Tensors) and its Tensors. As TF, only
    tuples, namedtuples and dicts nest here: a list is one tensor."""
    if isinstance(tensors, Dataset):
        raise TypeError("a Dataset cannot be a component of from_tensors/"
                        "from_tensor_slices")
    if type(tensors) is list or not nest.is_nested(tensors):
        return None, [_structure.to_tensor_leaf(tensors)]
    structure = _input_structure(tensors)
    return structure, nest.flatten(structure)


def _input_structure(value: Any) -> Any:
    """A nest of inputs with its leaves (lists included) converted to Tensors."""
    if isinstance(value, dict):
        return type(value)((k, _input_structure(v)) for k, v in value.items())
    if type(value) is tuple:
        return tuple(_input_structure(v) for v in value)
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*[_input_structure(v) for v in value])
    return _structure.to_tensor_leaf(value)


def _pack_spec(structure: Any, specs: List[Any]) -> Any:
    if structure is None or not nest.is_nested(structure):
        return specs[0]
    return nest.pack_sequence_as(structure, specs)


class _TensorDataset(Dataset):
    def __init__(self, tensors: Any) -> None:
        structure, self._leaves = _to_components(tensors)
        self._spec = _pack_spec(structure, [_structure.spec_of_leaf(v)
                                            for v in self._leaves])

    def _iter_flat(self) -> Iterator[Flat]:
        yield tuple(self._leaves)

    def _cardinality(self) -> int:
        return 1


class _TensorSliceDataset(Dataset):
    def __init__(self, tensors: Any) -> None:
        structure, leaves = _to_components(tensors)
        if not leaves:
            raise ValueError("Invalid `tensors`: an empty structure has no slices.")
        for t in leaves:
            if t._a.ndim == 0:
                raise ValueError(
                    f"Unbatching a tensor is only supported for rank >= 1, but got "
                    f"shape {tuple(t._a.shape)} in from_tensor_slices "
                    f"(TF's InvalidArgumentError: a scalar has no slices).")
        n = leaves[0]._a.shape[0]
        for t in leaves[1:]:
            if t._a.shape[0] != n:
                sizes = ", ".join(str(x._a.shape[0]) for x in leaves)
                raise errors.InvalidArgumentError(
                    None, None, f"All components must have the same size in the first "
                    f"dimension, got sizes {sizes} [Op:TensorSliceDataset]")
        self._leaves = leaves
        self._n = n
        self._spec = _pack_spec(structure, [TensorSpec(t._a.shape[1:], t.dtype)
                                            for t in leaves])

    def _iter_flat(self) -> Iterator[Flat]:
        return self._rows()

    def _cardinality(self) -> int:
        return self._n

    def _index_source(self) -> Optional["_TensorSliceDataset"]:
        return self

    def _iter_indices(self) -> Iterator[np.ndarray]:
        yield np.arange(self._n, dtype=np.int64)

    def _row(self, i: int) -> Flat:
        from tapeflow import _core

        return tuple([wrap(_core.slice(t._a, (i,))) for t in self._leaves])

    def _gather(self, indices: np.ndarray) -> Flat:
        """The rows ``indices`` of every component (one gather each)."""
        from tapeflow import _core

        idx = convert_to_tensor(indices)._a
        return tuple([wrap(_core.gather(t._a, idx, 0)) for t in self._leaves])


class _RangeDataset(Dataset):
    def __init__(self, *args: Any, output_type: Any = dtypes.int64,
                 name: Optional[str] = None, dtype: Any = None) -> None:
        if not args or len(args) > 3:
            raise ValueError(f"Invalid `args`. The length of `args` should be between 1 "
                             f"and 3 but was {len(args)}.")
        vals = [_int_arg(a, "range argument") for a in args]
        start, stop, step = (0, vals[0], 1) if len(vals) == 1 else (
            vals[0], vals[1], vals[2] if len(vals) == 3 else 1)
        if step == 0:
            raise errors.InvalidArgumentError(None, None, "step must be a non-zero integer.")
        self._range = range(start, stop, step)
        self._dtype = dtypes.as_dtype(dtype if dtype is not None else output_type)
        self._spec = TensorSpec((), self._dtype)

    def _iter_flat(self) -> Iterator[Flat]:
        np_dtype = self._dtype.as_numpy_dtype
        for i in self._range:
            yield (convert_to_tensor(np_dtype(i)),)

    def _cardinality(self) -> int:
        return len(self._range)


def _spec_from_signature(signature: Any) -> Any:
    for s in nest.flatten(signature):
        if not isinstance(s, TensorSpec):
            raise TypeError(f"Invalid `output_signature`: every leaf must be a "
                            f"tf.TensorSpec, got {s!r}.")
    return _structure.normalize(signature)


class _GeneratorDataset(Dataset):
    _tf_name = "_FlatMapDataset"  # TF builds from_generator as a flat_map
    def __init__(self, generator: Callable[..., Any], output_types: Any,
                 output_shapes: Any, args: Any, output_signature: Any) -> None:
        if not callable(generator):
            raise TypeError("`generator` must be a Python callable.")
        if output_signature is not None:
            if output_types is not None:
                raise TypeError("The `output_types` argument can not be used together "
                                "with the `output_signature` argument.")
            if output_shapes is not None:
                raise TypeError("The `output_shapes` argument can not be used together "
                                "with the `output_signature` argument.")
            spec = _spec_from_signature(output_signature)
        else:
            if output_types is None:
                raise TypeError("To specify the output signature you need to provide "
                                "either the `output_signature` argument or the "
                                "`output_types` argument.")
            types = _structure.normalize(output_types)
            if output_shapes is None:
                shapes = nest.map_structure(lambda _: None, types) \
                    if nest.is_nested(types) else None
            else:
                shapes = _structure.normalize(output_shapes)
            if nest.is_nested(types):
                # output_shapes mirrors output_types, its leaves being shapes
                flat_shapes = _flatten_up_to(types, shapes)
                spec = nest.pack_sequence_as(types, [
                    TensorSpec(s, t) for t, s in zip(nest.flatten(types), flat_shapes)])
            else:
                spec = TensorSpec(shapes, types)
        self._generator = generator
        self._args = tuple(args) if args is not None else ()
        self._spec = spec

    def _iter_flat(self) -> Iterator[Flat]:
        specs = nest.flatten(self._spec)
        nested = nest.is_nested(self._spec)
        for value in self._generator(*self._args):
            value = _structure.normalize(value)
            if nested:
                try:
                    nest.assert_same_structure(self._spec, value)
                except (TypeError, ValueError):
                    raise TypeError(
                        f"`generator` yielded an element that did not match the expected "
                        f"structure. The expected structure was {self._spec}, but the "
                        f"yielded element was {value!r}.") from None
                leaves = nest.flatten(value)
            else:
                leaves = [value]
            out = []
            for spec, leaf in zip(specs, leaves):
                try:
                    t = leaf if isinstance(leaf, Tensor) else convert_to_tensor(
                        leaf, dtype=spec.dtype)
                except (TypeError, ValueError, errors.InvalidArgumentError):
                    raise TypeError(
                        f"`generator` yielded an element that could not be converted to "
                        f"the expected type. The expected type was {spec.dtype.name}, but "
                        f"the yielded element was {leaf!r}.") from None
                if t.dtype != spec.dtype:
                    raise TypeError(
                        f"`generator` yielded an element that could not be converted to "
                        f"the expected type. The expected type was {spec.dtype.name}, but "
                        f"the yielded element was {leaf!r}.")
                if not spec.shape.is_compatible_with(t.shape):
                    raise ValueError(
                        f"`generator` yielded an element of shape {t.shape} where an "
                        f"element of shape {spec.shape} was expected.")
                out.append(t)
            yield tuple(out)


# ---------------------------------------------------------------------------------
# Element-wise transformations
# ---------------------------------------------------------------------------------
class _UnaryDataset(Dataset):
    def __init__(self, input_dataset: Dataset) -> None:
        if not isinstance(input_dataset, Dataset):
            raise TypeError(f"expected a tf.data.Dataset, got {input_dataset!r}")
        self._input = input_dataset
        self._inputs = (input_dataset,)
        self._spec = input_dataset._spec

    def _cardinality(self) -> int:
        return self._input._cardinality()


class _OptionsDataset(_UnaryDataset):
    def __init__(self, input_dataset: Dataset, options: Options) -> None:
        super().__init__(input_dataset)
        self._own_options = options

    def _iter_flat(self) -> Iterator[Flat]:
        return self._input._iter_flat()


class _MapDataset(_UnaryDataset):
    def __init__(self, input_dataset: Dataset, map_func: Callable[..., Any]) -> None:
        super().__init__(input_dataset)
        self._fn = _Function(map_func, input_dataset._spec, "map_func")
        self._spec = self._fn.find_output_spec()

    def _iter_flat(self) -> Iterator[Flat]:
        fn = self._fn
        pack = _packer(self._input._spec)
        for flat in self._input._iter_flat():
            yield _flat_of(fn(pack(flat)))


class _ParallelMapDataset(_MapDataset):
    def __init__(self, input_dataset: Dataset, map_func: Callable[..., Any],
                 num_parallel_calls: Any, deterministic: Any) -> None:
        super().__init__(input_dataset, map_func)
        n = _int_arg(num_parallel_calls, "num_parallel_calls")
        if n != AUTOTUNE and n < 1:
            raise ValueError(f"num_parallel_calls must be positive or AUTOTUNE, got {n}")
        self._parallel = max(2, os.cpu_count() or 2) if n == AUTOTUNE else n
        self._deterministic = deterministic

    def _iter_flat(self) -> Iterator[Flat]:
        fn = self._fn
        ordered = self._deterministic is not False and \
            self.options().deterministic is not False
        if self._parallel == 1:
            yield from super()._iter_flat()
            return
        for out in ordered_map(lambda e: _flat_of(fn(e)), self._input._elements(),
                               self._parallel, ordered):
            yield out


def _predicate(fn: Callable[..., Any], input_spec: Any) -> _Function:
    """A filter/take_while predicate, checked to return a scalar bool (TF's error)."""
    traced = _Function(fn, input_spec, "predicate")
    out = traced.find_output_spec()
    if not isinstance(out, TensorSpec) or out.dtype != dtypes.bool or out.shape.rank != 0:
        raise ValueError(f"Invalid `predicate`. `predicate` must return a `tf.bool` scalar "
                         f"tensor, but its return type is {out}.")
    return traced


class _FilterDataset(_UnaryDataset):
    def __init__(self, input_dataset: Dataset, predicate: Callable[..., Any]) -> None:
        super().__init__(input_dataset)
        self._fn = _predicate(predicate, input_dataset._spec)

    def _iter_flat(self) -> Iterator[Flat]:
        fn = self._fn
        pack = _packer(self._spec)
        for flat in self._input._iter_flat():
            if bool(fn(pack(flat))):
                yield flat

    def _cardinality(self) -> int:
        return INFINITE if self._input._cardinality() == INFINITE else UNKNOWN


class _TakeWhileDataset(_UnaryDataset):
    def __init__(self, input_dataset: Dataset, predicate: Callable[..., Any]) -> None:
        super().__init__(input_dataset)
        self._fn = _predicate(predicate, input_dataset._spec)

    def _iter_flat(self) -> Iterator[Flat]:
        fn = self._fn
        for flat in self._input._iter_flat():
            if not bool(fn(self._pack(flat)).numpy()):
                return
            yield flat

    def _cardinality(self) -> int:
        return UNKNOWN


class _ScanDataset(_UnaryDataset):
    def __init__(self, input_dataset: Dataset, initial_state: Any,
                 scan_func: Callable[..., Any]) -> None:
        super().__init__(input_dataset)
        self._initial = _as_tensors(initial_state)
        state_spec = nest.map_structure(_structure.spec_of_leaf, self._initial) \
            if nest.is_nested(self._initial) else _structure.spec_of_leaf(self._initial)
        self._fn = _Function(scan_func, (state_spec, input_dataset._spec), "scan_func")
        out = self._fn.find_output_spec()
        if not (isinstance(out, tuple) and len(out) == 2):
            raise TypeError("The scan function must return a pair comprising the new "
                            "state and the output value.")
        self._spec = out[1]

    def _iter_flat(self) -> Iterator[Flat]:
        state = self._initial
        for element in self._input._elements():
            new_state, value = self._fn((state, element))
            _check_state(state, new_state, "scan_func")
            state = new_state
            yield _flat_of(value)


class _UniqueDataset(_UnaryDataset):
    def __init__(self, input_dataset: Dataset) -> None:
        super().__init__(input_dataset)
        spec = input_dataset._spec
        if not isinstance(spec, TensorSpec) or spec.shape.rank != 0 or \
                spec.dtype not in (dtypes.int32, dtypes.int64):
            raise TypeError("`tf.data.Dataset.unique` does not support type "
                            f"{spec!r}: its elements must be integer scalars "
                            "(tapeflow has no strings).")

    def _iter_flat(self) -> Iterator[Flat]:
        seen = set()
        for flat in self._input._iter_flat():
            key = int(flat[0].numpy())
            if key not in seen:
                seen.add(key)
                yield flat

    def _cardinality(self) -> int:
        return INFINITE if self._input._cardinality() == INFINITE else UNKNOWN


# ---------------------------------------------------------------------------------
# Batching
# ---------------------------------------------------------------------------------
def _stack(values: List[Any]) -> Any:
    from tapeflow.ops import array_ops

    if isinstance(values[0], Dataset):
        raise TypeError("batching datasets of datasets is not supported")
    return array_ops.stack(values)


def _batch_size(value: Any, name: str = "batch_size") -> int:
    n = _int_arg(value, name)
    if n <= 0:
        raise errors.InvalidArgumentError(None, None, f"{name} must be greater than zero.")
    return n


class _BatchDataset(_UnaryDataset):
    def __init__(self, input_dataset: Dataset, batch_size: Any, drop_remainder: bool
                 ) -> None:
        super().__init__(input_dataset)
        self._size = _batch_size(batch_size)
        self._drop = bool(drop_remainder)
        known = self._size if self._drop else None  # (TF: the last batch may be short)
        self._spec = nest.map_structure(lambda s: _structure.batched(s, known),
                                        input_dataset._spec)

    def _iter_flat(self) -> Iterator[Flat]:
        size, drop = self._size, self._drop
        source = self._input._index_source()
        if source is not None and type(self) is _BatchDataset:
            pending = np.zeros(0, np.int64)  # rows of one source: one gather per batch
            for chunk in self._input._iter_indices():
                pending = np.concatenate([pending, chunk]) if len(pending) else chunk
                start = 0
                while len(pending) - start >= size:
                    yield source._gather(pending[start:start + size])
                    start += size
                pending = pending[start:]
            if len(pending) and not drop:
                yield source._gather(pending)
            return
        yield from self._batches(self._input._iter_flat())

    def _batches(self, elements: Iterator[Flat]) -> Iterator[Flat]:
        """Collated batches of ``elements`` (the last one short unless dropped)."""
        size, drop = self._size, self._drop
        buf: List[Flat] = []
        for flat in elements:
            buf.append(flat)
            if len(buf) == size:
                yield self._collate(buf)
                buf = []
        if buf and not drop:
            yield self._collate(buf)

    def _in_memory(self) -> bool:
        """Whether a pass is only index arithmetic and gathers (nothing to prefetch)."""
        return self._input._index_source() is not None and type(self) is _BatchDataset

    def _collate(self, buf: List[Flat]) -> Flat:
        try:
            return tuple(_stack([f[k] for f in buf]) for k in range(len(buf[0])))
        except errors.InvalidArgumentError as e:
            raise errors.InvalidArgumentError(
                None, None, "Cannot batch tensors with different shapes in component 0. "
                f"First element had shape {list(buf[0][0]._a.shape)}; use "
                f"padded_batch or ragged_batch ({e.message if hasattr(e, 'message') else e})"
            ) from None

    def _cardinality(self) -> int:
        n = self._input._cardinality()
        if n < 0:
            return n
        return n // self._size if self._drop else -(-n // self._size)


class _RebatchDataset(_BatchDataset):
    def __init__(self, input_dataset: Dataset, batch_size: Any, drop_remainder: bool
                 ) -> None:
        _UnaryDataset.__init__(self, input_dataset)
        self._size = _batch_size(batch_size)
        self._drop = bool(drop_remainder)
        known = self._size if self._drop else None
        self._spec = nest.map_structure(
            lambda s: TensorSpec([known] + s.shape.as_list()[1:], s.dtype),
            input_dataset._spec)
        self._unbatched = _UnbatchDataset(input_dataset)

    def _iter_flat(self) -> Iterator[Flat]:
        return self._batches(self._unbatched._iter_flat())

    def _cardinality(self) -> int:
        return UNKNOWN if self._input._cardinality() != INFINITE else INFINITE


class _UnbatchDataset(_UnaryDataset):
    def __init__(self, input_dataset: Dataset) -> None:
        super().__init__(input_dataset)
        self._spec = nest.map_structure(_structure.unbatched, input_dataset._spec)

    def _iter_flat(self) -> Iterator[Flat]:
        from tapeflow import _core

        for flat in self._input._iter_flat():
            n = flat[0]._a.shape[0]
            for k, t in enumerate(flat):
                if t._a.shape[0] != n:
                    raise errors.InvalidArgumentError(
                        None, None, "Input element must have the same batch size in each "
                        f"component. Component 0 had size {n} but component {k} had "
                        f"size {t._a.shape[0]}.")
            arrays = [t._a for t in flat]
            for i in range(n):
                yield tuple([wrap(_core.slice(a, (i,))) for a in arrays])

    def _cardinality(self) -> int:
        return INFINITE if self._input._cardinality() == INFINITE else UNKNOWN


class _PaddedBatchDataset(_BatchDataset):
    def __init__(self, input_dataset: Dataset, batch_size: Any, padded_shapes: Any,
                 padding_values: Any, drop_remainder: bool) -> None:
        _UnaryDataset.__init__(self, input_dataset)
        self._size = _batch_size(batch_size)
        self._drop = bool(drop_remainder)
        in_spec = input_dataset._spec
        leaves = nest.flatten(in_spec)
        for s in leaves:
            if s.shape.rank is None and padded_shapes is None:
                raise ValueError("You must provide `padded_shapes` argument because "
                                 "component 0 has unknown rank.")
        if padded_shapes is None:
            shapes = [TensorShape(s.shape.as_list()) for s in leaves]
        else:
            given = _structure.normalize(padded_shapes)
            flat_given = nest.flatten(given) if nest.is_nested(in_spec) else [given]
            if nest.is_nested(in_spec) and len(flat_given) != len(leaves):
                # padded_shapes' leaves are shapes (lists): flatten against the spec
                flat_given = _flatten_up_to(in_spec, given)
            shapes = [TensorShape(_shape_list(g)) for g in flat_given]
        for s, p in zip(leaves, shapes):
            if s.shape.rank is not None and p.rank != s.shape.rank:
                raise ValueError(f"The padded shape {p} is not compatible with the shape "
                                 f"{s.shape} of the corresponding input component.")
            if s.shape.rank is not None:
                for a, b in zip(s.shape.as_list(), p.as_list()):
                    if a is not None and b is not None and b < a:
                        raise ValueError(
                            f"The padded shape {p} is not compatible with the shape "
                            f"{s.shape} of the corresponding input component.")
        self._shapes = [p.as_list() for p in shapes]
        if padding_values is None:
            pads = [_structure.default_padding(s) for s in leaves]
        else:
            pv = _structure.normalize(padding_values)
            pads = nest.flatten(pv) if nest.is_nested(pv) else [pv] * len(leaves)
        self._pads = []
        for s, v in zip(leaves, pads):
            t = v if isinstance(v, Tensor) else convert_to_tensor(v, dtype=s.dtype)
            if t.dtype != s.dtype:
                raise TypeError(f"Padding value dtype {t.dtype!r} does not match the "
                                f"component dtype {s.dtype!r}.")
            if t._a.ndim != 0:
                raise ValueError(f"Padding value should be a scalar, but is not: {t}")
            self._pads.append(t.numpy())
        known = self._size if self._drop else None
        self._spec = _pack_spec(in_spec, [
            TensorSpec([known] + list(p), s.dtype)
            for s, p in zip(leaves, self._shapes)])

    def _collate(self, buf: List[Flat]) -> Flat:
        out = []
        for k, (shape, pad) in enumerate(zip(self._shapes, self._pads)):
            values = [f[k].numpy() for f in buf]
            target = [max(v.shape[d] for v in values) if dim is None else dim
                      for d, dim in enumerate(shape)]
            batch = np.full([len(values)] + target, pad, dtype=values[0].dtype)
            for i, v in enumerate(values):
                if any(a > b for a, b in zip(v.shape, target)):
                    raise errors.InvalidArgumentError(
                        None, None, "Attempted to pad to a smaller size than the input "
                        "element.")
                batch[(i,) + tuple(slice(0, d) for d in v.shape)] = v
            out.append(convert_to_tensor(batch))
        return tuple(out)


def _shape_list(value: Any) -> List[Optional[int]]:
    if isinstance(value, TensorShape):
        return value.as_list() if value.rank is not None else []
    if isinstance(value, Tensor):
        value = value.numpy().tolist()
    if isinstance(value, (int, np.integer)):
        return [int(value)]
    return [None if d is None or (isinstance(d, (int, np.integer)) and d < 0) else int(d)
            for d in value]


def _flatten_up_to(spec: Any, shapes: Any) -> List[Any]:
    """``shapes`` flattened down to ``spec``'s leaves (its leaves being lists)."""
    if not nest.is_nested(spec):
        return [shapes]
    if isinstance(spec, dict):
        return [x for k in sorted(spec) for x in _flatten_up_to(spec[k], shapes[k])]
    return [x for s, v in zip(spec, shapes) for x in _flatten_up_to(s, v)]


# ---------------------------------------------------------------------------------
# Reordering and selection
# ---------------------------------------------------------------------------------
def _seed_pair(seed: Any) -> Tuple[Optional[int], Optional[int]]:
    from tapeflow.ops import random_ops

    return random_ops.get_seed(None if seed is None else _int_arg(seed, "seed"))


class _ShuffleDataset(_UnaryDataset):
    def __init__(self, input_dataset: Dataset, buffer_size: Any, seed: Any,
                 reshuffle_each_iteration: Any) -> None:
        super().__init__(input_dataset)
        self._buffer = _int_arg(buffer_size, "buffer_size")
        if self._buffer == AUTOTUNE:
            self._buffer = 1 << 16
        if self._buffer <= 0:
            raise errors.InvalidArgumentError(
                None, None, "buffer_size must be greater than zero.")
        seeds = _seed_pair(seed)
        if seeds[0] is None:  # no seed: fresh entropy per dataset
            seeds = (int(np.random.SeedSequence().entropy % (2**31)), 0)
        self._seeds = seeds
        self._reshuffle = reshuffle_each_iteration is None or bool(reshuffle_each_iteration)
        self._epoch = 0
        self._lock = threading.Lock()

    def _rng(self) -> np.random.Generator:
        with self._lock:
            epoch = self._epoch
            if self._reshuffle:
                self._epoch += 1
        return np.random.Generator(np.random.PCG64(
            [self._seeds[0], self._seeds[1], epoch if self._reshuffle else 0]))

    def _index_source(self) -> Optional["_TensorSliceDataset"]:
        return self._input._index_source()

    def _iter_indices(self) -> Iterator[np.ndarray]:
        rng = self._rng()
        n = self._input._cardinality()
        if 0 <= n <= self._buffer:  # the buffer holds everything: a uniform permutation
            chunks = list(self._input._iter_indices())
            idx = np.concatenate(chunks) if chunks else np.zeros(0, np.int64)
            yield idx[rng.permutation(len(idx))]
            return
        out: List[int] = []
        for i in self._buffered(rng, (i for c in self._input._iter_indices()
                                      for i in c.tolist())):
            out.append(i)
            if len(out) == 4096:
                yield np.asarray(out, np.int64)
                out = []
        if out:
            yield np.asarray(out, np.int64)

    def _iter_flat(self) -> Iterator[Flat]:
        if self._index_source() is not None:
            return self._rows()
        return self._buffered(self._rng(), self._input._iter_flat())

    def _buffered(self, rng: np.random.Generator, source: Iterator[Any]) -> Iterator[Any]:
        """TF's shuffle buffer over any stream of items."""
        draws: List[float] = []

        def slot(n: int) -> int:  # a uniform slot of n, from draws made 4096 at a time
            if not draws:
                draws.extend(rng.random(4096).tolist())
            return int(draws.pop() * n)

        buf: List[Any] = []
        size = self._buffer
        for flat in source:  # fill the buffer
            buf.append(flat)
            if len(buf) == size:
                break
        for flat in source:  # TF's algorithm: emit a random slot, refill it
            j = slot(len(buf))
            out = buf[j]
            buf[j] = flat
            yield out
        while buf:
            j = slot(len(buf))
            buf[j], buf[-1] = buf[-1], buf[j]
            yield buf.pop()


class _RepeatDataset(_UnaryDataset):
    def __init__(self, input_dataset: Dataset, count: Any) -> None:
        super().__init__(input_dataset)
        self._count = -1 if count is None else _int_arg(count, "count")

    def _iter_flat(self) -> Iterator[Flat]:
        if self._index_source() is not None:
            yield from self._rows()
            return
        k = 0
        while self._count < 0 or k < self._count:
            any_element = False
            for flat in self._input._iter_flat():
                any_element = True
                yield flat
            k += 1
            if not any_element:  # an empty input repeats to an empty dataset
                return

    def _index_source(self) -> Optional["_TensorSliceDataset"]:
        return self._input._index_source()

    def _iter_indices(self) -> Iterator[np.ndarray]:
        k = 0
        while self._count < 0 or k < self._count:
            any_index = False
            for chunk in self._input._iter_indices():
                any_index = any_index or len(chunk) > 0
                yield chunk
            k += 1
            if not any_index:
                return

    def _cardinality(self) -> int:
        n = self._input._cardinality()
        if self._count == 0:
            return 0
        if n == 0:
            return 0
        if self._count < 0:
            return INFINITE if n != UNKNOWN else UNKNOWN
        if n < 0:
            return n
        return n * self._count


class _TakeDataset(_UnaryDataset):
    def __init__(self, input_dataset: Dataset, count: Any) -> None:
        super().__init__(input_dataset)
        self._count = _int_arg(count, "count")

    def _iter_flat(self) -> Iterator[Flat]:
        if self._index_source() is not None:
            yield from self._rows()
            return
        if self._count == 0:
            return
        k = 0
        for flat in self._input._iter_flat():
            yield flat
            k += 1
            if k == self._count:
                return

    def _index_source(self) -> Optional["_TensorSliceDataset"]:
        return self._input._index_source()

    def _iter_indices(self) -> Iterator[np.ndarray]:
        left = self._count
        if left == 0:
            return
        for chunk in self._input._iter_indices():
            if left < 0:
                yield chunk
                continue
            yield chunk[:left]
            left -= min(left, len(chunk))
            if left == 0:
                return

    def _cardinality(self) -> int:
        n = self._input._cardinality()
        if self._count < 0:
            return n
        if n == INFINITE:
            return self._count
        if n == UNKNOWN:
            return UNKNOWN
        return min(n, self._count)


class _SkipDataset(_UnaryDataset):
    def __init__(self, input_dataset: Dataset, count: Any) -> None:
        super().__init__(input_dataset)
        self._count = _int_arg(count, "count")

    def _index_source(self) -> Optional["_TensorSliceDataset"]:
        return self._input._index_source()

    def _iter_indices(self) -> Iterator[np.ndarray]:
        left = self._count
        for chunk in self._input._iter_indices():
            if left < 0:
                continue
            if left >= len(chunk):
                left -= len(chunk)
                continue
            yield chunk[left:]
            left = 0

    def _iter_flat(self) -> Iterator[Flat]:
        if self._index_source() is not None:
            yield from self._rows()
            return
        it = self._input._iter_flat()
        if self._count < 0:  # skip everything
            for _ in it:
                pass
            return
        for _ in range(self._count):
            if next(it, None) is None:
                return
        yield from it

    def _cardinality(self) -> int:
        n = self._input._cardinality()
        if n < 0:
            return n
        if self._count < 0:
            return 0
        return max(0, n - self._count)


class _ShardDataset(_UnaryDataset):
    def __init__(self, input_dataset: Dataset, num_shards: Any, index: Any) -> None:
        super().__init__(input_dataset)
        self._n = _int_arg(num_shards, "num_shards")
        self._index = _int_arg(index, "index")
        if self._n <= 0:
            raise errors.InvalidArgumentError(
                None, None, "Number of shards must be greater than zero "
                f"(currently num_shards = {self._n}).")
        if not 0 <= self._index < self._n:
            raise errors.InvalidArgumentError(
                None, None, f"Index must be between 0 and {self._n - 1} "
                f"(currently index = {self._index}).")

    def _iter_flat(self) -> Iterator[Flat]:
        if self._index_source() is not None:
            yield from self._rows()
            return
        for i, flat in enumerate(self._input._iter_flat()):
            if i % self._n == self._index:
                yield flat

    def _index_source(self) -> Optional["_TensorSliceDataset"]:
        return self._input._index_source()

    def _iter_indices(self) -> Iterator[np.ndarray]:
        position = 0  # of the chunk's first item in the input
        for chunk in self._input._iter_indices():
            first = (self._index - position) % self._n
            yield chunk[first::self._n]
            position += len(chunk)

    def _cardinality(self) -> int:
        n = self._input._cardinality()
        if n < 0:
            return n
        return n // self._n + (1 if n % self._n > self._index else 0)


class _ZipDataset(Dataset):
    def __init__(self, datasets: Any) -> None:
        if type(datasets) is list:
            raise TypeError("Invalid input to `zip`. Inputs are expected to be (nested) "
                            "structures of `tf.data.Dataset` objects. Python `list` is not "
                            "supported and you should use `tuple` instead.")
        structure = _structure.normalize(datasets)
        flat = nest.flatten(structure) if nest.is_nested(structure) else [structure]
        for d in flat:
            if not isinstance(d, Dataset):
                raise TypeError(f"Invalid input to `zip`. Inputs are expected to be "
                                f"(nested) structures of `tf.data.Dataset` objects, got "
                                f"{type(d).__name__}.")
        self._structure = structure
        self._datasets = flat
        self._inputs = tuple(flat)
        self._spec = nest.pack_sequence_as(structure, [d._spec for d in flat]) \
            if nest.is_nested(structure) else flat[0]._spec

    def _iter_flat(self) -> Iterator[Flat]:
        its = [d._iter_flat() for d in self._datasets]
        while True:
            out: List[Any] = []
            for it in its:
                try:
                    out.extend(next(it))
                except StopIteration:
                    return
            yield tuple(out)

    def _cardinality(self) -> int:
        ns = [d._cardinality() for d in self._datasets]
        finite = [n for n in ns if n >= 0]
        if finite:
            return min(finite)
        return UNKNOWN if UNKNOWN in ns else INFINITE


class _ConcatenateDataset(Dataset):
    def __init__(self, first: Dataset, second: Dataset) -> None:
        if not isinstance(second, Dataset):
            raise TypeError(f"`dataset` must be a tf.data.Dataset, got {second!r}")
        a, b = first._spec, second._spec
        try:
            nest.assert_same_structure(a, b)
            compatible = all(
                type(x) is type(y) and x.dtype == y.dtype if isinstance(x, TensorSpec)
                else x == y for x, y in zip(nest.flatten(a), nest.flatten(b)))
        except (TypeError, ValueError):
            compatible = False
        if not compatible:
            raise TypeError(f"Incompatible dataset elements:\n  {a} vs. \n  {b}")
        self._first, self._second = first, second
        self._inputs = (first, second)
        specs = [_structure.relax(x, y) for x, y in zip(nest.flatten(a), nest.flatten(b))]
        self._spec = _pack_spec(a, specs)

    def _iter_flat(self) -> Iterator[Flat]:
        yield from self._first._iter_flat()
        yield from self._second._iter_flat()

    def _cardinality(self) -> int:
        a, b = self._first._cardinality(), self._second._cardinality()
        if a == INFINITE or b == INFINITE:
            return INFINITE
        if a == UNKNOWN or b == UNKNOWN:
            return UNKNOWN
        return a + b


# ---------------------------------------------------------------------------------
# Datasets of datasets
# ---------------------------------------------------------------------------------
class _ListDataset(Dataset):
    """A window's elements: a finite list of flat elements already produced."""

    def __init__(self, elements: List[Flat], spec: Any) -> None:
        self._items = elements
        self._spec = spec

    def _iter_flat(self) -> Iterator[Flat]:
        return iter(self._items)

    def _cardinality(self) -> int:
        return len(self._items)


class _WindowDataset(_UnaryDataset):
    def __init__(self, input_dataset: Dataset, size: Any, shift: Any, stride: Any,
                 drop_remainder: bool) -> None:
        super().__init__(input_dataset)
        self._size = _int_arg(size, "size")
        self._shift = self._size if shift is None else _int_arg(shift, "shift")
        self._stride = _int_arg(stride, "stride")
        for value, what in ((self._size, "size"), (self._shift, "shift"),
                            (self._stride, "stride")):
            if value <= 0:
                raise errors.InvalidArgumentError(
                    None, None, f"Window {what} must be greater than zero, but got "
                    f"{value}.")
        self._drop = bool(drop_remainder)
        in_spec = input_dataset._spec
        self._inner_spec = in_spec
        self._spec = nest.map_structure(lambda s: DatasetSpec(s), in_spec) \
            if nest.is_nested(in_spec) else DatasetSpec(in_spec)

    def _iter_flat(self) -> Iterator[Flat]:
        span = (self._size - 1) * self._stride + 1
        buf: List[Flat] = []
        start = 0  # index in the input of buf[0]
        next_start = 0
        leaves = nest.flatten(self._inner_spec)
        nested = nest.is_nested(self._inner_spec)

        def emit(window: List[Flat]) -> Flat:
            if not nested:
                return (_ListDataset(window, self._inner_spec),)
            return tuple(_ListDataset([(f[k],) for f in window], leaves[k])
                         for k in range(len(leaves)))

        exhausted = False
        it = self._input._iter_flat()
        while True:
            while len(buf) < next_start - start + span and not exhausted:
                try:
                    buf.append(next(it))
                except StopIteration:
                    exhausted = True
            offset = next_start - start
            if offset >= len(buf):
                return
            window = buf[offset:offset + span:self._stride]
            if exhausted and len(window) < self._size:
                if self._drop or not window:
                    return
            yield emit(window)
            next_start += self._shift
            drop = min(next_start - start, len(buf))
            del buf[:drop]
            start += drop
            if exhausted and next_start - start >= len(buf):
                return

    def _cardinality(self) -> int:
        n = self._input._cardinality()
        if n < 0:
            return n
        if self._drop:
            span = (self._size - 1) * self._stride + 1
            return 0 if n < span else (n - span) // self._shift + 1
        return -(-n // self._shift)


def _as_dataset(value: Any, what: str) -> Dataset:
    if not isinstance(value, Dataset):
        raise TypeError(f"The `map_func` argument of `{what}` must return a "
                        f"`tf.data.Dataset` object, got {type(value).__name__}.")
    return value


def _dataset_fn_spec(fn: Callable[..., Any], input_spec: Any, what: str) -> Any:
    """The element spec of the datasets ``fn`` returns, found by calling it on a
    placeholder element (eagerly: it returns a Dataset)."""
    leaves = nest.flatten(input_spec)

    def placeholder(s: Any) -> Any:
        if isinstance(s, DatasetSpec):
            inner = nest.flatten(s.element_spec)
            return _ListDataset([tuple(_placeholder(x, 1) for x in inner)], s.element_spec)
        return _placeholder(s, 1)

    element = nest.pack_sequence_as(input_spec, [placeholder(s) for s in leaves]) \
        if nest.is_nested(input_spec) else placeholder(input_spec)
    return _as_dataset(_call_unpacked(fn, element), what)._spec


class _FlatMapDataset(_UnaryDataset):
    def __init__(self, input_dataset: Dataset, map_func: Callable[..., Any]) -> None:
        super().__init__(input_dataset)
        if not callable(map_func):
            raise TypeError("`map_func` must be callable")
        self._fn = map_func
        self._spec = _dataset_fn_spec(map_func, input_dataset._spec, "flat_map")

    def _iter_flat(self) -> Iterator[Flat]:
        for element in self._input._elements():
            yield from _as_dataset(_call_unpacked(self._fn, element), "flat_map")._iter_flat()


class _InterleaveDataset(_UnaryDataset):
    def __init__(self, input_dataset: Dataset, map_func: Callable[..., Any],
                 cycle_length: Any, block_length: Any) -> None:
        super().__init__(input_dataset)
        self._fn = map_func
        self._cycle = max(2, os.cpu_count() or 2) if cycle_length in (None, AUTOTUNE) \
            else _int_arg(cycle_length, "cycle_length")
        self._block = 1 if block_length is None else _int_arg(block_length, "block_length")
        if self._cycle <= 0 or self._block <= 0:
            raise errors.InvalidArgumentError(
                None, None, "cycle_length and block_length must be positive.")
        self._spec = _dataset_fn_spec(map_func, input_dataset._spec, "interleave")

    def _iter_flat(self) -> Iterator[Flat]:
        source = self._input._elements()
        slots: List[Optional[Iterator[Flat]]] = [None] * self._cycle
        source_done = False

        def refill(i: int) -> None:
            nonlocal source_done
            if source_done:
                slots[i] = None
                return
            try:
                element = next(source)
            except StopIteration:
                source_done = True
                slots[i] = None
                return
            slots[i] = _as_dataset(_call_unpacked(self._fn, element),
                                   "interleave")._iter_flat()

        for i in range(self._cycle):
            refill(i)
        while any(s is not None for s in slots):
            for i in range(self._cycle):
                it = slots[i]
                if it is None:
                    continue
                for _ in range(self._block):
                    try:
                        yield next(it)
                    except StopIteration:
                        refill(i)
                        break
                # TF's cycle: a slot that ends moves on with a new input element, whose
                # block starts at the next visit


class _GroupByWindowDataset(_UnaryDataset):
    def __init__(self, input_dataset: Dataset, key_func: Callable[..., Any],
                 reduce_func: Callable[..., Any], window_size: Any,
                 window_size_func: Any, eager_key: bool = False) -> None:
        super().__init__(input_dataset)
        if (window_size is None) == (window_size_func is None):
            raise ValueError("Either the `window_size` argument or the `window_size_func` "
                             "argument must be specified.")
        self._key_fn = key_func if eager_key else _Function(key_func, input_dataset._spec,
                                                            "key_func")
        if not eager_key:
            spec = self._key_fn.find_output_spec()
            if not isinstance(spec, TensorSpec) or spec.dtype != dtypes.int64 or \
                    spec.shape.rank != 0:
                raise ValueError(f"`key_func` must return a single tf.int64 scalar tensor "
                                 f"but its return type is {spec}.")
        self._reduce = reduce_func
        self._size = None if window_size is None else _int_arg(window_size, "window_size")
        self._size_fn = window_size_func
        self._eager_key = eager_key
        self._spec = _dataset_fn_spec(
            lambda w: reduce_func(convert_to_tensor(np.int64(0)), w),
            DatasetSpec(input_dataset._spec), "group_by_window")

    def _key(self, element: Any) -> int:
        k = _call_unpacked(self._key_fn, element) if self._eager_key else self._key_fn(element)
        return int(k.numpy()) if isinstance(k, Tensor) else int(k)

    def _window_size(self, key: int) -> int:
        if self._size is not None:
            return self._size
        n = self._size_fn(convert_to_tensor(np.int64(key)))
        return int(n.numpy()) if isinstance(n, Tensor) else int(n)

    def _iter_flat(self) -> Iterator[Flat]:
        groups: "collections.OrderedDict[int, List[Flat]]" = collections.OrderedDict()
        spec = self._input._spec
        for flat in self._input._iter_flat():
            key = self._key(self._input._pack(flat))
            groups.setdefault(key, []).append(flat)
            if len(groups[key]) == self._window_size(key):
                window = groups.pop(key)
                yield from self._run(key, window, spec)
        for key, window in groups.items():
            yield from self._run(key, window, spec)

    def _run(self, key: int, window: List[Flat], spec: Any) -> Iterator[Flat]:
        inner = _ListDataset(window, spec)
        out = _as_dataset(self._reduce(convert_to_tensor(np.int64(key)), inner),
                          "group_by_window")
        yield from out._iter_flat()

    def _cardinality(self) -> int:
        return INFINITE if self._input._cardinality() == INFINITE else UNKNOWN


# ---------------------------------------------------------------------------------
# Caching and prefetching
# ---------------------------------------------------------------------------------
class CacheDataset(_UnaryDataset):
    """``ds.cache()``: the first complete pass is kept in memory and replayed (an
    interrupted pass keeps nothing, as TF)."""

    def __init__(self, input_dataset: Dataset) -> None:
        super().__init__(input_dataset)
        self._cache: Optional[List[Flat]] = None
        self._lock = threading.Lock()

    def _iter_flat(self) -> Iterator[Flat]:
        cached = self._cache
        if cached is not None:
            yield from cached
            return
        items: List[Flat] = []
        for flat in self._input._iter_flat():
            items.append(flat)
            yield flat
        with self._lock:
            if self._cache is None:
                self._cache = items


class _FileCacheDataset(_UnaryDataset):
    """``ds.cache(filename)``: the first complete pass is written to
    ``filename.tfcache.npz`` (tapeflow's format) and read back by later passes, also
    by later datasets with the same file name (as TF's file cache)."""

    def __init__(self, input_dataset: Dataset, filename: str) -> None:
        super().__init__(input_dataset)
        self._path = os.fspath(filename) + ".tfcache"

    def _iter_flat(self) -> Iterator[Flat]:
        if os.path.isdir(self._path):
            yield from _load_elements(self._path, nest.flatten(self._spec))
            return
        items: List[Flat] = []
        for flat in self._input._iter_flat():
            items.append(flat)
            yield flat
        tmp = self._path + f".tmp{os.getpid()}"
        _write_elements(tmp, items, self._spec)
        if not os.path.exists(self._path):
            os.replace(tmp, self._path)


class _PrefetchDataset(_UnaryDataset):
    def __init__(self, input_dataset: Dataset, buffer_size: Any) -> None:
        super().__init__(input_dataset)
        n = _int_arg(buffer_size, "buffer_size")
        if n < AUTOTUNE:
            raise errors.InvalidArgumentError(
                None, None, "buffer_size must be >= -1 (AUTOTUNE).")
        self._buffer = 2 if n in (AUTOTUNE, 0) else n

    def _iter_flat(self) -> Iterator[Flat]:
        inner = self._input
        if getattr(inner, "_in_memory", lambda: False)():
            # Gathering batches of in-memory rows costs less than a thread hand-off.
            return inner._iter_flat()
        return Prefetcher(inner._iter_flat, self._buffer)


# ---------------------------------------------------------------------------------
# Random and sampling
# ---------------------------------------------------------------------------------
class _RandomDataset(Dataset):
    def __init__(self, seed: Any, rerandomize: Any) -> None:
        seeds = _seed_pair(seed)
        if seeds[0] is None:
            seeds = (int(np.random.SeedSequence().entropy % (2**31)), 0)
        self._seeds = seeds
        self._rerandomize = bool(rerandomize)
        self._epoch = 0
        self._spec = TensorSpec((), dtypes.int64)

    def _iter_flat(self) -> Iterator[Flat]:
        epoch = self._epoch
        if self._rerandomize:
            self._epoch += 1
        rng = np.random.Generator(np.random.PCG64([*self._seeds, epoch]))
        while True:
            yield (convert_to_tensor(np.int64(rng.integers(0, 2**63 - 1))),)

    def _cardinality(self) -> int:
        return INFINITE


class _ChooseDataset(Dataset):
    def __init__(self, datasets: List[Dataset], choice: Dataset, stop_on_empty: bool
                 ) -> None:
        if not datasets:
            raise ValueError("Invalid `datasets`. `datasets` should not be empty.")
        spec = choice._spec
        if not isinstance(spec, TensorSpec) or spec.dtype != dtypes.int64 or \
                spec.shape.rank != 0:
            raise TypeError("Invalid `choice_dataset`. Elements of `choice_dataset` must "
                            f"be scalar of `tf.int64` dtype, but got {spec}.")
        first = datasets[0]._spec
        for d in datasets[1:]:
            _ConcatenateDataset(datasets[0], d)  # TF's TypeError for different specs
        self._datasets = datasets
        self._choice = choice
        self._stop = stop_on_empty
        self._inputs = tuple(datasets) + (choice,)
        self._spec = first

    def _iter_flat(self) -> Iterator[Flat]:
        its: List[Optional[Iterator[Flat]]] = [d._iter_flat() for d in self._datasets]
        for c in self._choice._iter_flat():
            i = int(c[0].numpy())
            if not 0 <= i < len(its):
                raise errors.InvalidArgumentError(
                    None, None, f"Selector index out of range: {i} >= {len(its)}")
            it = its[i]
            if it is None:
                continue
            try:
                yield next(it)
            except StopIteration:
                if self._stop:
                    return
                its[i] = None
                if all(x is None for x in its):
                    return


class _SampleDataset(Dataset):
    def __init__(self, datasets: List[Dataset], weights: Any, seed: Any,
                 stop_on_empty: bool) -> None:
        if not datasets:
            raise ValueError("Invalid `datasets`. `datasets` should not be empty.")
        for d in datasets[1:]:
            _ConcatenateDataset(datasets[0], d)
        n = len(datasets)
        w = np.full(n, 1.0 / n) if weights is None else np.asarray(
            weights.numpy() if isinstance(weights, Tensor) else weights, np.float64)
        if w.shape != (n,):
            raise ValueError(f"Invalid `weights`. The shape of `weights` should be "
                             f"compatible with `[len(datasets)]` but is {w.shape}.")
        self._weights = w / w.sum()
        self._datasets = datasets
        self._inputs = tuple(datasets)
        self._stop = stop_on_empty
        seeds = _seed_pair(seed)
        if seeds[0] is None:
            seeds = (int(np.random.SeedSequence().entropy % (2**31)), 0)
        self._seeds = seeds
        self._spec = datasets[0]._spec

    def _iter_flat(self) -> Iterator[Flat]:
        rng = np.random.Generator(np.random.PCG64(list(self._seeds)))
        its: List[Optional[Iterator[Flat]]] = [d._iter_flat() for d in self._datasets]
        w = self._weights.copy()
        while w.sum() > 0:
            i = int(rng.choice(len(its), p=w / w.sum()))
            try:
                yield next(its[i])  # type: ignore[arg-type]
            except StopIteration:
                if self._stop:
                    return
                w[i] = 0.0


# ---------------------------------------------------------------------------------
# save / load (tapeflow's format)
# ---------------------------------------------------------------------------------
def _spec_to_json(spec: Any) -> Any:
    if isinstance(spec, TensorSpec):
        return {"kind": "tensor", "shape": spec.shape.as_list()
                if spec.shape.rank is not None else None, "dtype": spec.dtype.name}
    if isinstance(spec, dict):
        return {"kind": "dict", "items": [[k, _spec_to_json(v)] for k, v in spec.items()]}
    if isinstance(spec, tuple):
        return {"kind": "tuple", "items": [_spec_to_json(v) for v in spec]}
    raise TypeError(f"Dataset.save cannot store an element spec of {spec!r}")


def _spec_from_json(obj: Any) -> Any:
    kind = obj.get("kind") if isinstance(obj, dict) else None
    if kind == "tensor":
        return TensorSpec(obj["shape"], dtypes.as_dtype(str(obj["dtype"])))
    if kind == "dict":
        return {str(k): _spec_from_json(v) for k, v in obj["items"]}
    if kind == "tuple":
        return tuple(_spec_from_json(v) for v in obj["items"])
    raise ValueError(f"not a saved tapeflow dataset spec: {obj!r:.200}")


def _write_elements(path: str, items: List[Flat], spec: Any) -> None:
    os.makedirs(path, exist_ok=True)
    arrays = {}
    for i, flat in enumerate(items):
        for k, v in enumerate(flat):
            arrays[f"e{i}_c{k}"] = v.numpy()
    np.savez(os.path.join(path, "elements.npz"), **arrays)
    with open(os.path.join(path, "spec.json"), "w") as f:
        json.dump({"format": "tapeflow.data/1", "count": len(items),
                   "spec": _spec_to_json(spec)}, f)


def _load_elements(path: str, leaves: List[Any]) -> Iterator[Flat]:
    with open(os.path.join(path, "spec.json")) as f:
        meta = json.load(f)
    count = int(meta["count"])
    with np.load(os.path.join(path, "elements.npz"), allow_pickle=False) as data:
        for i in range(count):
            yield tuple(convert_to_tensor(data[f"e{i}_c{k}"]) for k in range(len(leaves)))


def _save(dataset: Dataset, path: str) -> None:
    items = list(dataset._iter_flat())
    _write_elements(os.fspath(path), items, dataset._spec)


class _LoadDataset(Dataset):
    def __init__(self, path: str, element_spec: Any) -> None:
        self._path = os.fspath(path)
        meta_path = os.path.join(self._path, "spec.json")
        if not os.path.exists(meta_path):
            raise errors.NotFoundError(
                None, None, "Could not find a dataset saved by tapeflow's Dataset.save "
                f"in {self._path!r} (no spec.json). Datasets saved by TensorFlow cannot "
                f"be read.")
        with open(meta_path) as f:
            meta = json.load(f)
        if meta.get("format") != "tapeflow.data/1":
            raise ValueError(f"{meta_path}: not a tapeflow dataset")
        self._spec = _spec_from_json(meta["spec"]) if element_spec is None else element_spec
        self._count = int(meta["count"])

    def _iter_flat(self) -> Iterator[Flat]:
        return _load_elements(self._path, nest.flatten(self._spec))

    def _cardinality(self) -> int:
        return self._count


def TextLineDataset(filenames: Any, compression_type: Any = None, buffer_size: Any = None,
                    num_parallel_reads: Any = None, name: Optional[str] = None) -> Dataset:
    """``tf.data.TextLineDataset``: not supported yet (its lines are tf.string tensors,
    and tapeflow has no string dtype)."""
    raise NotImplementedError(
        "tf.data.TextLineDataset yields tf.string tensors, and tapeflow has no string "
        "dtype yet. Read the lines in Python and pass them through "
        "Dataset.from_generator with numeric features.")


