"""``keras.utils.split_dataset`` and the directory-indexing helpers behind
``image_dataset_from_directory``, as Keras 3.15 (``keras/src/utils/dataset_utils.py``).

Also a small Dataset that maps elements with a plain Python function (decoding files,
cutting windows out of an array): tapeflow's ``Dataset.map`` traces its function, which
suits tensor code, not Pillow or NumPy calls on each element.
"""

from __future__ import annotations

import concurrent.futures
import os
import random
import time
import warnings
from typing import Any, Callable, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

import tapeflow as tf
from tapeflow import nest
from tapeflow.data import dataset_ops
from tapeflow.framework.tensor import convert_to_tensor

Size = Optional[Union[int, float]]


# ---------------------------------------------------------------------------------
# A Dataset mapped by a Python function
# ---------------------------------------------------------------------------------
class PyFunctionMapDataset(dataset_ops.Dataset):
    """``input_dataset`` with each element replaced by ``fn(*numpy_components)``.

    ``fn`` takes the element's components as NumPy values and returns a tuple with one
    array per leaf of ``element_spec`` (converted to the spec's dtypes). Calls run on
    tapeflow.data's worker pool, ``num_parallel_calls`` at a time, results in order, as
    TF's ``map(..., num_parallel_calls=AUTOTUNE)`` (deterministic). The cardinality is
    the input's.
    """

    _tf_name = "_ParallelMapDataset"

    def __init__(self, input_dataset: dataset_ops.Dataset,
                 fn: Callable[..., Sequence[Any]], element_spec: Any,
                 num_parallel_calls: int = 1) -> None:
        self._input = input_dataset
        self._inputs = (input_dataset,)
        self._fn = fn
        self._spec = element_spec
        self._dtypes = [s.dtype for s in nest.flatten(element_spec)]
        self._parallel = max(1, int(num_parallel_calls))

    def _cardinality(self) -> int:
        return self._input._cardinality()

    def _apply(self, flat: Tuple[Any, ...]) -> Tuple[Any, ...]:
        outs = self._fn(*[t.numpy() for t in flat])
        return tuple(convert_to_tensor(np.asarray(o), dtype=d)
                     for o, d in zip(outs, self._dtypes))

    def _iter_flat(self) -> Iterator[Tuple[Any, ...]]:
        if self._parallel == 1:
            return (self._apply(flat) for flat in self._input._iter_flat())
        from tapeflow.data._pool import ordered_map

        return ordered_map(self._apply, self._input._iter_flat(), self._parallel)


def default_parallelism() -> int:
    """How many Python map calls run at once (TF's AUTOTUNE stand-in): the cores."""
    return max(2, os.cpu_count() or 2)


# ---------------------------------------------------------------------------------
# split_dataset
# ---------------------------------------------------------------------------------
def split_dataset(dataset: Any, left_size: Size = None, right_size: Size = None,
                  shuffle: bool = False, seed: Optional[int] = None,
                  preferred_backend: Optional[str] = None
                  ) -> Tuple[tf.data.Dataset, tf.data.Dataset]:
    """Splits a dataset into a left and a right part (``keras.utils.split_dataset``).

    Mirrors Keras 3.15 with the TensorFlow backend, tapeflow Datasets standing in for
    ``tf.data`` ones: ``dataset`` (a NumPy array, a list or tuple of equally long NumPy
    arrays, or a ``tf.data.Dataset``) is read into memory as a list of samples (a
    Dataset made by ``batch`` is unbatched first, and the parts are batched again with
    its batch size), optionally shuffled, and cut into ``dataset[:left]`` and
    ``dataset[-right:]``. A float size is a fraction of the samples (``round(f * n)``),
    an int a count; a missing size is the complement of the other. Each part is a
    ``Dataset.from_tensor_slices`` of the stacked samples, prefetched. Keras's type and
    value checks and their messages are kept.

    Where tapeflow differs: Keras shuffles with ``random.seed(seed)`` followed by
    ``random.shuffle``; tapeflow uses ``random.Random(seed).shuffle``, the same
    permutation (so the same split as Keras for a given seed) without reseeding Python's
    global generator. ``preferred_backend="torch"`` (torch datasets) is not supported.

    Args:
        dataset: The data to split.
        left_size: Fraction in ``(0, 1)`` or count of samples for the left part.
        right_size: Fraction in ``(0, 1)`` or count of samples for the right part.
        shuffle: Whether to shuffle the samples before splitting.
        seed: Seed of the shuffle (default: a random one).
        preferred_backend: Keras's backend choice; only TensorFlow-style datasets exist
            here, so anything but ``"torch"`` gives tapeflow Datasets.

    Returns:
        ``(left, right)``, two tapeflow Datasets.
    """
    if preferred_backend is None:
        preferred_backend = _infer_preferred_backend(dataset)
    if preferred_backend == "torch":
        raise NotImplementedError(
            "split_dataset(preferred_backend='torch') is not supported by tapeflow: it "
            "returns tf.data Datasets only.")
    kind = _type_spec(dataset)
    if kind is None:
        raise TypeError("The `dataset` argument must be either"
                        "a `tf.data.Dataset` object, or"
                        "a list/tuple of arrays. "
                        f"Received: dataset={dataset} of type {type(dataset)}")
    if right_size is None and left_size is None:
        raise ValueError("At least one of the `left_size` or `right_size` must be "
                         "specified. Received: left_size=None and right_size=None")

    samples = list(_samples(dataset, kind))
    if shuffle:
        if seed is None:
            seed = random.randint(0, int(1e6))
        random.Random(seed).shuffle(samples)

    total = len(samples)
    left_n, right_n = _split_sizes(left_size, right_size, total)
    left = _as_dataset(samples[:left_n], kind)
    right = _as_dataset(samples[-right_n:], kind)
    if kind == "dataset" and _batch_size_of(dataset) is not None:
        size = _batch_size_of(dataset)
        left, right = left.batch(size), right.batch(size)
    return left.prefetch(tf.data.AUTOTUNE), right.prefetch(tf.data.AUTOTUNE)


def _infer_preferred_backend(dataset: Any) -> str:
    if isinstance(dataset, (list, tuple, np.ndarray)):
        return "tensorflow"
    if isinstance(dataset, tf.data.Dataset):
        return "tensorflow"
    raise TypeError(f"Unsupported dataset type: {type(dataset)}")


def _type_spec(dataset: Any) -> Optional[str]:
    if isinstance(dataset, tuple):
        return "tuple"
    if isinstance(dataset, list):
        return "list"
    if isinstance(dataset, np.ndarray):
        return "array"
    if isinstance(dataset, tf.data.Dataset):
        return "dataset"
    return None


def _batch_size_of(dataset: Any) -> Optional[int]:
    """The batch size of a Dataset whose last step is ``batch`` (Keras's ``is_batched``
    test: a batched dataset that was then prefetched, mapped... does not count)."""
    if isinstance(dataset, dataset_ops._BatchDataset):
        return dataset._size
    return None


def _check_arrays(dataset: Union[list, tuple], what: str) -> None:
    if len(dataset) == 0:
        if what == "list":
            raise ValueError("Received an empty list dataset. "
                             "Please provide a non-empty list of arrays.")
        raise ValueError("Received an empty list dataset."
                         "Please provide a non-empty tuple of arrays.")
    first_shape = None
    for i, element in enumerate(dataset):
        if not isinstance(element, np.ndarray):
            raise ValueError(f"Expected a {what} of `numpy.ndarray` objects,"
                             f"Received: {type(element)} at index {i}.")
        if first_shape is None:
            first_shape = element.shape
        elif element.shape[0] != first_shape[0]:
            raise ValueError(
                f"Received a {what} of NumPy arrays with different lengths."
                f"Mismatch found at index {i}, "
                f"Expected shape={first_shape} "
                f"Received shape={np.array(element).shape}."
                f"Please provide a {what} of NumPy arrays of the same length.")


def _samples(dataset: Any, kind: str) -> Iterator[Any]:
    """The samples of ``dataset`` one by one, with Keras's checks (a non-empty input;
    single-array samples all of the first one's shape)."""
    if kind in ("list", "tuple"):
        _check_arrays(dataset, kind)
        source: Iterator[Any] = iter(zip(*dataset))
    elif kind == "dataset":
        if _batch_size_of(dataset) is not None:
            dataset = dataset.unbatch()
        source = (_to_numpy(e) for e in dataset)
    else:
        source = iter(dataset)

    start = time.time()
    try:
        first = next(source)
    except StopIteration:
        raise ValueError("Received an empty dataset. Argument `dataset` must be a "
                         "non-empty list/tuple of `numpy.ndarray` objects or "
                         "`tf.data.Dataset` objects.") from None
    check = isinstance(first, np.ndarray)  # (tuples and dicts of arrays: unchecked)
    first_shape = np.shape(first) if check else None
    yield first
    warn = True
    for i, sample in enumerate(source):
        if check and np.shape(sample) != first_shape:
            raise ValueError("All `dataset` samples must have same shape, "
                             f"Expected shape: {first_shape} "
                             f"Received shape: {np.shape(sample)} at index {i}.")
        if warn and i % 10 == 0 and int(time.time() - start) > 10:
            warnings.warn("The dataset is taking longer than 10 seconds to iterate over. "
                          "This may be due to the size of the dataset. Keep in mind that "
                          "the `split_dataset` utility is only for small in-memory "
                          "dataset (e.g. < 10,000 samples).", category=ResourceWarning,
                          source="split_dataset")
            warn = False
        yield sample


def _to_numpy(element: Any) -> Any:
    """A dataset element with its Tensors as NumPy arrays (a lone Tensor becomes an
    ndarray, as Keras's shape check sees it)."""
    if isinstance(element, tf.Tensor):
        return np.asarray(element.numpy())
    return nest.map_structure(lambda t: np.asarray(t.numpy()), element)


def _as_dataset(samples: List[Any], kind: str) -> tf.data.Dataset:
    """``from_tensor_slices`` of the samples stacked component by component."""
    if kind == "array":
        rows = np.stack([np.asarray(s) for s in samples])
        return tf.data.Dataset.from_tensor_slices(rows)
    structure = samples[0]
    columns = [np.array(column) for column in zip(*[nest.flatten(s) for s in samples])]
    packed = nest.pack_sequence_as(structure, columns) if nest.is_nested(structure) \
        else columns[0]
    return tf.data.Dataset.from_tensor_slices(_lists_to_tuples(packed))


def _lists_to_tuples(value: Any) -> Any:
    if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
        return tuple(_lists_to_tuples(v) for v in value)
    if isinstance(value, dict):
        return type(value)((k, _lists_to_tuples(v)) for k, v in value.items())
    return value


def _split_sizes(left_size: Size, right_size: Size, total: int) -> Tuple[int, int]:
    """Keras's ``_rescale_dataset_split_sizes``: checks the sizes, turns fractions into
    counts and fills in the missing one."""
    left_type, right_type = type(left_size), type(right_size)
    left_ok = left_size is None or left_type in (int, float)
    right_ok = right_size is None or right_type in (int, float)
    if not left_ok and not right_ok:
        raise TypeError("Invalid `left_size` and `right_size` Types. Expected: integer or "
                        "float or None, Received: type(left_size)="
                        f"{left_type} and type(right_size)={right_type}")
    if not left_ok:
        raise TypeError("Invalid `left_size` Type. Expected: int or float or None, "
                        f"Received: type(left_size)={left_type}.  ")
    if not right_ok:
        raise TypeError("Invalid `right_size` Type. Expected: int or float or None,"
                        f"Received: type(right_size)={right_type}.")
    if left_size == 0 and right_size == 0:
        raise ValueError("Both `left_size` and `right_size` are zero. At least one of the "
                         "split sizes must be non-zero.")

    def out_of_range(size: Size, kind: type) -> bool:
        if kind is int:
            return size <= 0 or size >= total
        if kind is float:
            return size <= 0 or size >= 1
        return False

    if out_of_range(left_size, left_type):
        raise ValueError("`left_size` should be either a positive integer smaller than "
                         f"{total}, or a float within the range `[0, 1]`. Received: "
                         f"left_size={left_size}")
    if out_of_range(right_size, right_type):
        raise ValueError("`right_size` should be either a positive integer and smaller "
                         f"than {total} or a float within the range `[0, 1]`. Received: "
                         f"right_size={right_size}")
    if left_type is float and right_type is float and left_size + right_size > 1:
        raise ValueError("The sum of `left_size` and `right_size` is greater than 1. It "
                         "must be less than or equal to 1.")

    def count(size: Size, kind: type) -> Optional[float]:
        if kind is float:
            return round(size * total)
        if kind is int:
            return float(size)
        return None

    left, right = count(left_size, left_type), count(right_size, right_type)
    if left is None:
        left = total - right
    elif right is None:
        right = total - left
    if left + right > total:
        raise ValueError("The sum of `left_size` and `right_size` should be smaller than "
                         f"the {total}. Received: left_size + right_size = {left + right}"
                         f"and total_length = {total}")
    for n, side in ((left, "left"), (right, "right")):
        if n == 0:
            raise ValueError(f"With `dataset` of length={total}, `left_size`={left} and "
                             f"`right_size`={right}.Resulting {side} side dataset split "
                             "will be empty. Adjust any of the aforementioned parameters")
    return int(left), int(right)


# ---------------------------------------------------------------------------------
# Indexing a directory of files (image_dataset_from_directory & co)
# ---------------------------------------------------------------------------------
def index_directory(directory: str, labels: Any, formats: Tuple[str, ...],
                    class_names: Optional[Sequence[str]] = None, shuffle: bool = True,
                    seed: Optional[int] = None, follow_links: bool = False,
                    verbose: bool = True
                    ) -> Tuple[List[str], Any, Optional[List[str]]]:
    """Lists the files of ``directory`` with their labels, as Keras's
    ``index_directory``.

    With ``labels="inferred"`` each visible subdirectory (sorted by name, or in the order
    of ``class_names``) is a class; otherwise the whole tree is one listing. Each class
    folder is walked with ``os.walk`` (symlinked folders entered with ``follow_links``),
    folders in sorted path order and files sorted by name within them, keeping the names
    whose lower-cased form ends with one of ``formats``. Prints Keras's "Found N files
    belonging to K classes." (or "Found N files."). With ``shuffle``, the paths and
    labels are permuted by ``np.random.RandomState(seed).shuffle`` (``seed`` default:
    ``np.random.randint(1e6)``), as Keras, so the order equals Keras's for a given seed.

    Returns:
        ``(file_paths, labels, class_names)``: labels are an int32 array for inferred
        labels, a list for given ones, None without labels.
    """
    if labels == "inferred":
        subdirs = [name for name in sorted(os.listdir(directory))
                   if os.path.isdir(os.path.join(directory, name))
                   and not name.startswith(".")]
        if class_names is not None:
            if not set(class_names).issubset(set(subdirs)):
                raise ValueError(
                    "The `class_names` passed did not match the names of the "
                    "subdirectories of the target directory. "
                    f"Expected: {subdirs} (or a subset of it), but received: "
                    f"class_names={class_names}")
            subdirs = class_names  # (kept as given, as Keras)
    else:
        subdirs = [""]
        if class_names is not None:
            if labels is None:
                raise ValueError("When `labels=None` (no labels), argument `class_names` "
                                 "cannot be specified.")
            raise ValueError("When argument `labels` is specified, argument `class_names` "
                             "cannot be specified (the `class_names` will be the sorted "
                             "list of labels).")
    class_names = subdirs
    class_index = {name: i for i, name in enumerate(class_names)}

    folders = [os.path.join(directory, name) for name in subdirs]
    workers = max(1, min(8, len(folders)))
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        listings = list(pool.map(
            lambda d: _index_subdirectory(d, class_index, follow_links, formats), folders))
    filenames: List[str] = []
    label_parts: List[List[int]] = []
    for names, part in listings:
        filenames += names
        label_parts.append(part)

    if labels == "inferred":
        labels = np.concatenate([np.asarray(p, "int32") for p in label_parts]) \
            if filenames else np.zeros((0,), "int32")
    elif labels is None:
        class_names = None
    else:
        if len(labels) != len(filenames):
            raise ValueError(
                "Expected the lengths of `labels` to match the number of files in the "
                f"target directory. len(labels) is {len(labels)} while we found "
                f"{len(filenames)} files in directory {directory}.")
        class_names = [str(label) for label in sorted(set(labels))]
        labels = list(labels)
    if verbose:
        if labels is None:
            print(f"Found {len(filenames)} files.", flush=True)
        else:
            print(f"Found {len(filenames)} files belonging to {len(class_names)} classes.",
                  flush=True)
    file_paths = [os.path.join(directory, name) for name in filenames]
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(file_paths)
        if labels is not None:
            np.random.RandomState(seed).shuffle(labels)
    return file_paths, labels, class_names


def _index_subdirectory(folder: str, class_index: dict, follow_links: bool,
                        formats: Tuple[str, ...]) -> Tuple[List[str], List[int]]:
    """The files under ``folder`` as paths relative to its parent (Keras's naming),
    with the folder's class index for each."""
    label_name = os.path.basename(folder)
    label = class_index[label_name]
    names: List[str] = []
    for root, _, files in sorted(os.walk(folder, followlinks=follow_links),
                                 key=lambda entry: entry[0]):
        for name in sorted(files):
            if name.lower().endswith(formats):
                rel = os.path.relpath(os.path.join(root, name), folder)
                names.append(os.path.join(label_name, rel))
    return names, [label] * len(names)


def check_validation_split_arg(validation_split: Optional[float], subset: Optional[str],
                               shuffle: bool, seed: Optional[int]) -> None:
    """Keras's checks of ``validation_split``/``subset``/``seed``."""
    if validation_split and not 0 < validation_split < 1:
        raise ValueError("`validation_split` must be between 0 and 1, "
                         f"received: {validation_split}")
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError("If `subset` is set, `validation_split` must be set, and "
                         "inversely.")
    if subset not in ("training", "validation", "both", None):
        raise ValueError('`subset` must be either "training", "validation" or "both", '
                         f"received: {subset}")
    if validation_split and shuffle and seed is None:
        raise ValueError("If using `validation_split` and shuffling the data, you must "
                         "provide a `seed` argument, to make sure that there is no overlap "
                         "between the training and validation subset.")


def get_training_or_validation_split(samples: List[Any], labels: Any,
                                     validation_split: Optional[float],
                                     subset: Optional[str]) -> Tuple[List[Any], Any]:
    """The training part (all but the last ``int(validation_split * n)`` samples) or
    the validation part (those last ones), printing Keras's "Using N files for ..."."""
    if not validation_split:
        return samples, labels
    n_val = int(validation_split * len(samples))
    if subset == "training":
        print(f"Using {len(samples) - n_val} files for training.", flush=True)
        keep = slice(None, -n_val)  # (as Keras: n_val == 0 keeps nothing)
    elif subset == "validation":
        print(f"Using {n_val} files for validation.", flush=True)
        keep = slice(-n_val, None)
    else:
        raise ValueError('`subset` must be either "training" or "validation", '
                         f"received: {subset}")
    return samples[keep], (labels[keep] if labels is not None else None)


def labels_to_array(labels: Any, label_mode: str, num_classes: int) -> np.ndarray:
    """The labels as the arrays Keras's label dataset yields: int labels as given
    (int32 for inferred ones and Python ints), ``"binary"`` as float32 ``(n, 1)``,
    ``"categorical"`` one-hot float32 rows (all zeros for a label outside
    ``[0, num_classes)``, as ``tf.one_hot``)."""
    if isinstance(labels, np.ndarray):
        values = labels
    else:
        values = convert_to_tensor(list(labels)).numpy() if len(labels) else \
            np.zeros((0,), "int32")
    if label_mode == "binary":
        return values.astype("float32")[:, None]
    if label_mode == "categorical":
        ints = values.astype("int64")
        onehot = np.zeros((len(ints), num_classes), "float32")
        rows = np.nonzero((ints >= 0) & (ints < num_classes))[0]
        onehot[rows, ints[rows]] = 1.0
        return onehot
    return values


def check_format(format: str) -> None:
    """Keras 3's ``format`` argument of the dataset utilities: "tf" (a tf.data Dataset)
    or "grain" (not available in tapeflow)."""
    if format not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: '
                         f"format={format}")
    if format == "grain":
        raise NotImplementedError('format="grain" is not available in tapeflow (no Grain '
                                  'support); use format="tf".')
