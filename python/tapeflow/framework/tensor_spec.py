"""``tf.TensorSpec``: the shape (``None`` for any size), dtype and name of a tensor.

Printing, equality (shape, dtype and name), hashing and ``is_compatible_with`` (Tensors
and TensorSpecs only: a Python list or a Variable is not compatible, as TF) mirror
TF 2.21.
"""

from __future__ import annotations

from typing import Any, Optional

from tapeflow.framework import dtypes
from tapeflow.framework.tensor import Tensor
from tapeflow.framework.tensor_shape import TensorShape


def _to_shape(shape: Any) -> TensorShape:
    try:
        return TensorShape(shape)
    except (TypeError, ValueError):
        raise TypeError(
            f"Failed to convert '{shape!r}' to a shape: '{shape!r}'could not be "
            "converted to a dimension. A shape should either be single dimension (e.g. "
            "10), or an iterable of dimensions (e.g. [1, 10, None]).") from None


class TensorSpec:
    """Describes a tensor (``tf.TensorSpec(shape, dtype=tf.float32, name=None)``)."""

    __slots__ = ("_shape", "_dtype", "_name")

    def __init__(self, shape: Any, dtype: Any = dtypes.float32,
                 name: Optional[str] = None) -> None:
        self._shape = _to_shape(shape)
        self._dtype = dtypes.as_dtype(dtype)
        self._name = name

    @classmethod
    def from_tensor(cls, tensor: Any, name: Optional[str] = None) -> "TensorSpec":
        """The spec of ``tensor`` (its shape and dtype)."""
        return cls(tensor.shape, tensor.dtype, name)

    @property
    def shape(self) -> TensorShape:
        return self._shape

    @property
    def dtype(self) -> dtypes.DType:
        return self._dtype

    @property
    def name(self) -> Optional[str]:
        return self._name

    def is_compatible_with(self, spec_or_tensor: Any) -> bool:
        """True for a Tensor or TensorSpec of this dtype whose shape fits this one."""
        other = spec_or_tensor
        if not isinstance(other, (Tensor, TensorSpec)):
            return False
        return (other.dtype == self._dtype
                and self._shape.is_compatible_with(other.shape))

    def most_specific_compatible_type(self, other: "TensorSpec") -> "TensorSpec":
        """The spec both fit: dims that differ become ``None`` (as TF)."""
        if not isinstance(other, TensorSpec) or other.dtype != self._dtype:
            raise ValueError(f"No TypeSpec is compatible with both {self} and {other}")
        a, b = self._shape, other.shape
        if a.rank is None or b.rank is None or a.rank != b.rank:
            shape = TensorShape(None)
        else:
            shape = TensorShape([x if x == y else None for x, y in zip(a, b)])
        return TensorSpec(shape, self._dtype, self._name if self._name == other.name
                          else None)

    def __eq__(self, other: Any) -> bool:
        return (type(other) is type(self) and self._shape == other._shape
                and self._dtype == other._dtype and self._name == other._name)

    def __ne__(self, other: Any) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash((self._shape, self._dtype.name, self._name))

    def __repr__(self) -> str:
        return (f"TensorSpec(shape={self._shape}, dtype={self._dtype!r}, "
                f"name={self._name!r})")

    __str__ = __repr__

    def __reduce__(self) -> Any:
        return (TensorSpec, (self._shape, self._dtype.name, self._name))
