"""Array ops: creation, shape manipulation, slicing and gathering (``tf.*``).

Views (reshape, transpose, expand_dims, squeeze, broadcast_to, slices) share memory with
their input, which is safe because Tensors never change. Each differentiable op records
its gradient, written with tapeflow ops.
"""

from __future__ import annotations

import builtins
from typing import Any, List, Optional, Sequence, Tuple, Union

import numpy as np

from tapeflow.framework.device import host_value, to_host
from tapeflow import _core
from tapeflow.autodiff import tape as _tape
from tapeflow.framework import dtypes, errors
from tapeflow.framework.tensor import Tensor, convert_to_tensor, is_tensor, override_operator, wrap
from tapeflow.framework.tensor_shape import TensorShape, dims_of
from tapeflow.ops import math_ops
from tapeflow.ops._base import MAX_FLOAT_INDEX, name_ops, to_tensor, unbroadcast

_C = _core
newaxis = None


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
# The type attr TF names when an op's integer tensor input is given floats or strings.
_INDEX_ATTR = {"Fill": "index_type", "Reshape": "Tshape", "BroadcastTo": "Tidx",
               "Tile": "Tmultiples", "Transpose": "Tperm", "Pad": "Tpaddings",
               "GatherV2": "Taxis"}


def _attr_error(op: str, kind: str) -> errors.InvalidArgumentError:
    return errors.InvalidArgumentError(
        None, None, f"Value for attr '{_INDEX_ATTR.get(op, 'T')}' of {kind} is not in the "
        f"list of allowed values: int32, int64 [Op:{op}]")


def _bad_int(value: Any, whole: Any, op: Optional[str]) -> Exception:
    """TF's error for a non-integer where an integer (vector) is expected: ops that
    convert the argument as int32 (``op=None``) raise TypeError; ops that take it as a
    tensor input raise InvalidArgumentError naming the attr."""
    if value is None:
        return ValueError("Attempt to convert a value (None) with an unsupported type "
                          "(<class 'NoneType'>) to a Tensor.")
    if op is None:
        return TypeError(f"Cannot convert {whole!r} to EagerTensor of dtype int32")
    kind = "string" if isinstance(value, (str, bytes)) else "float"
    return _attr_error(op, kind)


def _int_arg(value: Any, op: Optional[str] = None, whole: Any = None) -> int:
    """One integer argument (axis, count, dimension) as a Python int: ints, numpy ints,
    bools and integer scalar tensors; anything else raises TF's error (see _bad_int),
    and values beyond int64 TF's ValueError."""
    t = type(value)
    if t is int or isinstance(value, (int, np.integer)):
        v = int(value)
    elif isinstance(value, Tensor) or hasattr(value, "_as_tensor"):
        x = to_tensor(value)
        if x._a.ndim != 0:
            raise errors.InvalidArgumentError(
                None, None, f"Expected a scalar, got a tensor of shape {x.shape}")
        if not (x.dtype.is_integer or x.dtype.is_bool):
            raise _bad_int(1.0, value, op) if op else TypeError(
                f"Cannot convert {value!r} to EagerTensor of dtype int32")
        v = int(host_value(x._a)[()])
    elif isinstance(value, np.ndarray) and value.ndim == 0:
        return _int_arg(value[()], op, value if whole is None else whole)
    else:
        raise _bad_int(value, value if whole is None else whole, op)
    if not _INT64_MIN <= v <= _INT64_MAX:
        raise ValueError("Can't convert Python sequence with out-of-range integer to Tensor.")
    return v


def _shape_arg(shape: Any, op: Optional[str] = None) -> Any:
    """A shape-like argument (list, tuple, TensorShape, int, numpy array, int Tensor or
    Variable) as a list of Python ints, validated as TF validates it: floats, strings
    and None raise TF's error for the op (see _bad_int), values beyond int64 raise
    ValueError, and anything but a vector InvalidArgumentError. (Negative sizes and
    shapes too large are the consumer's to refuse.)"""
    if type(shape) is tuple and all(type(d) is int for d in shape) and (
            not shape or _INT64_MIN <= min(shape) and max(shape) <= _INT64_MAX):
        return shape  # shapes taken from arrays (the gradient hot path)
    if isinstance(shape, TensorShape):
        return [int(d) for d in dims_of(shape)]
    if isinstance(shape, Tensor) or hasattr(shape, "_as_tensor"):
        t = to_tensor(shape)
        if not (t.dtype.is_integer or t.dtype.is_bool):
            raise _attr_error(op or "Fill", dtypes.c_name(t.dtype))
        shape = host_value(t._a)
    if isinstance(shape, np.ndarray):
        if shape.dtype.kind in "iub":
            shape = shape.tolist()
        elif shape.dtype.kind == "f" and op is None and np.all(np.mod(shape, 1) == 0):
            shape = shape.astype(np.int64).tolist()  # TF casts integral numpy floats
        else:
            raise _bad_int(shape.flat[0] if shape.size else 0.5, shape, op)
    if not isinstance(shape, (list, tuple)):
        if isinstance(shape, (float, np.floating)) or shape is None or isinstance(
                shape, (str, bytes)) or hasattr(shape, "__index__"):
            return [_int_arg(shape, op, shape)]
        raise _bad_int(shape, shape, op)
    out = []
    for d in shape:
        if isinstance(d, (list, tuple, np.ndarray)):
            raise errors.InvalidArgumentError(
                None, None, f"shape must be a vector, got a nested sequence {shape!r}"
                + (f" [Op:{op}]" if op else ""))
        out.append(_int_arg(d, op, shape))
    return out


_ELEMENT_LIMIT = 2**63 - 1
_PHYSICAL_BYTES = None


def _check_new_shape(dims: Sequence[int], dtype: dtypes.DType, op: str,
                     check_memory: bool = False) -> None:
    """TF's checks of a shape an op creates: dimensions >= 0, at most 2**63 - 1
    elements (InvalidArgumentError). With `check_memory` (broadcast views, which TF
    materializes, and results built in numpy), more bytes than this machine has is
    TF's OOM (ResourceExhaustedError) now, rather than numpy's error later."""
    global _PHYSICAL_BYTES
    n = 1
    for d in dims:
        if d < 0:
            raise errors.InvalidArgumentError(
                None, None, f"Dimension {d} must be >= 0 [Op:{op}]")
        n *= d
    if n > _ELEMENT_LIMIT:
        raise errors.InvalidArgumentError(
            None, None, f"Shape [{','.join(map(str, dims))}] would have more than "
            f"2**63 - 1 elements [Op:{op}]")
    if not check_memory:
        return
    if _PHYSICAL_BYTES is None:
        import os
        try:
            _PHYSICAL_BYTES = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):
            _PHYSICAL_BYTES = 2**48
    if n * dtype.size > _PHYSICAL_BYTES:
        raise errors.ResourceExhaustedError(
            None, None, f"OOM when allocating tensor with shape[{','.join(map(str, dims))}]"
            f" and type {dtypes.c_name(dtype)} on {_host()} [Op:{op}]")


def _host() -> str:
    return "/job:localhost/replica:0/task:0/device:CPU:0"


def _record1(name: str, x: Tensor, out: Tensor, attrs: Any = None,
             others: Tuple[Tensor, ...] = ()) -> Tensor:
    """Records an op of input x (then `others`, which get no gradient) and output `out`
    on the active tapes, with the attributes its rule reads; returns `out`."""
    if _tape.active and out._a.dtype_index <= MAX_FLOAT_INDEX:
        _tape.record(name, (x,) + others, (out,), attrs)
    return out


def _rule1(*names: str) -> Any:
    """Registers grad(x, out, dy, attrs) -> dx as the rule of the one-input ops `names`
    (recorded by _record1)."""
    def register(grad: Any) -> Any:
        _tape.gradient(*names)(lambda inputs, outputs, dys, needs, attrs: (
            grad(inputs[0], outputs[0], dys[0], attrs),) + (None,) * (len(inputs) - 1))
        return grad

    return register


# ---- creation -------------------------------------------------------------------------
def zeros(shape: Any, dtype: Any = dtypes.float32, name: Optional[str] = None) -> Tensor:
    """A tensor of zeros (``tf.zeros``)."""
    return _full(shape, dtype, 0.0)


def ones(shape: Any, dtype: Any = dtypes.float32, name: Optional[str] = None) -> Tensor:
    """A tensor of ones (``tf.ones``)."""
    return _full(shape, dtype, 1.0)


def _full(shape: Any, dtype: Any, value: float) -> Tensor:
    """zeros/ones: the shape is converted as int32 (TypeError for floats, as TF)."""
    dims, dt = _shape_arg(shape), dtypes.as_dtype(dtype)
    _check_new_shape(dims, dt, "Fill")
    return wrap(_C.full(dims, dt._core, value))


zeros_like = math_ops.zeros_like
ones_like = math_ops.ones_like


def fill(dims: Any, value: Any, name: Optional[str] = None) -> Tensor:
    """A tensor of `dims` filled with a scalar (``tf.fill``); dtype from the value."""
    v = to_tensor(value)
    shape = _shape_arg(dims, "Fill")
    if v._a.ndim != 0:
        raise errors.InvalidArgumentError(
            None, None, f"value must be a scalar, got shape {v.shape} [Op:Fill]")
    _check_new_shape(shape, v.dtype, "Fill", check_memory=True)
    return broadcast_to(v, shape)


def eye(num_rows: int, num_columns: Optional[int] = None, batch_shape: Any = None,
        dtype: Any = dtypes.float32, name: Optional[str] = None) -> Tensor:
    """An identity matrix (``tf.eye``), optionally batched."""
    cols = num_rows if num_columns is None else num_columns
    if not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool)
               for n in (num_rows, cols)):
        raise TypeError("Arguments `num_rows` and `num_columns` must be positive integer "
                        f"values. Received: num_rows={num_rows}, num_columns={cols}")
    dt = dtypes.as_dtype(dtype)
    batch = [] if batch_shape is None else _shape_arg(batch_shape)
    dims = batch + [_int_arg(num_rows), _int_arg(cols)]
    _check_new_shape(dims, dt, "MatrixDiagV3", check_memory=True)
    m = np.eye(dims[-2], dims[-1], dtype=dt._np)
    if batch:
        m = np.broadcast_to(m, tuple(dims))
    return convert_to_tensor(np.ascontiguousarray(m))


def range(start: Any, limit: Any = None, delta: Any = 1, dtype: Any = None,  # noqa: A001
          name: Optional[str] = None) -> Tensor:
    """``tf.range``: float32 if any argument is a float, else int32, or int64 when a
    bound needs it (or an argument is an int64 tensor); ``dtype`` converts the
    arguments as TF does (TypeError for floats asked to be ints)."""
    if limit is None:
        start, limit = 0, start
    args = (start, limit, delta)
    if dtype is not None:
        dt = dtypes.as_dtype(dtype)
        ts = [convert_to_tensor(v, dtype=dt) for v in args]
    else:
        ts = [to_tensor(v) for v in args]
        kinds = [t.dtype for t in ts]
        if any(k.is_floating for k in kinds):
            dt = dtypes.float64 if dtypes.float64 in kinds else dtypes.float32
        elif any(k is dtypes.int64 for k in kinds):
            dt = dtypes.int64
        elif all(k.is_integer for k in kinds):
            dt = dtypes.int32
        else:
            raise TypeError(f"tf.range takes numbers, got dtypes {[k.name for k in kinds]}")
        ts = [math_ops.cast(t, dt) if t.dtype is not dt else t for t in ts]
    for t, what in zip(ts, ("start", "limit", "delta")):
        if t._a.ndim != 0:
            raise errors.InvalidArgumentError(
                None, None, f"{what} must be a scalar, not shape {t.shape} [Op:Range]")
    s0, s1, d = (host_value(t._a)[()] if dt.is_integer else t._numpy() for t in ts)
    if d == 0:
        raise errors.InvalidArgumentError(None, None, f"Requires delta != 0: {d} [Op:Range]")
    if d > 0 and not s0 <= s1:
        raise errors.InvalidArgumentError(
            None, None, f"Requires start <= limit when delta > 0: {s0}/{s1} [Op:Range]")
    if d < 0 and not s0 >= s1:
        raise errors.InvalidArgumentError(
            None, None, f"Requires start >= limit when delta < 0: {s0}/{s1} [Op:Range]")
    if dt.is_integer:
        a, b, step = int(s0), int(s1), int(d)
        n = (abs(b - a) + abs(step) - 1) // abs(step)
    else:
        span = np.ceil(np.abs((np.float64(s1) - np.float64(s0)) / np.float64(d)))
        if not np.isfinite(span) or span > _ELEMENT_LIMIT:
            raise errors.InvalidArgumentError(
                None, None, "Requires ((limit - start) / delta) <= 9223372036854775807 "
                "[Op:Range]")
        n = int(span)
    _check_new_shape([n], dt, "Range", check_memory=True)
    if dt.is_integer:
        out = np.arange(n, dtype=np.int64) * step + a  # exact in int64
    else:
        out = np.arange(s0, s1, d, dtype=np.float64)[:n]
    return convert_to_tensor(out.astype(dt._np))


def linspace(start: Any, stop: Any, num: Any, name: Optional[str] = None,
             axis: int = 0) -> Tensor:
    """``num`` evenly spaced values (``tf.linspace``); integer inputs give float64."""
    s, e = to_tensor(start), to_tensor(stop)
    nt = to_tensor(num)
    if not nt.dtype.is_integer:
        raise TypeError(f"Argument `tensor` (name: num) must be of type integer. Received "
                        f"`tensor` = {num} of dtype: {nt.dtype}")
    n = _int_arg(nt)
    if n < 0:
        raise errors.InvalidArgumentError(
            None, None, f"Requires num >= 0: {n} [Op:LinSpace]")
    dt = dtypes.float64 if not s.dtype.is_floating else s.dtype
    shape = np.broadcast_shapes(s._a.shape, e._a.shape)
    ax = axis % (len(shape) + 1) if -len(shape) - 1 <= axis <= len(shape) else None
    if ax is None:
        raise errors.InvalidArgumentError(
            None, None, f"axis {axis} out of range for rank {len(shape) + 1} [Op:LinSpace]")
    _check_new_shape(list(shape[:ax]) + [n] + list(shape[ax:]), dt, "LinSpace",
                     check_memory=True)
    out = np.linspace(s.numpy(), e.numpy(), n, axis=ax).astype(dt._np)
    return convert_to_tensor(out)


def identity(input: Any, name: Optional[str] = None) -> Tensor:
    """The same value (``tf.identity``); the gradient passes through."""
    x = to_tensor(input)
    out = wrap(x._a)
    return _record1("Identity", x, out)


def stop_gradient(input: Any, name: Optional[str] = None) -> Tensor:
    """The same value, but no gradient flows through it (``tf.stop_gradient``)."""
    return wrap(to_tensor(input)._a)


# ---- shapes ---------------------------------------------------------------------------
def shape(input: Any, out_type: Any = dtypes.int32, name: Optional[str] = None) -> Tensor:
    """The shape as a 1-D int32 tensor (``tf.shape``): an op, so a traced function
    reads the shape of what it runs on (a graph may serve several batch sizes)."""
    return wrap(_core.shape_of(to_tensor(input)._a, dtypes.as_dtype(out_type)._core))


def size(input: Any, out_type: Any = dtypes.int32, name: Optional[str] = None) -> Tensor:
    """The number of elements (``tf.size``), an op as ``tf.shape``."""
    return wrap(_core.size_of(to_tensor(input)._a, dtypes.as_dtype(out_type)._core))


def rank(input: Any, name: Optional[str] = None) -> Tensor:
    """The number of dimensions, as an int32 scalar (``tf.rank``)."""
    return convert_to_tensor(np.int32(to_tensor(input)._a.ndim))


def reshape(tensor: Any, shape: Any, name: Optional[str] = None) -> Tensor:
    """``tf.reshape`` (one -1 allowed); a view when the input is contiguous."""
    x = to_tensor(tensor)
    dims = _shape_arg(shape, "Reshape")
    if x._a.size == 0 and list(dims).count(-1) == 1 and 0 in dims:
        dims = _infer_empty(x._a.shape, list(dims))
    out = wrap(_C.reshape(x._a, dims))
    return _record1("Reshape", x, out)


@_rule1("Reshape", "ExpandDims", "Squeeze")
def _reshape_grad(x: Tensor, out: Tensor, dy: Tensor, attrs: Any) -> Tensor:
    return reshape(dy, x._a.shape)


def _infer_empty(in_shape: Tuple[int, ...], dims: List[int]) -> List[int]:
    """TF's reshape of an empty tensor to a shape with a 0 and a -1: the -1 is the
    product of the input's nonzero dims over the target's (e.g. (0, 2) -> [0, -1]
    gives (0, 2); rounded down, as TF), where numpy refuses."""
    have = int(np.prod([d for d in in_shape if d != 0]))
    known = int(np.prod([d for d in dims if d not in (0, -1)]))
    dims[dims.index(-1)] = have // known if known else 0
    return dims


def transpose(a: Any, perm: Optional[Sequence[int]] = None, conjugate: bool = False,
              name: Optional[str] = None) -> Tensor:
    """Permutes the axes (``tf.transpose``; default reverses them)."""
    x = to_tensor(a)
    p = list(builtins.range(x._a.ndim))[::-1] if perm is None else _shape_arg(perm, "Transpose")
    if len(p) != x._a.ndim:  # (the core reads an empty perm as "reverse")
        raise errors.InvalidArgumentError(
            None, None, f"transpose expects a vector of size {x._a.ndim}. But input(1) is "
            f"a vector of size {len(p)} [Op:Transpose]")
    for d in p:
        if not -x._a.ndim <= d < x._a.ndim:
            raise errors.InvalidArgumentError(
                None, None, f"{d} is out of range [0 .. {x._a.ndim}) [Op:Transpose]")
    p = [d % x._a.ndim if d < 0 else d for d in p]
    out = wrap(_C.transpose(x._a, p))
    return _record1("Transpose", x, out, tuple(p))


@_rule1("Transpose")
def _transpose_grad(x: Tensor, out: Tensor, dy: Tensor, perm: Any) -> Tensor:
    return transpose(dy, [int(i) for i in np.argsort(perm)] if perm else [])


def expand_dims(input: Any, axis: int, name: Optional[str] = None) -> Tensor:
    """Inserts a dimension of size 1 (``tf.expand_dims``)."""
    x = to_tensor(input)
    out = wrap(_C.expand_dims(x._a, _int_arg(axis)))
    return _record1("ExpandDims", x, out)


def squeeze(input: Any, axis: Union[None, int, Sequence[int]] = None,
            name: Optional[str] = None) -> Tensor:
    """Removes size-1 dimensions (``tf.squeeze``), all of them or those in `axis`."""
    x = to_tensor(input)
    axes = [] if axis is None else [_squeeze_axis(axis)] if not isinstance(
        axis, (list, tuple, np.ndarray)) else [_squeeze_axis(a) for a in axis]
    out = wrap(_C.squeeze(x._a, axes))
    return _record1("Squeeze", x, out)


def _squeeze_axis(a: Any) -> int:
    return _int_arg(int(a) if isinstance(a, float) else a)  # TF takes 1.0 here


def broadcast_to(input: Any, shape: Any, name: Optional[str] = None) -> Tensor:
    """Broadcasts to a shape (``tf.broadcast_to``), as a view; a view larger than
    memory is refused as TF's allocation of it would be."""
    x = to_tensor(input)
    dims = _shape_arg(shape, "BroadcastTo")
    out = wrap(_C.broadcast_to(x._a, dims))
    if out._a.size > x._a.size:
        _check_new_shape(dims, x.dtype, "BroadcastTo", check_memory=True)
    if out._a.shape == x._a.shape:
        return out if not _tape.active else identity(x)
    return _record1("BroadcastTo", x, out)


@_rule1("BroadcastTo")
def _broadcast_to_grad(x: Tensor, out: Tensor, dy: Tensor, attrs: Any) -> Tensor:
    return unbroadcast(dy, x._a.shape)


def broadcast_static_shape(a: Any, b: Any) -> TensorShape:
    """The broadcast of two shapes (``tf.broadcast_static_shape``)."""
    return TensorShape(_C.broadcast_shapes(list(a), list(b)))


def moveaxis_last(x: Tensor, axis: int) -> Tensor:
    """x with `axis` moved to the end."""
    nd = x._a.ndim
    axis %= nd
    return transpose(x, [d for d in builtins.range(nd) if d != axis] + [axis])


def moveaxis_from_last(x: Tensor, axis: int) -> Tensor:
    """Inverse of moveaxis_last."""
    nd = x._a.ndim
    axis %= nd
    perm = list(builtins.range(nd - 1))
    perm.insert(axis, nd - 1)
    return transpose(x, perm)


# ---- joining and splitting -----------------------------------------------------------
def concat(values: Sequence[Any], axis: int, name: Optional[str] = None) -> Tensor:
    """Joins tensors along an existing axis (``tf.concat``)."""
    xs = [to_tensor(v) for v in values]
    axis = _int_arg(axis)
    out = wrap(_C.concat([x._a for x in xs], axis))
    if _tape.active and out._a.dtype_index <= MAX_FLOAT_INDEX:
        _tape.record("ConcatV2", tuple(xs), (out,), axis % out._a.ndim)
    return out


@_tape.gradient("ConcatV2")
def _concat_grad(inputs: Any, outputs: Any, dys: Any, needs: Any, axis: int) -> List[Any]:
    return split(dys[0], [x._a.shape[axis] for x in inputs], axis=axis)


def stack(values: Sequence[Any], axis: int = 0, name: Optional[str] = None) -> Tensor:
    """Joins same-shape tensors along a new axis (``tf.stack``)."""
    xs = [to_tensor(v) for v in values]
    if not xs:
        raise ValueError("stack needs at least one tensor")
    n = xs[0]._a.ndim
    axis = _int_arg(axis)
    if not -(n + 1) <= axis <= n:
        raise ValueError(f"Argument `axis` = {axis} not in range [{-(n + 1)}, {n + 1})")
    try:
        out = wrap(_C.stack([x._a for x in xs], axis))
    except errors.InvalidArgumentError:
        _check_pack(xs)  # TF's message
        raise
    if _tape.active and out._a.dtype_index <= MAX_FLOAT_INDEX:
        _tape.record("Pack", tuple(xs), (out,), axis % (n + 1))
    return out


def _check_pack(xs: List[Tensor]) -> None:
    """TF's Pack errors for mismatched dtypes or shapes."""
    first = xs[0]
    for i, x in enumerate(xs):
        if x._a.dtype_index != first._a.dtype_index:
            raise errors.InvalidArgumentError(
                None, None, f"cannot compute Pack as input #{i}(zero-based) was expected to "
                f"be a {dtypes.c_name(first.dtype)} tensor but is a "
                f"{dtypes.c_name(x.dtype)} tensor [Op:Pack] name: stack")
        if x._a.shape != first._a.shape:
            raise errors.InvalidArgumentError(
                None, None, "Shapes of all inputs must match: values[0].shape = "
                f"[{','.join(map(str, first._a.shape))}] != values[{i}].shape = "
                f"[{','.join(map(str, x._a.shape))}] [Op:Pack] name: stack")


@_tape.gradient("Pack")
def _stack_grad(inputs: Any, outputs: Any, dys: Any, needs: Any, axis: int) -> List[Any]:
    return unstack(dys[0], axis=axis)


def unstack(value: Any, num: Optional[int] = None, axis: int = 0,
            name: Optional[str] = None) -> List[Tensor]:
    """Splits a tensor into its slices along an axis (``tf.unstack``)."""
    x = to_tensor(value)
    nd = x._a.ndim
    axis = _int_arg(axis)
    if not -nd <= axis < nd:
        raise ValueError(f"Argument `axis` = {axis} not in range [{-nd}, {nd})")
    ax = axis % nd
    n = x._a.shape[ax]
    if num is not None and _int_arg(num) != n:
        raise errors.InvalidArgumentError(
            None, None, f"Input shape axis {ax} must equal {num}, got shape "
            f"[{','.join(map(str, x._a.shape))}] [Op:Unpack]")
    key = (slice(None),) * ax
    return [slice_helper(x, key + (i,)) for i in builtins.range(n)]


def split(value: Any, num_or_size_splits: Any, axis: int = 0, num: Optional[int] = None,
          name: Optional[str] = None) -> List[Tensor]:
    """Splits into equal parts or given sizes along an axis (``tf.split``)."""
    x = to_tensor(value)
    nd = x._a.ndim
    axis = _int_arg(axis)
    splits = num_or_size_splits
    if isinstance(splits, (int, np.integer)) and not isinstance(splits, bool):
        k = _int_arg(splits)
        if k < 1:
            raise errors.InvalidArgumentError(
                None, None, f"Value for attr 'num_split' of {k} must be at least minimum "
                "1 [Op:Split]")
    elif isinstance(splits, (float, np.floating)) or (
            is_tensor(splits) and to_tensor(splits)._a.ndim == 0):
        raise ValueError("Rank-0 tensors are not supported as the num_or_size_splits "
                         f"argument to split. Argument provided: {splits}")
    op = "Split" if isinstance(splits, (int, np.integer)) else "SplitV"
    if not -nd <= axis < nd:
        raise errors.InvalidArgumentError(
            None, None, f"-input rank(-{nd}) <= split_dim < input rank ({nd}), but got "
            f"{axis} [Op:{op}]")
    ax = axis % nd
    n = x._a.shape[ax]
    if op == "Split":
        if n % k:
            raise errors.InvalidArgumentError(
                None, None, f"Number of ways to split should evenly divide the split "
                f"dimension, but got split_dim {ax} (size = {n}) and num_split {k}")
        sizes = [n // k] * k
    else:
        sizes = _shape_arg(splits, "SplitV")
        for i, sz in enumerate(sizes):
            if sz < -1:
                raise errors.InvalidArgumentError(
                    None, None, f"Split size at index {i} must be >= 0. Got: {sz} "
                    "[Op:SplitV]")
        if sizes.count(-1) > 1:
            raise errors.InvalidArgumentError(
                None, None, "There can only be one -1 in the input. [Op:SplitV]")
        if sizes.count(-1) == 1:
            sizes[sizes.index(-1)] = n - (sum(sizes) + 1)
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise errors.InvalidArgumentError(
                None, None, f"Determined shape must either match input shape along "
                f"split_dim exactly if fully specified, or be less than the size of the "
                f"input along split_dim if not fully specified.  Got: {sum(sizes)}")
    out, start = [], 0
    lead = (slice(None),) * ax
    for s in sizes:
        out.append(slice_helper(x, lead + (slice(start, start + s),)))
        start += s
    return out


def tile(input: Any, multiples: Any, name: Optional[str] = None) -> Tensor:
    """Repeats a tensor along each axis (``tf.tile``)."""
    x = to_tensor(input)
    mult = _shape_arg(multiples, "Tile")
    out = wrap(_C.tile(x._a, mult))
    return _record1("Tile", x, out, tuple(mult))


@_rule1("Tile")
def _tile_grad(x: Tensor, out: Tensor, dy: Tensor, mult: Any) -> Tensor:
    split_shape = [d for pair in zip(mult, x._a.shape) for d in pair]
    return math_ops.reduce_sum(reshape(dy, split_shape), list(builtins.range(0, 2 * len(mult), 2)))


def repeat(input: Any, repeats: Any, axis: Optional[int] = None,
           name: Optional[str] = None) -> Tensor:
    """Repeats each element (``tf.repeat``): a scalar count, or one count per slice
    along `axis` (the input flattened when `axis` is None)."""
    x = to_tensor(input)
    if axis is None:
        x, axis = reshape(x, [-1]), 0
    elif not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
        raise TypeError(f"Argument `axis` must be an int. Received `axis` = {axis} of "
                        f"type {type(axis).__name__}")
    if x._a.ndim == 0:
        x = reshape(x, [1])
    nd = x._a.ndim
    if not -nd <= axis < nd:
        raise ValueError(f"axis={axis} out of bounds: expected {-nd}<=axis<{nd}")
    ax = int(axis) % nd
    r = to_tensor(repeats)
    if not r.dtype.is_integer:
        raise TypeError(f"Argument `tensor` (name: repeats) must be of type integer. "
                        f"Received `tensor` = {repeats} of dtype: {r.dtype}")
    counts = np.asarray(host_value(r._a), dtype=np.int64)
    n = x._a.shape[ax]
    if counts.ndim > 1 or (counts.ndim == 1 and counts.shape[0] not in (1, n)):
        raise ValueError(f"Dimensions {n} and {counts.size} are not compatible")
    if counts.size and counts.min() < 0:
        bad = int(counts.min())
        raise errors.InvalidArgumentError(
            None, None, f"Expected multiples[1] >= 0, but got {bad} [Op:Tile]")
    total = int(counts.sum()) if counts.ndim == 1 and counts.shape[0] == n else \
        n * int(counts.reshape(-1)[0])
    # the index vector (int64) is built here: refuse one larger than memory, as TF's OOM
    _check_new_shape([total], dtypes.int64, "Repeat", check_memory=True)
    idx = np.repeat(np.arange(n), counts.reshape(-1) if counts.size == n else
                    int(counts.reshape(-1)[0]))
    return gather(x, idx, axis=ax)


def _paddings(paddings: Any, x: Tensor, op: str) -> List[Tuple[int, int]]:
    """Paddings as (before, after) pairs, one per axis of x (TF's checks)."""
    if isinstance(paddings, Tensor) or hasattr(paddings, "_as_tensor"):
        t = to_tensor(paddings)
        if not t.dtype.is_integer:
            raise _attr_error(op, dtypes.c_name(t.dtype))
        paddings = host_value(t._a)
    rows = paddings.tolist() if isinstance(paddings, np.ndarray) else paddings
    if not isinstance(rows, (list, tuple)) or not all(
            isinstance(r, (list, tuple, np.ndarray)) and len(r) == 2 for r in rows):
        raise errors.InvalidArgumentError(
            None, None, f"paddings must be a matrix with 2 columns: {paddings!r} [Op:{op}]")
    pads = [(_int_arg(a, op, paddings), _int_arg(b, op, paddings)) for a, b in rows]
    if len(pads) != x._a.ndim:
        raise errors.InvalidArgumentError(
            None, None, "The first dimension of paddings must be the rank of inputs"
            f"[{len(pads)},2] {list(x._a.shape)} [Op:{op}]")
    return pads


def pad(tensor: Any, paddings: Any, mode: str = "CONSTANT", constant_values: Any = 0,
        name: Optional[str] = None) -> Tensor:
    """Pads a tensor (``tf.pad``): CONSTANT, REFLECT or SYMMETRIC (any case); mirrored
    padding must be smaller than the axis (REFLECT) or no larger (SYMMETRIC), as TF."""
    x = to_tensor(tensor)
    upper = mode.upper() if isinstance(mode, str) else mode
    if upper not in ("CONSTANT", "REFLECT", "SYMMETRIC"):
        raise ValueError('Value of argument `mode` expected to be one of "CONSTANT", '
                         f'"REFLECT", or "SYMMETRIC". Received `mode` = {mode}')
    op = "Pad" if upper == "CONSTANT" else "MirrorPad"
    pads = _paddings(paddings, x, op)
    if upper == "CONSTANT":
        fill = convert_to_tensor(constant_values, dtype=x.dtype)  # TF's TypeError for "a"
        out = wrap(_C.pad(x._a, pads, float(fill.numpy())))
        return _record1("Pad", x, out, tuple(p for pair in pads for p in pair))
    reflect = upper == "REFLECT"
    for (a, b), d in zip(pads, x._a.shape):
        if a < 0 or b < 0:
            raise errors.InvalidArgumentError(
                None, None, f"Paddings must be non-negative: {a} {b} [Op:MirrorPad]")
        if reflect and (a >= d or b >= d):
            raise errors.InvalidArgumentError(
                None, None, f"paddings must be less than the dimension size: {a}, {b} "
                f"not less than {d} [Op:MirrorPad]")
        if not reflect and (a > d or b > d):
            raise errors.InvalidArgumentError(
                None, None, f"paddings must be no greater than the dimension size: {a}, "
                f"{b} greater than {d} [Op:MirrorPad]")
    out = x
    for ax, (a, b) in enumerate(pads):
        if a or b:
            idx = np.pad(np.arange(x._a.shape[ax]), (a, b), mode=upper.lower())
            out = gather(out, idx, axis=ax)
    return out


@_rule1("Pad")
def _pad_grad(x: Tensor, out: Tensor, dy: Tensor, pads: Any) -> Tensor:
    """The unpadded window of dy (pads: before_0, after_0, before_1, ...)."""
    return slice_helper(dy, tuple(slice(a, a + d) for a, d in zip(pads[::2], x._a.shape)))


# ---- gathering -------------------------------------------------------------------------
def gather(params: Any, indices: Any, validate_indices: Any = None,
           axis: Optional[int] = None, batch_dims: int = 0,
           name: Optional[str] = None) -> Tensor:
    """Takes slices along an axis at integer indices (``tf.gather``); out-of-range
    indices raise InvalidArgumentError, as on TF's CPU."""
    if batch_dims:
        raise NotImplementedError("gather with batch_dims is not supported yet")
    x = to_tensor(params)
    idx = to_tensor(indices)
    ax = 0 if axis is None else _int_arg(axis, "GatherV2")
    out = wrap(_C.gather(x._a, idx._a, ax))
    return _record1("GatherV2", x, out, ax, (idx,))


@_tape.gradient("GatherV2")
def _gather_grad(inputs: Any, outputs: Any, dys: Any, needs: Any, axis: int) -> Tuple[Any, None]:
    (x, indices), dy = inputs, dys[0]
    return _scatter_add(indices, dy, x._a.shape, axis), None


def _scatter_add(indices: Tensor, updates: Tensor, shape: Tuple[int, ...], axis: int) -> Tensor:
    """The adjoint of gather (TF's UnsortedSegmentSum), itself differentiable."""
    out = wrap(_C.scatter_add(indices._a, updates._a, list(shape), axis))
    return _record1("ScatterAdd", updates, out, axis, (indices,))


@_tape.gradient("ScatterAdd")
def _scatter_add_grad(inputs: Any, outputs: Any, dys: Any, needs: Any, axis: int) -> Tuple[Any, None]:
    return gather(dys[0], inputs[1], axis=axis), None


def boolean_mask(tensor: Any, mask: Any, axis: Optional[int] = None,
                 name: Optional[str] = None) -> Tensor:
    """Elements (or slices) where mask is True (``tf.boolean_mask``)."""
    x = to_tensor(tensor)
    m = np.asarray(to_host(to_tensor(mask)._a))
    ax = 0 if axis is None else int(axis)
    k = m.ndim
    if k == 0 or x._a.shape[ax:ax + k] != m.shape:
        raise ValueError(f"Shapes {x.shape[ax:ax + k]} and {tuple(m.shape)} are incompatible")
    flat_shape = list(x._a.shape[:ax]) + [-1] + list(x._a.shape[ax + k:])
    return gather(reshape(x, flat_shape), np.flatnonzero(m).astype(np.int64), axis=ax)


def one_hot(indices: Any, depth: int, on_value: Any = None, off_value: Any = None,
            axis: Optional[int] = None, dtype: Any = None, name: Optional[str] = None) -> Tensor:
    """One-hot encoding (``tf.one_hot``); out-of-range indices give all-off rows."""
    idx = to_tensor(indices)
    dt = dtypes.as_dtype(dtype) if dtype is not None else (
        to_tensor(on_value).dtype if on_value is not None else dtypes.float32)
    on = 1.0 if on_value is None else float(to_tensor(on_value).numpy())
    off = 0.0 if off_value is None else float(to_tensor(off_value).numpy())
    n = _int_arg(depth)
    if n < 0:
        raise errors.InvalidArgumentError(
            None, None, f"depth must be non-negative, got: {n} [Op:OneHot]")
    return wrap(_C.one_hot(idx._a, n, on, off, -1 if axis is None else _int_arg(axis),
                           dt._core))


# ---- indexing ----------------------------------------------------------------------
def _index_items(x: Tensor, key: Any) -> Tuple[Tuple[Any, ...], List[int]]:
    """Splits a __getitem__ key into core slice items and positions of new axes."""
    if not isinstance(key, tuple):
        key = (key,)
    n_real = sum(1 for k in key if k is not None and k is not Ellipsis)
    if sum(1 for k in key if k is Ellipsis) > 1:
        raise errors.InvalidArgumentError(None, None,
                                          "Multiple ellipses in slice spec not allowed")
    items: List[Any] = []
    new_axes: List[int] = []
    out_dim = 0
    for k in key:
        if k is Ellipsis:
            fill_n = x._a.ndim - n_real
            items.extend([slice(None)] * fill_n)
            out_dim += fill_n
        elif k is None:
            new_axes.append(out_dim)
            out_dim += 1
        elif isinstance(k, slice):
            items.append(slice(_index_int(k.start), _index_int(k.stop), _index_int(k.step)))
            out_dim += 1
        else:
            items.append(_index_int(k))
    if len(items) > x._a.ndim:
        raise errors.InvalidArgumentError(
            None, None, f"Index out of range using input dim {x._a.ndim}; input has only "
            f"{x._a.ndim} dims")
    return tuple(items), new_axes


def _index_int(v: Any) -> Any:
    if v is None or isinstance(v, (int, np.integer)):
        if v is not None and not _INT64_MIN <= v <= _INT64_MAX:
            raise ValueError(
                "Can't convert Python sequence with out-of-range integer to Tensor.")
        return v if v is None else int(v)
    if isinstance(v, Tensor) or hasattr(v, "_as_tensor"):
        t = to_tensor(v)
        if t._a.ndim == 0 and t.dtype.is_integer:
            return int(t)
    raise TypeError("Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) "
                    f"and scalar tf.int32/tf.int64 tensors are valid indices, got {v!r}")


def slice_helper(tensor: Any, key: Any) -> Tensor:
    """``tensor[key]`` as TF: ints, slices (any step), ``...``, ``None``/``tf.newaxis``,
    scalar int tensors, and a bool mask (via boolean_mask)."""
    x = to_tensor(tensor)
    if isinstance(key, bool) or isinstance(key, (Tensor, np.ndarray)) and \
            to_tensor(key).dtype is dtypes.bool:
        if np.ndim(key) == 0:
            raise ValueError("mask cannot be scalar.")
        return boolean_mask(x, key)
    if isinstance(key, list):
        key = tuple(key)
    items, new_axes = _index_items(x, key)
    out = wrap(_C.slice(x._a, items))
    _record1("StridedSlice", x, out, items)
    if new_axes:
        shape = list(out._a.shape)
        for pos in new_axes:
            shape.insert(pos, 1)
        out = reshape(out, shape)
    return out


override_operator("__getitem__", slice_helper)


@_rule1("StridedSlice")
def _slice_grad(x: Tensor, out: Tensor, dy: Tensor, items: Any) -> Tensor:
    """Zeros of x's shape with dy written at x[items] (TF's StridedSliceGrad)."""
    zeros = _C.full(list(x._a.shape), x.dtype._core, 0.0)
    return _record1("StridedSliceGrad", dy, wrap(_C.slice_assign(zeros, items, dy._a)), items)


@_rule1("StridedSliceGrad")
def _slice_grad_grad(dy: Tensor, out: Tensor, g: Tensor, items: Any) -> Tensor:
    return slice_helper(g, items)

name_ops(globals())
