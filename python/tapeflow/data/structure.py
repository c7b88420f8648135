"""Element structures of tf.data: the specs of dataset elements and conversions between
elements (nests of Tensors) and their flat component lists.

As TF 2.21: an element is a nest (tuples, dicts, namedtuples; lists become tuples) of
Tensors or nested Datasets; its ``element_spec`` has the same nest of ``TensorSpec``
(``None`` for a dimension that differs between elements) or ``DatasetSpec``.
"""

from __future__ import annotations

from typing import Any, List, Optional


from tapeflow import nest
from tapeflow.framework import dtypes
from tapeflow.framework.tensor import Tensor, convert_to_tensor
from tapeflow.framework.tensor_shape import TensorShape
from tapeflow.framework.tensor_spec import TensorSpec


class DatasetSpec:
    """The spec of an element that is itself a Dataset (``tf.data.DatasetSpec``), as
    ``window`` produces: the inner dataset's element spec and its (batch) shape."""

    __slots__ = ("_element_spec", "_shape")

    def __init__(self, element_spec: Any, dataset_shape: Any = ()) -> None:
        self._element_spec = element_spec
        self._shape = TensorShape(dataset_shape)

    @property
    def element_spec(self) -> Any:
        return self._element_spec

    @property
    def shape(self) -> TensorShape:
        return self._shape

    def __eq__(self, other: Any) -> bool:
        return (type(other) is DatasetSpec and self._element_spec == other._element_spec
                and self._shape == other._shape)

    def __hash__(self) -> int:
        return hash((DatasetSpec, repr(self)))

    def __repr__(self) -> str:
        return f"DatasetSpec({self._element_spec!r}, {self._shape!r})"


def normalize(value: Any) -> Any:
    """An element as TF keeps it: lists become tuples (recursively), leaves as they are."""
    if type(value) is list:
        return tuple(normalize(v) for v in value)
    if nest.is_nested(value):
        if isinstance(value, dict):
            return type(value)((k, normalize(v)) for k, v in value.items())
        if type(value) is tuple:
            return tuple(normalize(v) for v in value)
        if hasattr(value, "_fields"):  # namedtuple
            return type(value)(*[normalize(v) for v in value])
    return value


def to_tensor_leaf(value: Any) -> Any:
    """A leaf of an element as a Tensor (Datasets stay Datasets)."""
    from tapeflow.data.dataset_ops import Dataset

    if type(value) is Tensor or isinstance(value, Dataset):
        return value
    if isinstance(value, Tensor):
        return value
    if hasattr(value, "_as_tensor"):  # a Variable: its value now
        return value._as_tensor()
    if value is None:
        raise TypeError("Failed to convert elements of None to Tensor: a dataset element "
                        "cannot hold None (TF's `TypeError`).")
    return convert_to_tensor(value)


def spec_of_leaf(value: Any) -> Any:
    from tapeflow.data.dataset_ops import Dataset

    if isinstance(value, Dataset):
        return DatasetSpec(value.element_spec)
    return TensorSpec(value._a.shape, value.dtype)




def relax(a: Any, b: Any) -> Any:
    """The most specific spec both leaf specs fit (dims that differ become None)."""
    if isinstance(a, TensorSpec) and isinstance(b, TensorSpec):
        return a.most_specific_compatible_type(b)
    if a == b:
        return a
    raise TypeError(f"Incompatible element specs {a} and {b}")


def batched(spec: Any, batch: Optional[int]) -> Any:
    """A leaf spec with a leading batch dimension (``None`` when unknown)."""
    if isinstance(spec, DatasetSpec):
        return DatasetSpec(spec.element_spec, [batch] + list(spec.shape))
    return TensorSpec([batch] + _dims(spec.shape), spec.dtype)


def unbatched(spec: Any) -> Any:
    """A leaf spec without its leading dimension (TF's ValueError for a scalar)."""
    if spec.shape.rank == 0:
        raise ValueError("Cannot unbatch an input with scalar components.")
    if spec.shape.rank is None:
        return TensorSpec(None, spec.dtype)
    return TensorSpec(_dims(spec.shape)[1:], spec.dtype)


def _dims(shape: TensorShape) -> List[Optional[int]]:
    return [None if d is None else int(d) for d in shape.as_list()] \
        if shape.rank is not None else []












def default_padding(spec: TensorSpec) -> Any:
    """TF's default padding value: 0 for numbers, False for bool."""
    return False if spec.dtype == dtypes.bool else 0
