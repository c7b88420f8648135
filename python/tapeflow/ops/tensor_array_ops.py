"""``tf.TensorArray``: a list of same-dtype, same-shape tensors written one at a time
(``write``, ``unstack``, ``scatter``) and read back (``read``, ``stack``, ``gather``,
``concat``).

As TF 2.21's eager TensorArray (checked against it): ``write`` returns a new
TensorArray that shares the elements with the old one; a fixed-size array refuses an
index past its size (OutOfRangeError), a dynamic one grows; negative indices are
OutOfRangeError; writing a value of another shape than the elements so far (or than
``element_shape``) is TF's ValueError; reading or stacking an index never written gives
zeros of the element shape (ValueError when that shape is unknown). Inside a
``tf.function`` the array is this same Python object: loops over ``tf.range(n)`` are
traced unrolled (a new ``n`` traces again, see graph/function.py), where TF builds a
graph loop.
"""

from __future__ import annotations

from typing import Any, List, Optional

import numpy as np

from tapeflow.framework import dtypes, errors
from tapeflow.framework.device import host_value
from tapeflow.framework.tensor import Tensor, convert_to_tensor
from tapeflow.framework.tensor_shape import TensorShape


class _Elements:
    """The storage TensorArrays returned by ``write`` share."""

    def __init__(self, size: int, element_shape: TensorShape) -> None:
        self.items: List[Optional[Tensor]] = [None] * size
        self.element_shape = element_shape


def _index(i: Any) -> int:
    t = convert_to_tensor(i)
    if not t.dtype.is_integer or t._a.size != 1:
        raise TypeError(f"TensorArray index must be an integer scalar, got {t!r}")
    return int(host_value(t._a).reshape(-1)[0])


class TensorArray:
    """``tf.TensorArray(dtype, size=None, dynamic_size=None, ..., element_shape=None)``."""

    def __init__(self, dtype: Any, size: Any = None, dynamic_size: Optional[bool] = None,
                 clear_after_read: Optional[bool] = None, tensor_array_name: Any = None,
                 handle: Any = None, flow: Any = None, infer_shape: bool = True,
                 element_shape: Any = None, colocate_with_first_write_call: bool = True,
                 name: Optional[str] = None) -> None:
        self._dtype = dtypes.as_dtype(dtype)
        self._dynamic_size = bool(dynamic_size)
        self._infer_shape = infer_shape
        if size is None:
            if not self._dynamic_size:
                raise ValueError("Size must be provided if handle is not provided")
            size = 0
        n = _index(size)
        if n < 0:
            raise errors.InvalidArgumentError(None, None, f"Size should be >= 0, got {n}")
        self._elements = _Elements(n, TensorShape(element_shape))

    @classmethod
    def _sharing(cls, other: "TensorArray") -> "TensorArray":
        ta = cls.__new__(cls)
        ta._dtype = other._dtype
        ta._dynamic_size = other._dynamic_size
        ta._infer_shape = other._infer_shape
        ta._elements = other._elements
        return ta

    # -- properties ------------------------------------------------------------------
    @property
    def dtype(self) -> Any:
        return self._dtype

    @property
    def dynamic_size(self) -> bool:
        return self._dynamic_size

    @property
    def element_shape(self) -> TensorShape:
        return self._elements.element_shape

    def size(self, name: Optional[str] = None) -> Tensor:
        return convert_to_tensor(len(self._elements.items), dtype=dtypes.int32)

    # -- writing -----------------------------------------------------------------------
    def _value(self, value: Any) -> Tensor:
        t = convert_to_tensor(value, dtype=self._dtype)
        if t.dtype != self._dtype:
            raise errors.InvalidArgumentError(
                None, None, f"TensorArray dtype is {self._dtype.name} but Op is trying to "
                f"write dtype {t.dtype.name}")
        return t

    def _check_shape(self, t: Tensor) -> None:
        known = self._elements.element_shape
        if not known.is_compatible_with(t.shape):
            raise ValueError(f"Incompatible shape for value ({t.shape}), expected ({known})")
        if self._infer_shape:
            self._elements.element_shape = known.merge_with(t.shape)

    def _put(self, i: int, t: Tensor, check: bool = True) -> None:
        items = self._elements.items
        if i < 0:
            raise errors.OutOfRangeError(
                None, None, f"Writing to negative indices (index {i}) is not allowed.")
        if i >= len(items):
            if not self._dynamic_size:
                raise errors.OutOfRangeError(
                    None, None, f"Tried to write to index {i} but array is not resizeable "
                    f"and size is: {len(items)}")
            items.extend([None] * (i + 1 - len(items)))
        if check:
            self._check_shape(t)
        items[i] = t

    def write(self, index: Any, value: Any, name: Optional[str] = None) -> "TensorArray":
        """Writes ``value`` at ``index``; returns a TensorArray sharing the elements."""
        self._put(_index(index), self._value(value))
        return TensorArray._sharing(self)

    def unstack(self, value: Any, name: Optional[str] = None) -> "TensorArray":
        """Writes ``value[0], value[1], ...`` at indices 0, 1, ..."""
        from tapeflow.ops import array_ops

        t = self._value(value)
        if t.shape.rank == 0:
            raise ValueError("Shape must be at least rank 1 but is rank 0")
        return self.scatter(array_ops.range(t.shape[0]), t)

    def scatter(self, indices: Any, value: Any, name: Optional[str] = None) -> "TensorArray":
        """Writes ``value[k]`` at ``indices[k]``."""
        idx = [int(i) for i in host_value(convert_to_tensor(indices)._a).reshape(-1).tolist()]
        t = self._value(value)
        if t.shape.rank == 0 or t.shape[0] != len(idx):
            raise ValueError(f"scatter: value of shape {t.shape} does not match "
                             f"{len(idx)} indices")
        for k, i in enumerate(idx):
            self._put(i, t[k])
        return TensorArray._sharing(self)

    def split(self, value: Any, lengths: Any, name: Optional[str] = None) -> "TensorArray":
        """Writes consecutive pieces of ``value`` (rows ``lengths[k]`` long) at 0, 1, ..."""
        t = self._value(value)
        sizes = [int(n) for n in host_value(convert_to_tensor(lengths)._a).reshape(-1).tolist()]
        if t.shape.rank == 0 or sum(sizes) != t.shape[0]:
            raise errors.InvalidArgumentError(
                None, None, f"Expected sum of lengths to be equal to values.shape[0], but "
                f"sum of lengths is {sum(sizes)} and value's shape is: {t.shape}")
        # pieces differ in their first dimension: the element shape leaves it unknown
        self._elements.element_shape = self._elements.element_shape.merge_with(
            [None] + t.shape.as_list()[1:])
        start = 0
        for k, n in enumerate(sizes):
            self._put(k, t[start:start + n], check=False)
            start += n
        return TensorArray._sharing(self)

    # -- reading -----------------------------------------------------------------------
    def _get(self, i: int) -> Tensor:
        from tapeflow.ops import array_ops

        items = self._elements.items
        if i < 0:
            raise errors.OutOfRangeError(
                None, None, f"Reading from negative indices (index {i}) is not allowed.")
        if i >= len(items):
            raise errors.OutOfRangeError(
                None, None, f"Tried to read from index {i} but array size is: {len(items)}")
        t = items[i]
        if t is not None:
            return t
        shape = self._elements.element_shape
        if not shape.is_fully_defined():
            raise ValueError(f"Cannot convert a partially known TensorShape {shape} to a "
                             "Tensor.")
        return array_ops.zeros(shape.as_list(), self._dtype)

    def read(self, index: Any, name: Optional[str] = None) -> Tensor:
        return self._get(_index(index))

    def gather(self, indices: Any, element_shape: Any = None,
               name: Optional[str] = None) -> Tensor:
        from tapeflow.ops import array_ops

        idx = [int(i) for i in host_value(convert_to_tensor(indices)._a).reshape(-1).tolist()]
        if not idx:
            return self._empty()
        return array_ops.stack([self._get(i) for i in idx])

    def _empty(self) -> Tensor:
        from tapeflow.ops import array_ops

        shape = self._elements.element_shape
        dims = shape.as_list() if shape.rank is not None and shape.is_fully_defined() else []
        return array_ops.zeros([0] + dims, self._dtype)

    def stack(self, name: Optional[str] = None) -> Tensor:
        """The elements stacked along a new first axis."""
        from tapeflow.ops import array_ops

        n = len(self._elements.items)
        if n == 0:
            return self._empty()
        return array_ops.stack([self._get(i) for i in range(n)])

    def concat(self, name: Optional[str] = None) -> Tensor:
        """The elements concatenated along their first axis."""
        from tapeflow.ops import array_ops

        n = len(self._elements.items)
        if n == 0:
            return self._empty()
        return array_ops.concat([self._get(i) for i in range(n)], axis=0)

    def identity(self) -> "TensorArray":
        return TensorArray._sharing(self)

    def close(self, name: Optional[str] = None) -> None:
        self._elements.items = []

    def __repr__(self) -> str:
        return f"<tapeflow TensorArray dtype={self._dtype.name} size=" \
               f"{len(self._elements.items)} at 0x{id(self):x}>"

