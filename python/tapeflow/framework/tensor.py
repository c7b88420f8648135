"""``tf.Tensor``: an immutable n-d array on a device, and conversion to it.

A Tensor wraps a native ``_core.Array`` and never changes after creation. Behaviour
mirrors TF 2's EagerTensor: printing (``str``/``repr``/``format``), Python scalar
conversion, ``len``/iteration over the first axis, numpy interop (``np.asarray(t)`` is a
read-only zero-copy view, ``t.numpy()`` a writable copy), ``hash`` raising ``TypeError``
(use ``t.ref()``), and operators that follow TF's dtype rules (no implicit promotion).
Differences: dtypes are limited to float32/float64/int32/int64/bool; numpy inputs of
other integer/float widths are widened (uint8 -> int32, float16 -> float32).
"""

from __future__ import annotations

import itertools
import numbers
from typing import Any, Callable, Iterator, Optional, Tuple

import numpy as np

from tapeflow import _core
from tapeflow.framework import dtypes, errors
from tapeflow.framework import tracing as _tracing
from tapeflow.framework.device import host_value, to_host
from tapeflow.framework.tensor_shape import TensorShape

_DEVICE_PREFIX = "/job:localhost/replica:0/task:0/device:"


class _Operators:
    """Python operators shared by Tensor and Variable. Each operator is an op: the op
    layer installs them (``override_operator`` from ops/math_ops.py and ops/array_ops.py,
    as TF's math_ops overrides Tensor's operators), so each is defined once."""

    __slots__ = ()
    # Makes `ndarray + tensor` call our __radd__ (numpy defers to higher priority).
    __array_priority__ = 100

    def __hash__(self) -> int:
        raise TypeError("Tensor is unhashable. Instead, use tensor.ref() as the key.")

    def __setitem__(self, key: Any, value: Any) -> None:
        raise TypeError(f"'{_qualname(type(self))}' object does not support item assignment")


def override_operator(name: str, fn: Callable[..., Any]) -> None:
    """Makes ``fn`` the operator ``name`` (``"__add__"``) of Tensor and Variable, as TF's
    ``Tensor._override_operator``: ``fn(self, other)`` (or ``fn(self)``)."""
    setattr(_Operators, name, fn)


def _qualname(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


class Tensor(_Operators):
    """An immutable multi-dimensional array (``tf.Tensor``)."""

    # _keras_logits: set by keras.activations.softmax/sigmoid on their outputs (as Keras
    # does on TF's EagerTensors), so crossentropy losses can start from the logits.
    __slots__ = ("_a", "_shape_cache", "_keras_logits", "__weakref__")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("Tensors are created by ops: use tf.constant or tf.convert_to_tensor.")

    # -- metadata -------------------------------------------------------------------
    @property
    def shape(self) -> TensorShape:
        try:
            return self._shape_cache
        except AttributeError:  # unset slot: first access
            s = self._shape_cache = TensorShape(self._a.shape)
            return s

    def get_shape(self) -> TensorShape:
        return self.shape

    @property
    def dtype(self) -> dtypes.DType:
        return dtypes.BY_INDEX[self._a.dtype_index]

    @property
    def ndim(self) -> int:
        return self._a.ndim

    @property
    def device(self) -> str:
        """TF's fully qualified device name, e.g. '/job:localhost/replica:0/task:0/device:GPU:0'."""
        return _DEVICE_PREFIX + self._a.device

    backing_device = device

    def ref(self) -> "Reference":
        """A hashable reference to this tensor, for use as a dict key (``t.ref()``)."""
        return Reference(self)

    experimental_ref = ref

    # -- values -----------------------------------------------------------------------
    def _numpy(self) -> Any:
        """TF's _numpy(): a numpy scalar for rank 0, else a read-only ndarray view."""
        a = np.asarray(to_host(self._a))
        return a[()] if a.ndim == 0 else a

    def numpy(self) -> Any:
        """A copy of the value (from the GPU too): a writable ndarray, or a numpy scalar."""
        if _tracing.stack and _tracing.is_symbolic(self._a):
            raise AttributeError("'SymbolicTensor' object has no attribute 'numpy'")
        a = np.array(to_host(self._a))
        return a[()] if a.ndim == 0 else a

    def __array__(self, dtype: Any = None, copy: Optional[bool] = None) -> np.ndarray:
        a = np.asarray(to_host(self._a))
        if dtype is not None and np.dtype(dtype) != a.dtype:
            return a.astype(dtype)
        return a.copy() if copy else a

    def __len__(self) -> int:
        if self._a.ndim == 0:
            raise TypeError("Scalar tensor has no `len()`")
        return self._a.shape[0]

    def __iter__(self) -> Iterator["Tensor"]:
        if self._a.ndim == 0:
            raise TypeError("Cannot iterate over a scalar tensor.")
        return (self[i] for i in range(self._a.shape[0]))

    def __bool__(self) -> bool:
        if _tracing.stack and _tracing.is_symbolic(self._a):
            return _tracing.branch(self._a)
        return False if self._a.size == 0 else bool(self._numpy())

    def __float__(self) -> float:
        return float(self._scalar())

    def __int__(self) -> int:
        return int(self._scalar())

    def __index__(self) -> int:
        """As an index or size (``range(t)``, ``[t, 3]`` as a shape): inside a
        tf.function, a computed value is read and guarded (device.host_value)."""
        if not self.dtype.is_integer:
            raise TypeError(f"Only integer tensors can be used as an index, got {self.dtype.name}")
        if self._a.ndim != 0:
            raise TypeError("only 0-dimensional arrays can be converted to Python scalars")
        return int(host_value(self._a)[()])

    def _scalar(self) -> Any:
        if self._a.ndim != 0:
            raise TypeError("only 0-dimensional arrays can be converted to Python scalars")
        return self._numpy()

    def __format__(self, format_spec: str) -> str:
        return self._numpy().__format__(format_spec)

    def __str__(self) -> str:
        if _tracing.stack and _tracing.is_symbolic(self._a):  # TF's graph tensors
            trace = _tracing.stack[-1]
            return (f'Tensor("{trace.name_of(self._a)}", '
                    f"shape={trace.shape_of(self._a, self.shape)}, dtype={self.dtype.name})")
        return f"tf.Tensor({_numpy_text(self)}, shape={self.shape}, dtype={self.dtype.name})"

    def __repr__(self) -> str:
        if _tracing.stack and _tracing.is_symbolic(self._a):
            trace = _tracing.stack[-1]
            return (f"<tf.Tensor '{trace.name_of(self._a)}' "
                    f"shape={trace.shape_of(self._a, self.shape)} dtype={self.dtype.name}>")
        return (f"<tf.Tensor: shape={self.shape}, dtype={self.dtype.name}, "
                f"numpy={_numpy_text(self, is_repr=True)}>")

    def __copy__(self) -> "Tensor":
        return self

    def __deepcopy__(self, memo: Any) -> "Tensor":
        return self

    def __reduce__(self) -> Any:
        return (convert_to_tensor, (self.numpy(),))


def _numpy_text(t: Any, is_repr: bool = False) -> str:
    """TF's numpy_text: numpy's str/repr of the value, on its own line if multi-line."""
    v = t._numpy()
    if is_repr:
        text = repr(v.item()) if np.isscalar(v) else repr(v)
    else:
        text = str(v)
    return "\n" + text if "\n" in text else text


class Reference:
    """A hashable wrapper of a Tensor or Variable, compared by identity (``t.ref()``)."""

    __slots__ = ("_obj",)

    def __init__(self, obj: Any) -> None:
        self._obj = obj

    def deref(self) -> Any:
        return self._obj

    def __hash__(self) -> int:
        return id(self._obj)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Reference) and other._obj is self._obj

    def __repr__(self) -> str:
        return f"<Reference wrapping {self._obj!r}>"


_new_object = object.__new__


def wrap(array: Any) -> Tensor:
    """A Tensor around a native Array (no copy). The only way ops make Tensors."""
    t = _new_object(Tensor)
    t._a = array
    return t


# -- conversion -----------------------------------------------------------------------

# numpy dtypes tapeflow has no kernel for, widened losslessly (TF would keep them).
_WIDEN = {
    np.dtype(np.float16): np.float32, np.dtype(np.int8): np.int32,
    np.dtype(np.int16): np.int32, np.dtype(np.uint8): np.int32,
    np.dtype(np.uint16): np.int32, np.dtype(np.uint32): np.int64,
    np.dtype(np.uint64): np.int64,
}
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


def _from_numpy(arr: np.ndarray) -> Tensor:
    if not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))
    return wrap(_core.from_numpy(arr))


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
# numpy's (and so tapeflow's conversion's) rank limit; TF names it in its own error.
MAX_RANK = 64
_SEQ = (list, tuple)
_OUT_OF_RANGE = "Can't convert Python sequence with out-of-range integer to Tensor."
_MIXED = "Can't convert Python sequence with mixed types to Tensor."
_RAGGED = "Can't convert non-rectangular Python sequence to Tensor."


def _none_error(value: Any) -> ValueError:
    return ValueError(f"Attempt to convert a value ({value!r}) with an unsupported type "
                      f"({type(value)!r}) to a Tensor.")


def _cannot_convert(value: Any, dtype: dtypes.DType) -> TypeError:
    """TF's message for a value that does not fit a requested dtype."""
    return TypeError(f"Cannot convert {value!r} to EagerTensor of dtype "
                     f"{dtypes.c_name(dtype)}")


def _unsupported(value: Any, kind: str) -> errors.InvalidArgumentError:
    """A value TF would hold in a dtype tapeflow lacks (string, complex, unsigned): TF
    rejects it in the op that receives it with InvalidArgumentError, so do we."""
    return errors.InvalidArgumentError(
        None, None, f"tapeflow has no {kind} dtype (it has float32, float64, int32, "
        f"int64 and bool): cannot convert {value!r} to a Tensor")


def _leaf_kind(t: type) -> str:
    """b(ool), i(nt), f(loat), d (np.float64, kept by TF), n(one), s(tring),
    c(omplex), o(ther: left to numpy)."""
    if issubclass(t, (bool, np.bool_)):
        return "b"
    if issubclass(t, (int, np.integer)):
        return "i"
    if t is np.float64:
        return "d"
    if issubclass(t, (float, np.floating)):
        return "f"
    if t is type(None):
        return "n"
    if issubclass(t, (str, bytes, np.str_, np.bytes_)):
        return "s"
    if issubclass(t, (complex, np.complexfloating)):
        return "c"
    return "o"


def _scan(value: Any) -> Tuple[list, set]:
    """The leaves of a nested list/tuple and their kinds, walked one level at a time
    (C-speed per level); raises TF's errors for ragged or too deep sequences."""
    level, depth = [value], 0
    while True:
        types = set(map(type, level))
        n_seq = sum(1 for t in types if issubclass(t, _SEQ))
        if not n_seq:
            return level, {_leaf_kind(t) for t in types}
        if n_seq != len(types):
            raise ValueError(_RAGGED if isinstance(level[0], _SEQ) else _MIXED)
        if len(set(map(len, level))) > 1:
            raise ValueError(_RAGGED)
        depth += 1
        if depth > MAX_RANK:
            raise errors.InvalidArgumentError(
                None, None, f"Cannot convert a Python sequence nested more than "
                f"{MAX_RANK} deep to a Tensor: tensors can have at most {MAX_RANK} "
                "dimensions")
        level = list(itertools.chain.from_iterable(level))


def _infer_python(value: Any, dtype: Optional[dtypes.DType] = None) -> np.ndarray:
    """numpy array of a Python value with TF's inference (float -> float32, int ->
    int32, or int64 when a value needs it), or as `dtype`, refusing what TF refuses:
    None, mixed or ragged sequences, integers beyond int64, lossy kinds."""
    if value is None:
        raise _none_error(value)
    _, kinds = _scan(value)
    if "o" in kinds:  # Tensors, arrays or other objects inside: numpy decides
        try:
            arr = np.asarray(value)
        except ValueError:
            raise ValueError(_RAGGED) from None
        if arr.dtype.kind == "O":
            if arr.ndim == 0:
                raise _none_error(value)
            raise ValueError(_MIXED)
        return _numpy_as(arr, value, dtype) if dtype is not None else _from_numpy_kind(
            arr, value)
    if "n" in kinds:
        if len(kinds) > 1:
            raise ValueError(_MIXED)
        raise _none_error(None)
    if len(kinds) > 1 and kinds & {"b", "s", "c"}:
        raise ValueError(_MIXED)
    want = None if dtype is None else dtype._np.kind
    if "s" in kinds or "c" in kinds:
        if dtype is not None:
            raise _cannot_convert(value, dtype)
        raise _unsupported(value, "string" if "s" in kinds else "complex")
    if kinds == {"b"}:
        if want not in (None, "b"):
            raise _cannot_convert(value, dtype)
        return np.asarray(value, dtype=np.bool_)
    if want == "b" or (want == "i" and kinds - {"i"}):
        raise _cannot_convert(value, dtype)
    if kinds == {"i"}:
        try:
            if want == "f":
                return np.asarray(value, dtype=np.float64).astype(dtype._np)
            arr = np.asarray(value, dtype=np.int64)
        except OverflowError:  # beyond int64 (or float64)
            raise ValueError(_OUT_OF_RANGE) from None
        if dtype is not None:
            return arr.astype(dtype._np)  # int32 wraps, as TF's conversion does
        if arr.size and (arr.min() < _INT32_MIN or arr.max() > _INT32_MAX):
            return arr
        return arr.astype(np.int32)
    # floats (and ints among them); empty sequences are float32, as in TF
    try:
        arr = np.asarray(value, dtype=np.float64)
    except OverflowError:  # an int beyond float64 among floats
        raise ValueError(_OUT_OF_RANGE) from None
    if dtype is not None:
        return arr.astype(dtype._np)
    return arr if "d" in kinds else arr.astype(np.float32)


def _from_numpy_kind(arr: np.ndarray, value: Any) -> np.ndarray:
    """numpy's inference for nested objects, narrowed as TF infers Python values."""
    kind = arr.dtype.kind
    if kind == "f":
        return arr.astype(np.float32)
    if kind in "iu":
        if arr.size and (arr.min() < _INT32_MIN or arr.max() > _INT32_MAX):
            return _checked_ints(arr)
        return arr.astype(np.int32)
    if kind in "fb":
        return arr
    raise _unsupported(value, arr.dtype.name)


def _checked_ints(arr: np.ndarray) -> np.ndarray:
    """Integers as int64, refusing unsigned values beyond int64 (no uint64 dtype)."""
    if arr.dtype == np.uint64 and arr.size and arr.max() > _INT64_MAX:
        raise ValueError(
            f"Can't convert uint64 values above {_INT64_MAX} to a Tensor: tapeflow has "
            "no unsigned dtypes (int64 is the widest)")
    return arr.astype(np.int64)


def _numpy_as(arr: np.ndarray, value: Any, dtype: dtypes.DType) -> np.ndarray:
    """A numpy array cast to a requested dtype (a cast, as TF's: ints wrap), refusing
    kinds that do not convert (strings, objects) with TF's TypeError."""
    if arr.dtype.kind in "USOcMmV":
        try:
            return arr.astype(dtype._np)
        except (TypeError, ValueError, OverflowError):
            raise _cannot_convert(value, dtype) from None
    return arr.astype(dtype._np, copy=False)


def _python_to(value: Any, dtype: dtypes.DType) -> np.ndarray:
    """A Python value as `dtype`, refusing lossy kinds as TF does."""
    return _infer_python(value, dtype)


# Scalar constants made from Python numbers, shared (Tensors are immutable). Keyed by
# the value's repr too, so 0.0 and -0.0 stay apart; cleared when it grows large.
_scalar_cache: dict = {}


def _scalar_fast(value: Any, dtype: dtypes.DType) -> Optional[Tensor]:
    """Python int/float scalars without a trip through numpy (the operator hot path)."""
    t = type(value)
    if t is not float and t is not int:
        return None
    key = (dtype._name, t, value, value == 0 and repr(value))
    hit = _scalar_cache.get(key)
    if hit is not None:
        return hit
    if t is float and dtype.is_floating:
        out = wrap(_core.full((), dtype._core, value))
    elif t is int and (dtype.is_floating or dtype.is_integer):
        if not (_INT32_MIN <= value <= _INT32_MAX if dtype is dtypes.int32 else
                _INT64_MIN <= value <= _INT64_MAX):
            return None  # the slow path wraps int32 as TF does, or raises TF's error
        if dtype.is_integer:
            out = wrap(_core.full_int((), dtype._core, value))
        elif -2**1023 < value < 2**1023:  # float() of larger ints overflows
            out = wrap(_core.full((), dtype._core, float(value)))
        else:
            return None
    else:
        return None
    if len(_scalar_cache) > 1024:
        _scalar_cache.clear()
    _scalar_cache[key] = out
    return out


def convert_to_tensor(value: Any, dtype: Any = None, dtype_hint: Any = None,
                      name: Optional[str] = None) -> Tensor:
    """Converts Tensors, Variables, numpy arrays and Python values (``tf.convert_to_tensor``).

    With ``dtype``, a Tensor of another dtype raises ``ValueError`` and a Python float
    asked to become an integer raises ``TypeError`` (TF's messages); numpy arrays are
    cast. ``dtype_hint`` is tried first and dropped if the value does not fit it.
    """
    if type(value) is Tensor or isinstance(value, Tensor):  # a subclass (v[...]) stays itself,
        # so tapes keep the link to what produced it
        if dtype is not None and dtypes.as_dtype(dtype) is not value.dtype:
            raise ValueError(f"Tensor conversion requested dtype {dtypes.as_dtype(dtype).name} "
                             f"for Tensor with dtype {value.dtype.name}: {value!r}")
        return value
    to_tensor = getattr(value, "_as_tensor", None)
    if to_tensor is not None:  # Variables
        return convert_to_tensor(to_tensor(), dtype=dtype)
    if dtype is not None:
        dt = dtypes.as_dtype(dtype)
        fast = _scalar_fast(value, dt)
        if fast is not None:
            return fast
        if isinstance(value, (np.ndarray, np.generic)):
            return _from_numpy(_numpy_as(np.asarray(value), value, dt))
        return _from_numpy(_python_to(value, dt))
    if dtype_hint is not None:
        try:
            return convert_to_tensor(value, dtype=dtype_hint)
        except (TypeError, ValueError):
            pass
    if isinstance(value, (np.ndarray, np.generic)):
        arr = np.asarray(value)
        if arr.dtype == np.uint64:
            arr = _checked_ints(arr)
        widened = _WIDEN.get(arr.dtype)
        if widened is not None:
            arr = arr.astype(widened)
        elif arr.dtype.kind == "O":  # TF's message names the first element's type
            first = type(arr.flat[0]).__name__ if arr.size else "object"
            raise ValueError("Failed to convert a NumPy array to a Tensor (Unsupported "
                             f"object type {first}).")
        elif arr.dtype.kind not in "fib":
            raise _unsupported(value, arr.dtype.name)
        return _from_numpy(arr)
    if isinstance(value, float):
        return wrap(_core.full((), _core.DType.float32, value))
    if isinstance(value, (list, tuple)) and value and any(_is_tensor_like(v) for v in value):
        return _array.stack([convert_to_tensor(v) for v in value])
    if hasattr(value, "__array__") and not isinstance(value, numbers.Number):
        return convert_to_tensor(np.asarray(value))
    return _from_numpy(_infer_python(value))


def _is_tensor_like(v: Any) -> bool:
    return isinstance(v, Tensor) or hasattr(v, "_as_tensor")


def is_tensor(x: Any) -> bool:
    """True for Tensors (``tf.is_tensor``; Variables count, as in TF)."""
    return isinstance(x, Tensor) or hasattr(x, "_as_tensor")


def constant(value: Any, dtype: Any = None, shape: Any = None, name: Optional[str] = None) -> Tensor:
    """``tf.constant``: a Tensor from a value, optionally cast (``dtype``) and reshaped.

    A scalar with ``shape`` is broadcast to it (``tf.constant(1., shape=(2, 2))``); other
    values must have as many elements as ``shape``.
    """
    if is_tensor(value):
        t = convert_to_tensor(value)
        if dtype is not None and dtypes.as_dtype(dtype) is not t.dtype:
            raise TypeError(f"Expected tensor {t._numpy()} with dtype "
                            f"{dtypes.as_dtype(dtype)!r}, but got dtype {t.dtype!r}.")
    else:
        t = convert_to_tensor(value, dtype=dtype)
    if shape is None:
        return t
    dims = [int(d) for d in TensorShape(shape).as_list()]
    n = int(np.prod(dims)) if dims else 1
    if t._a.size == 1 and n != 1:
        return _array.fill(dims, _array.reshape(t, ()))
    if t._a.size != n:
        raise TypeError(f"Eager execution of tf.constant with unsupported shape. Tensor "
                        f"{t._numpy()} (converted from {value}) has {t._a.size} elements, "
                        f"but got `shape` {tuple(dims)} with {n} elements).")
    return _array.reshape(t, dims)


# Ops modules import this one and install Tensor's operators (override_operator); bind
# them last (circular by design: operators are ops). math_ops must load first: array_ops
# imports it at module level.
from tapeflow.ops import math_ops as _math  # noqa: E402,I001
from tapeflow.ops import array_ops as _array  # noqa: E402
