"""``tf.TensorShape``: a possibly partially known shape.

Mirrors TF: ``str`` is ``'(2, 3)'``, ``repr`` is ``'TensorShape([2, 3])'``; a shape
equals tuples and lists with the same dims; ``None`` marks an unknown dimension (Keras's
batch dimension) and ``TensorShape(None)`` an unknown rank.
"""

from __future__ import annotations

import operator
from typing import Any, Iterator, List, Optional, Sequence, Union


def _dim(d: Any) -> Optional[int]:
    """One dimension as TF's Dimension checks it: None, or an integer >= 0 (anything
    with ``__index__``: ints, numpy ints, integer scalar tensors; not floats)."""
    if d is None:
        return None
    if type(d) is int:
        v = d
    elif isinstance(d, (float, str, bytes)) or not hasattr(d, "__index__"):
        raise TypeError("Dimension value must be integer or None or have an __index__ "
                        f"method, got value '{d!r}' with type '{type(d)!r}'")
    else:
        v = operator.index(d)
    if v < 0:
        raise ValueError(f"Dimension {v} must be >= 0")
    return v


class TensorShape:
    """The shape of a Tensor (``tf.TensorShape``)."""

    __slots__ = ("_dims",)

    def __init__(self, dims: Any) -> None:
        if dims is None:
            self._dims: Optional[tuple] = None
        elif isinstance(dims, TensorShape):
            self._dims = dims._dims
        else:
            if not hasattr(dims, "__iter__") or hasattr(dims, "__index__") and not \
                    hasattr(dims, "__len__"):
                dims = [dims]
            self._dims = tuple(map(_dim, dims))

    @property
    def rank(self) -> Optional[int]:
        return None if self._dims is None else len(self._dims)

    @property
    def ndims(self) -> Optional[int]:
        return self.rank

    @property
    def dims(self) -> Optional[List[Optional[int]]]:
        return None if self._dims is None else list(self._dims)

    def as_list(self) -> List[Optional[int]]:
        if self._dims is None:
            raise ValueError("as_list() is not defined on an unknown TensorShape.")
        return list(self._dims)

    def is_fully_defined(self) -> bool:
        return self._dims is not None and all(d is not None for d in self._dims)

    def num_elements(self) -> Optional[int]:
        if not self.is_fully_defined():
            return None
        n = 1
        for d in self._dims:  # type: ignore[union-attr]
            n *= d
        return n

    def concatenate(self, other: Any) -> "TensorShape":
        other = as_shape(other)
        if self._dims is None or other._dims is None:
            return TensorShape(None)
        return TensorShape(self._dims + other._dims)

    def is_compatible_with(self, other: Any) -> bool:
        other = as_shape(other)
        if self._dims is None or other._dims is None:
            return True
        if len(self._dims) != len(other._dims):
            return False
        return all(a is None or b is None or a == b for a, b in zip(self._dims, other._dims))

    def merge_with(self, other: Any) -> "TensorShape":
        """The shape with what both know (TF's ValueError when they are incompatible)."""
        other = as_shape(other)
        if not self.is_compatible_with(other):
            raise ValueError(f"Shapes {self} and {other} are not compatible")
        if self._dims is None:
            return other
        if other._dims is None:
            return self
        return TensorShape([a if a is not None else b for a, b in zip(self._dims, other._dims)])

    def __len__(self) -> int:
        if self._dims is None:
            raise ValueError("Cannot take the length of shape with unknown rank.")
        return len(self._dims)

    def __iter__(self) -> Iterator[Optional[int]]:
        if self._dims is None:
            raise ValueError("Cannot iterate over a shape with unknown rank.")
        return iter(self._dims)

    def __getitem__(self, key: Union[int, slice]) -> Any:
        if self._dims is None:
            return None if not isinstance(key, slice) else TensorShape(None)
        if isinstance(key, slice):
            return TensorShape(self._dims[key])
        return self._dims[key]

    def __eq__(self, other: Any) -> bool:
        try:
            other = as_shape(other)
        except (TypeError, ValueError):
            return NotImplemented
        return self._dims == other._dims

    def __ne__(self, other: Any) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __hash__(self) -> int:
        return hash(self._dims)

    def __bool__(self) -> bool:
        return self._dims is not None

    def __str__(self) -> str:
        if self._dims is None:
            return "<unknown>"
        if len(self._dims) == 1:
            return f"({self._dims[0]},)"
        return "(" + ", ".join(str(d) for d in self._dims) + ")"

    def __repr__(self) -> str:
        if self._dims is None:
            return "TensorShape(None)"
        return f"TensorShape({list(self._dims)})"

    def __reduce__(self) -> Any:
        return (TensorShape, (self.dims,))


def as_shape(shape: Any) -> TensorShape:
    """Converts a TensorShape, tuple or list to a TensorShape."""
    return shape if isinstance(shape, TensorShape) else TensorShape(shape)


def dims_of(shape: Sequence[Any]) -> List[int]:
    """A fully known shape as a list of ints (for creating tensors)."""
    out = as_shape(shape)
    if not out.is_fully_defined():
        raise ValueError(f"Cannot create a tensor with an unknown shape: {out}")
    return out.as_list()  # type: ignore[return-value]
