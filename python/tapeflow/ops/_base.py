"""Builders shared by the op modules: operand conversion, recording on tapes, and the
unary/binary op factories that keep an op and its gradient on one line."""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Sequence, Tuple

from tapeflow.autodiff import tape as _tape
from tapeflow.framework import dtypes, errors
from tapeflow.framework.tensor import (
    Tensor, _scalar_fast, convert_to_tensor, wrap)

# An Array is float when its dtype_index <= MAX_FLOAT_INDEX (cheaper than enum lookups).
MAX_FLOAT_INDEX = dtypes.MAX_FLOAT_INDEX
_new = object.__new__

def to_tensor(x: Any) -> Tensor:
    """x as a Tensor (Variables are read, Python values converted)."""
    return x if type(x) is Tensor else convert_to_tensor(x)


def binary_operands(x: Any, y: Any, tf_name: str, strict: bool = True) -> Tuple[Tensor, Tensor]:
    """Converts the operands of a binary op as TF does: a non-tensor operand is converted
    to the tensor's dtype, raising TypeError if it cannot be (``int_t * 1.5``); for
    AddV2 and MatMul (``strict=False``) it keeps its own dtype when it does not fit, and
    the dtype mismatch is then an InvalidArgumentError, as are mismatched tensors."""
    tx, ty = type(x), type(y)
    if tx is Tensor and (ty is float or ty is int):  # the `t * 2.0` hot path
        c = _scalar_fast(y, x.dtype)
        if c is not None:
            return x, c
    elif ty is Tensor and (tx is float or tx is int):
        c = _scalar_fast(x, y.dtype)
        if c is not None:
            return c, y
    if tx is not Tensor:  # Variables: one read, recorded as TF's ReadVariableOp
        read = getattr(x, "_as_tensor", None)
        if read is not None:
            x = read()
    if ty is not Tensor:
        read = getattr(y, "_as_tensor", None)
        if read is not None:
            y = read()
    if type(x) is Tensor and type(y) is Tensor and x._a.dtype_index == y._a.dtype_index:
        return x, y  # (a Tensor and a Variable of its dtype: the layers' hot path)
    if not isinstance(x, Tensor):
        if isinstance(y, Tensor):
            x = convert_to_tensor(x, dtype=y.dtype) if strict else \
                convert_to_tensor(x, dtype_hint=y.dtype)
        else:
            x = convert_to_tensor(x)
    if not isinstance(y, Tensor):
        y = convert_to_tensor(y, dtype=x.dtype) if strict else \
            convert_to_tensor(y, dtype_hint=x.dtype)
    if x._a.dtype_index != y._a.dtype_index:
        raise errors.InvalidArgumentError(
            None, None,
            f"cannot compute {tf_name} as input #1(zero-based) was expected to be a "
            f"{_tf_type(x)} tensor but is a {_tf_type(y)} tensor [Op:{tf_name}]")
    return x, y


def _tf_type(t: Tensor) -> str:
    return dtypes.c_name(t.dtype)


_reduce_sum: Any = None  # math_ops.reduce_sum / array_ops.reshape, bound on first use
_reshape: Any = None        # (both modules import this one)


def unbroadcast(g: Tensor, shape: Tuple[int, ...]) -> Tensor:
    """Sums a broadcast gradient back down to an operand's shape."""
    global _reduce_sum, _reshape
    gshape = g._a.shape
    if gshape == shape:
        return g
    if _reshape is None:
        from tapeflow.ops import array_ops, math_ops
        _reduce_sum, _reshape = math_ops.reduce_sum, array_ops.reshape
    lead = len(gshape) - len(shape)
    axes = list(range(lead)) + [
        i + lead for i, d in enumerate(shape) if d == 1 and gshape[i + lead] != 1]
    if axes:
        g = _reduce_sum(g, axes, keepdims=False)
    return _reshape(g, shape)


UnaryGrad = Callable[[Tensor, Tensor, Tensor], Optional[Tensor]]
BinaryGrad = Callable[[Tensor, Tensor, Tensor, Tensor], Optional[Tensor]]


def unary(core_fn: Callable[[Any], Any], tf_name: str, grad: Optional[UnaryGrad],
          doc: str) -> Callable[..., Tensor]:
    """An elementwise op; grad(x, y, dy) gives dx using tapeflow ops (None: no gradient)."""

    active = _tape.active  # the list itself: tapes change its contents, not identity
    record = _tape.record

    if grad is not None:
        @_tape.gradient(tf_name)
        def rule(inputs: Tuple[Any, ...], outputs: Tuple[Any, ...], dys: Tuple[Any, ...],
                 needs: Tuple[bool, ...], attrs: Any) -> Tuple[Any]:
            return (grad(inputs[0], outputs[0], dys[0]),)

    def op(x: Any, name: Optional[str] = None) -> Tensor:
        if type(x) is not Tensor:
            x = convert_to_tensor(x)
        out = _new(Tensor)
        out._a = core_fn(x._a)
        if grad is not None and active and out._a.dtype_index <= MAX_FLOAT_INDEX:
            record(tf_name, (x,), (out,))
        return out

    op.__doc__ = doc
    return op


def binary(core_fn: Callable[[Any, Any], Any], tf_name: str, grad_x: Optional[BinaryGrad],
           grad_y: Optional[BinaryGrad], doc: str, broadcast: bool = True,
           strict: bool = True) -> Callable[..., Tensor]:
    """A broadcasting binary op; grad_x/grad_y(x, y, z, dz) give the operands' gradients
    before un-broadcasting (None: that operand has no gradient)."""

    active = _tape.active  # the list itself: tapes change its contents, not identity
    has_grad = grad_x is not None or grad_y is not None

    def rule(inputs: Tuple[Any, ...], outputs: Tuple[Any, ...], dys: Tuple[Any, ...],
             needs: Tuple[bool, ...], attrs: Any) -> Tuple[Any, Any]:
        (x, y), out, dz = inputs, outputs[0], dys[0]
        gx = grad_x(x, y, out, dz) if needs[0] and grad_x is not None else None
        gy = grad_y(x, y, out, dz) if needs[1] and grad_y is not None else None
        if broadcast:
            if gx is not None:
                gx = unbroadcast(gx, x._a.shape)
            if gy is not None:
                gy = unbroadcast(gy, y._a.shape)
        return gx, gy

    if has_grad:
        _tape.gradient(tf_name)(rule)

    def op(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
        if type(x) is not Tensor or type(y) is not Tensor:
            x, y = binary_operands(x, y, tf_name, strict)
        out = _new(Tensor)
        try:
            out._a = core_fn(x._a, y._a)
        except errors.InvalidArgumentError:
            binary_operands(x, y, tf_name)  # mismatched dtypes: raise TF's message
            raise
        if has_grad and active and out._a.dtype_index <= MAX_FLOAT_INDEX:
            _tape.record(tf_name, (x, y), (out,))
        return out

    op.__doc__ = doc
    return op


def name_ops(namespace: Dict[str, Any]) -> None:
    """Gives the ops a module made with factories (``unary``, ``binary``, ...) the names
    they are bound to there: ``__name__``, ``__qualname__`` and ``__module__``, so that
    ``help(tf.math.softplus)`` and tracebacks say ``softplus`` in ``tapeflow.ops.math_ops``
    rather than ``op`` in ``_base``. The first public name bound wins (aliases such as
    ``swish = silu`` come later)."""
    module = namespace["__name__"]
    for key, fn in list(namespace.items()):
        if key.startswith("_") or not callable(fn) or "<locals>" not in getattr(
                fn, "__qualname__", ""):
            continue
        fn.__name__ = fn.__qualname__ = key
        fn.__module__ = module
