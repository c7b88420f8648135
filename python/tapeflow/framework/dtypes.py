"""Element types, as ``tf.float32`` & co.

Mirrors ``tf.dtypes.DType``: ``repr(tf.float32) == 'tf.float32'``,
``str(tf.float32) == "<dtype: 'float32'>"``, and a DType compares equal to its name,
to the numpy dtype and to itself. tapeflow has float32, float64, int32, int64 and bool;
other TF dtypes (float16, uint8, complex, string ...) are not supported yet.
"""

from __future__ import annotations

import builtins
from typing import Any, Dict

import numpy as np

from tapeflow import _core


class DType:
    """An element type of a Tensor (``tf.DType``)."""

    __slots__ = ("_name", "_np", "_core", "_index")

    def __init__(self, name: str, np_dtype: Any, core: Any) -> None:
        self._name = name
        self._np = np.dtype(np_dtype)
        self._core = core
        self._index = int(core)  # the core Array's dtype_index

    @property
    def name(self) -> str:
        return self._name

    @property
    def as_numpy_dtype(self) -> type:
        return self._np.type

    @property
    def base_dtype(self) -> "DType":
        return self

    @property
    def is_floating(self) -> bool:
        return self._np.kind == "f"

    @property
    def is_integer(self) -> bool:
        return self._np.kind == "i"

    @property
    def is_bool(self) -> bool:
        return self._np.kind == "b"

    @property
    def is_numpy_compatible(self) -> bool:
        return True

    @property
    def size(self) -> int:
        return self._np.itemsize

    @property
    def min(self) -> Any:
        return False if self.is_bool else (
            np.finfo(self._np).min if self.is_floating else np.iinfo(self._np).min)

    @property
    def max(self) -> Any:
        return True if self.is_bool else (
            np.finfo(self._np).max if self.is_floating else np.iinfo(self._np).max)

    def __repr__(self) -> str:
        return f"tf.{self._name}"

    def __str__(self) -> str:
        return f"<dtype: '{self._name}'>"

    def __eq__(self, other: Any) -> bool:
        if other is self:
            return True
        if other is None:
            return False
        try:
            return as_dtype(other) is self
        except TypeError:
            return False

    def __ne__(self, other: Any) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(self._name)

    def __reduce__(self) -> Any:
        return (as_dtype, (self._name,))


float32 = DType("float32", np.float32, _core.DType.float32)
float64 = DType("float64", np.float64, _core.DType.float64)
int32 = DType("int32", np.int32, _core.DType.int32)
int64 = DType("int64", np.int64, _core.DType.int64)
bool = DType("bool", np.bool_, _core.DType.bool)  # noqa: A001 - TF's name
double = float64

_ALL = (float32, float64, int32, int64, bool)
_BY_NAME: Dict[str, DType] = {d.name: d for d in _ALL}
_BY_NAME.update({"double": float64, "float": float32, "int": int32, "long": int64})
_BY_NP: Dict[Any, DType] = {d._np: d for d in _ALL}
_BY_CORE: Dict[Any, DType] = {d._core: d for d in _ALL}
BY_INDEX = tuple(sorted(_ALL, key=lambda d: d._index))  # DType of a core dtype_index
# Core dtype indices 0 (float32) and 1 (float64) are the float types: `i <= MAX_FLOAT_INDEX`.
MAX_FLOAT_INDEX = 1
assert [d._index for d in BY_INDEX] == [0, 1, 2, 3, 4] and float64._index == MAX_FLOAT_INDEX


def as_dtype(value: Any) -> DType:
    """Converts a DType, name, numpy dtype or Python type to a tapeflow DType.

    Raises ``TypeError`` for types tapeflow does not support, as ``tf.as_dtype`` does
    for unknown ones.
    """
    if isinstance(value, DType):
        return value
    if isinstance(value, str):
        found = _BY_NAME.get(value)
        if found is not None:
            return found
    elif value is float:
        return float32
    elif value is int:
        return int32
    elif value is builtins.bool:
        return bool
    elif isinstance(value, (int, np.integer)) and not isinstance(value, (builtins.bool, np.bool_)):
        # TF's DataType enum values (types.proto): tf.zeros(1, 1) is float32 zeros.
        found = _BY_ENUM.get(int(value))
        if found is not None:
            return found
        raise TypeError(f"Cannot convert value {value!r} to a tapeflow DType (TF DataType "
                        "enum values supported: 1 float32, 2 float64, 3 int32, 9 int64, "
                        "10 bool).")
    try:
        npd = np.dtype(value)
    except TypeError:
        npd = None
    if npd is not None and npd in _BY_NP:
        return _BY_NP[npd]
    raise TypeError(f"Cannot convert value {value!r} to a tapeflow DType "
                    "(supported: float32, float64, int32, int64, bool).")



# TF's DataType enum (tensorflow/core/framework/types.proto) for the dtypes tapeflow has.
_BY_ENUM = {1: float32, 2: float64, 3: int32, 9: int64, 10: bool}

# TF's C type names, used in its conversion and kernel-signature errors.
_C_NAMES = {"float32": "float", "float64": "double"}


def c_name(dtype: DType) -> str:
    """TF's name of a dtype in error messages ("expected to be a float tensor")."""
    return _C_NAMES.get(dtype.name, dtype.name)


def from_core(core_dtype: Any) -> DType:
    """The DType of a ``_core.DType``."""
    return _BY_CORE[core_dtype]
