"""``tf.Variable``: the one mutable thing.

A Variable holds a native Array that ``assign``/``assign_add``/``assign_sub`` and sliced
``v[...].assign`` replace with a new one; values read earlier (Tensors) never change.
Reading a trainable Variable inside a GradientTape watches it. Printing, naming
(``'Variable:0'`` for every unnamed variable, ``'w:0'`` for ``name='w'``) and the
``'UnreadVariable'`` objects returned by assignments mirror TF 2.
"""

from __future__ import annotations

import weakref
from typing import Any, Callable, Iterator, Optional

import numpy as np

from tapeflow import _core
from tapeflow.autodiff import tape as _tape
from tapeflow.framework import dtypes, errors
from tapeflow.framework import name_scope as _name_scope
from tapeflow.framework import tracing as _tracing
from tapeflow.framework.tensor import (
    Reference, Tensor, _numpy_text, _Operators, convert_to_tensor, wrap)
from tapeflow.framework.tensor_shape import TensorShape


class Variable(_Operators):
    """A mutable tensor-like value, usable wherever a Tensor is (``tf.Variable``)."""

    __slots__ = ("_a", "_trainable", "_name", "_uid", "__weakref__")
    _created = 0  # creation counter: tapes list watched variables in creation order

    def __init__(self, initial_value: Any = None, trainable: Optional[bool] = None,
                 validate_shape: bool = True, caching_device: Any = None,
                 name: Optional[str] = None, variable_def: Any = None, dtype: Any = None,
                 import_scope: Any = None, constraint: Any = None,
                 synchronization: Any = None, aggregation: Any = None,
                 shape: Any = None, experimental_enable_variable_lifting: Any = None) -> None:
        if initial_value is None:
            raise ValueError("The `initial_value` arg to `tf.Variable` must be specified "
                             "except when you are not providing a `variable_def`. You "
                             "provided neither.")
        if callable(initial_value):
            initial_value = initial_value()
        try:
            value = convert_to_tensor(initial_value, dtype=dtype)
        except ValueError as e:
            raise ValueError(f"initial_value: {e}") from None
        self._a = value._a.renamed()  # never shared with another variable (see _set_value)
        self._trainable = True if trainable is None else bool(trainable)
        self._name = f"{_name_scope.current()}{name or 'Variable'}:0"
        Variable._created += 1
        self._uid = Variable._created
        _all_variables[self._uid] = self
        if _tracing.stack:
            _tracing.stack[-1].variable_created(self)

    # -- reading --------------------------------------------------------------------
    # _as_tensor(): the current value as a Tensor, recorded on active tapes (TF's
    # ReadVariableOp). Native (installed below): Tensor's operators read a Variable
    # operand with the same function.
    _as_tensor: Callable[["Variable"], Tensor]

    def value(self) -> Tensor:
        return self._as_tensor()

    def read_value(self) -> Tensor:
        return self._as_tensor()

    def numpy(self) -> Any:
        return wrap(self._a).numpy()

    def _numpy(self) -> Any:
        return wrap(self._a)._numpy()

    def __array__(self, dtype: Any = None, copy: Optional[bool] = None) -> np.ndarray:
        return wrap(self._a).__array__(dtype, copy)

    # -- metadata --------------------------------------------------------------------
    @property
    def shape(self) -> TensorShape:
        return TensorShape(self._a.shape)

    def get_shape(self) -> TensorShape:
        return self.shape

    @property
    def dtype(self) -> dtypes.DType:
        return dtypes.BY_INDEX[self._a.dtype_index]

    @property
    def name(self) -> str:
        return self._name

    @property
    def trainable(self) -> bool:
        return self._trainable

    @property
    def ndim(self) -> int:
        return self._a.ndim

    @property
    def device(self) -> str:
        return "/job:localhost/replica:0/task:0/device:" + self._a.device

    def ref(self) -> Reference:
        return Reference(self)

    @property
    def _handle(self) -> "Variable":
        """The variable this object stands for, as TF's gradient compares variables by
        resource handle: itself (an assignment's UnreadVariable answers its variable)."""
        return self

    experimental_ref = ref

    # -- writing ---------------------------------------------------------------------
    def _checked(self, value: Any) -> Tensor:
        t = convert_to_tensor(value, dtype=self.dtype)
        if t._a.shape != self._a.shape:
            raise ValueError(
                f"Cannot assign value to variable ' {self._name}': Shape mismatch.The "
                f"variable shape {self.shape}, and the assigned value shape {t.shape} are "
                "incompatible.")
        return t

    def assign(self, value: Any, use_locking: Any = None, name: Optional[str] = None,
               read_value: bool = True) -> Any:
        """Replaces the value; shape and dtype must match (TF's ValueError otherwise)."""
        _set_value(self, _keep_device(self._a, self._checked(value)._a))
        return _UnreadVariable(self) if read_value else None

    def assign_add(self, delta: Any, use_locking: Any = None, name: Optional[str] = None,
                   read_value: bool = True) -> Any:
        """Adds to the value (not recorded on tapes, as TF); shapes must be equal."""
        _set_value(self, _keep_device(self._a, _core.add(self._a, self._checked_delta(delta))),
                   fresh=True)
        return _UnreadVariable(self) if read_value else None

    def assign_sub(self, delta: Any, use_locking: Any = None, name: Optional[str] = None,
                   read_value: bool = True) -> Any:
        """Subtracts from the value (not recorded on tapes, as TF); shapes must be equal."""
        _set_value(self, _keep_device(self._a, _core.sub(self._a, self._checked_delta(delta))),
                   fresh=True)
        return _UnreadVariable(self) if read_value else None

    def _checked_delta(self, delta: Any) -> Any:
        a = self._a
        if type(delta) is Tensor and delta._a.dtype_index == a.dtype_index and delta._a.shape == a.shape:
            return delta._a  # the optimizer's hot path
        d = convert_to_tensor(delta, dtype=self.dtype)
        if d._a.shape != self._a.shape:
            raise errors.InvalidArgumentError(
                None, None, f"Cannot update variable with shape {_tf_shape(self._a.shape)} "
                f"using a Tensor with shape {_tf_shape(d._a.shape)}, shapes must be equal.")
        return d._a

    def __getitem__(self, key: Any) -> "_VariableSlice":
        from tapeflow.ops import array_ops

        items, new_axes = array_ops._index_items(wrap(self._a), key if isinstance(
            key, tuple) else (key,))
        value = array_ops.slice_helper(self._as_tensor(), key)
        out = object.__new__(_VariableSlice)
        out._a = value._a
        out._var = self
        out._items = items
        if _tape.active:  # keep the slice differentiable w.r.t. the variable
            _tape.record("Identity", (value,), (out,))
        return out

    def _assign_slice(self, items: Any, value: Any) -> "_UnreadVariable":
        v = convert_to_tensor(value, dtype=self.dtype)
        _set_value(self, _core.slice_assign(self._a, items, v._a))
        return _UnreadVariable(self)

    # -- Python protocol -------------------------------------------------------------
    def __len__(self) -> int:
        return len(wrap(self._a))

    def __iter__(self) -> Iterator[Tensor]:
        return iter(self._as_tensor())

    def __bool__(self) -> bool:
        return bool(wrap(self._a))

    def __float__(self) -> float:
        return float(wrap(self._a))

    def __int__(self) -> int:
        return int(wrap(self._a))

    def __index__(self) -> int:
        return wrap(self._a).__index__()

    def __hash__(self) -> int:
        raise TypeError("Variable is unhashable. Instead, use variable.ref() as the key. "
                        f"(Variable: {self!r})")

    def __format__(self, spec: str) -> str:
        return self._numpy().__format__(spec)

    def _repr_name(self) -> str:
        return self._name

    def __repr__(self) -> str:
        return (f"<tf.Variable '{self._repr_name()}' shape={self.shape} "
                f"dtype={self.dtype.name}, numpy={_numpy_text(self, is_repr=True)}>")

    __str__ = __repr__

    def __deepcopy__(self, memo: Any) -> "Variable":
        return Variable(wrap(self._a), trainable=self._trainable, name=self._name[:-2])


_core._install_variable_reads(Variable)

# Every live Variable: a trace finds the variable whose value an op reads here.
_all_variables: "weakref.WeakValueDictionary[int, Variable]" = weakref.WeakValueDictionary()


def _set_value(var: Variable, array: Any, fresh: bool = False) -> None:
    """Gives ``var`` a new value (a core Array): the one way assignments write, so a
    trace in progress (tf.function) records the assignment. ``fresh``: ``array`` was just
    computed for this assignment (no other value shares its uid)."""
    if _tracing.stack:  # the trace knows the value by its uid
        _tracing.stack[-1].variable_assigned(var._handle, array)
    elif not fresh:  # its own uid: a trace tells variables apart by their values' uids
        array = array.renamed()
    var._a = array


_HAS_GPU = _core.cuda_device_count() > 0  # without one, every Array is on the CPU


def _keep_device(old: Any, new: Any) -> Any:
    """A variable stays on the device it was made on (TF's resource variables do):
    a value computed elsewhere is copied there."""
    if not _HAS_GPU:
        return new
    device = old.device
    return new if new.device == device else _core.to_device(new, device)


def _tf_shape(shape: Any) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


class _UnreadVariable(Variable):
    """What assignments return in TF: the same variable, printed as 'UnreadVariable'."""

    __slots__ = ("_parent",)

    def __init__(self, parent: Variable) -> None:  # noqa: D107 - shares the parent
        self._parent = parent

    @property  # type: ignore[override]
    def _a(self) -> Any:
        return self._parent._a

    @_a.setter
    def _a(self, value: Any) -> None:
        self._parent._a = value

    @property
    def _trainable(self) -> bool:  # type: ignore[override]
        return self._parent._trainable

    @property
    def _name(self) -> str:  # type: ignore[override]
        return self._parent._name

    @property
    def _uid(self) -> int:  # type: ignore[override]
        return self._parent._uid

    @property
    def _handle(self) -> Variable:
        return self._parent

    def _repr_name(self) -> str:
        return "UnreadVariable"

    @property
    def name(self) -> str:
        return "UnreadVariable"

    def _as_tensor(self) -> Tensor:
        return self._parent._as_tensor()


class _VariableSlice(Tensor):
    """``v[...]``: the sliced value, with ``.assign`` writing back into the variable."""

    __slots__ = ("_var", "_items")

    def assign(self, value: Any, use_locking: Any = None, name: Optional[str] = None,
               read_value: bool = True) -> Any:
        out = self._var._assign_slice(self._items, value)
        return out if read_value else None
