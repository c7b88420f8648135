"""Array ops: creation, shape manipulation, slicing and gathering (``tf.*``).

Views (reshape, transpose, expand_dims, squeeze, broadcast_to, slices) share memory with
their input, which is safe because Tensors never change. Each differentiable op records
its gradient, written with tapeflow ops.
"""

from __future__ import annotations

import builtins
from typing import Any, List, Optional, Sequence, Tuple, Union

import numpy as np

from tapeflow.framework.device import to_host
from tapeflow import _core
from tapeflow.autodiff import tape as _tape
from tapeflow.framework import dtypes, errors
from tapeflow.framework.tensor import Tensor, convert_to_tensor, wrap
from tapeflow.framework.tensor_shape import TensorShape, dims_of
from tapeflow.ops import math_ops
from tapeflow.ops._base import MAX_FLOAT_INDEX, to_tensor, unbroadcast

_C = _core
newaxis = None


def _shape_arg(shape: Any) -> Any:
    """A shape given as list, tuple, TensorShape, int or int Tensor."""
    if type(shape) is tuple and all(type(d) is int for d in shape):
        return shape  # shapes taken from arrays (the gradient hot path)
    if isinstance(shape, Tensor) or hasattr(shape, "_as_tensor"):
        shape = to_tensor(shape).numpy().tolist()
    if isinstance(shape, (int, np.integer)):
        return [int(shape)]
    return [int(d) for d in dims_of(shape)] if isinstance(shape, TensorShape) else \
        [int(d) for d in shape]


def _record1(name: str, x: Tensor, out: Tensor, grad: Any, attrs: Any = None) -> Tensor:
    """Records a one-input op whose gradient is grad(dy) (attrs: for its native rule)."""
    if _tape.active and out._a.dtype_index <= MAX_FLOAT_INDEX:
        _tape.record(name, (x,), (out,), lambda dys, needs: (grad(dys[0]),), attrs)
    return out


# ---- creation -------------------------------------------------------------------------
def zeros(shape: Any, dtype: Any = dtypes.float32, name: Optional[str] = None) -> Tensor:
    """A tensor of zeros (``tf.zeros``)."""
    return wrap(_C.full(_shape_arg(shape), dtypes.as_dtype(dtype)._core, 0.0))


def ones(shape: Any, dtype: Any = dtypes.float32, name: Optional[str] = None) -> Tensor:
    """A tensor of ones (``tf.ones``)."""
    return wrap(_C.full(_shape_arg(shape), dtypes.as_dtype(dtype)._core, 1.0))


zeros_like = math_ops.zeros_like
ones_like = math_ops.ones_like


def fill(dims: Any, value: Any, name: Optional[str] = None) -> Tensor:
    """A tensor of `dims` filled with a scalar (``tf.fill``); dtype from the value."""
    v = to_tensor(value)
    if v._a.ndim != 0:
        raise errors.InvalidArgumentError(None, None, "value must be a scalar")
    return broadcast_to(v, _shape_arg(dims))


def eye(num_rows: int, num_columns: Optional[int] = None, batch_shape: Any = None,
        dtype: Any = dtypes.float32, name: Optional[str] = None) -> Tensor:
    """An identity matrix (``tf.eye``)."""
    m = np.eye(num_rows, num_columns, dtype=dtypes.as_dtype(dtype)._np)
    if batch_shape is not None:
        m = np.broadcast_to(m, tuple(_shape_arg(batch_shape)) + m.shape)
    return convert_to_tensor(np.ascontiguousarray(m))


def range(start: Any, limit: Any = None, delta: Any = 1, dtype: Any = None,  # noqa: A001
          name: Optional[str] = None) -> Tensor:
    """``tf.range``: int32 for ints, float32 if any argument is a float (or ``dtype``)."""
    if limit is None:
        start, limit = 0, start
    vals = [v.numpy() if isinstance(v, Tensor) else v for v in (start, limit, delta)]
    if dtype is None:
        dtype = dtypes.float32 if any(isinstance(v, (float, np.floating)) for v in vals) \
            else dtypes.int32
    dt = dtypes.as_dtype(dtype)
    if vals[2] == 0:
        raise errors.InvalidArgumentError(None, None, "Requires delta != 0: 0")
    return convert_to_tensor(np.arange(vals[0], vals[1], vals[2]).astype(dt._np))


def linspace(start: Any, stop: Any, num: int, name: Optional[str] = None,
             axis: int = 0) -> Tensor:
    """``num`` evenly spaced values (``tf.linspace``); integer inputs give float64."""
    s, e = to_tensor(start), to_tensor(stop)
    dt = dtypes.float64 if not s.dtype.is_floating else s.dtype
    out = np.linspace(s.numpy(), e.numpy(), int(num), axis=axis).astype(dt._np)
    return convert_to_tensor(out)


def identity(input: Any, name: Optional[str] = None) -> Tensor:
    """The same value (``tf.identity``); the gradient passes through."""
    x = to_tensor(input)
    out = wrap(x._a)
    return _record1("Identity", x, out, lambda dy: dy)


def stop_gradient(input: Any, name: Optional[str] = None) -> Tensor:
    """The same value, but no gradient flows through it (``tf.stop_gradient``)."""
    return wrap(to_tensor(input)._a)


# ---- shapes ---------------------------------------------------------------------------
def shape(input: Any, out_type: Any = dtypes.int32, name: Optional[str] = None) -> Tensor:
    """The shape as a 1-D int32 tensor (``tf.shape``)."""
    return convert_to_tensor(np.array(to_tensor(input)._a.shape,
                                      dtype=dtypes.as_dtype(out_type)._np))


def size(input: Any, out_type: Any = dtypes.int32, name: Optional[str] = None) -> Tensor:
    """The number of elements (``tf.size``)."""
    return convert_to_tensor(np.array(to_tensor(input)._a.size,
                                      dtype=dtypes.as_dtype(out_type)._np))


def rank(input: Any, name: Optional[str] = None) -> Tensor:
    """The number of dimensions, as an int32 scalar (``tf.rank``)."""
    return convert_to_tensor(np.int32(to_tensor(input)._a.ndim))


def reshape(tensor: Any, shape: Any, name: Optional[str] = None) -> Tensor:
    """``tf.reshape`` (one -1 allowed); a view when the input is contiguous."""
    x = to_tensor(tensor)
    out = wrap(_C.reshape(x._a, _shape_arg(shape)))
    in_shape = x._a.shape
    return _record1("Reshape", x, out, lambda dy: reshape(dy, in_shape))


def transpose(a: Any, perm: Optional[Sequence[int]] = None, conjugate: bool = False,
              name: Optional[str] = None) -> Tensor:
    """Permutes the axes (``tf.transpose``; default reverses them)."""
    x = to_tensor(a)
    p = list(builtins.range(x._a.ndim))[::-1] if perm is None else _shape_arg(perm)
    p = [d % builtins.max(x._a.ndim, 1) if d < 0 else d for d in p]
    out = wrap(_C.transpose(x._a, p))
    inverse = list(np.argsort(p)) if p else []
    return _record1("Transpose", x, out, lambda dy: transpose(dy, inverse), p)


def expand_dims(input: Any, axis: int, name: Optional[str] = None) -> Tensor:
    """Inserts a dimension of size 1 (``tf.expand_dims``)."""
    x = to_tensor(input)
    out = wrap(_C.expand_dims(x._a, int(axis)))
    in_shape = x._a.shape
    return _record1("ExpandDims", x, out, lambda dy: reshape(dy, in_shape))


def squeeze(input: Any, axis: Union[None, int, Sequence[int]] = None,
            name: Optional[str] = None) -> Tensor:
    """Removes size-1 dimensions (``tf.squeeze``), all of them or those in `axis`."""
    x = to_tensor(input)
    axes = [] if axis is None else [int(axis)] if isinstance(axis, (int, np.integer)) \
        else [int(a) for a in axis]
    out = wrap(_C.squeeze(x._a, axes))
    in_shape = x._a.shape
    return _record1("Squeeze", x, out, lambda dy: reshape(dy, in_shape))


def broadcast_to(input: Any, shape: Any, name: Optional[str] = None) -> Tensor:
    """Broadcasts to a shape (``tf.broadcast_to``), as a view."""
    x = to_tensor(input)
    out = wrap(_C.broadcast_to(x._a, _shape_arg(shape)))
    if out._a.shape == x._a.shape:
        return out if not _tape.active else identity(x)
    in_shape = x._a.shape
    return _record1("BroadcastTo", x, out, lambda dy: unbroadcast(dy, in_shape))


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
    out = wrap(_C.concat([x._a for x in xs], int(axis)))
    if _tape.active and out._a.dtype_index <= MAX_FLOAT_INDEX:
        ax = int(axis) % out._a.ndim
        sizes = [x._a.shape[ax] for x in xs]

        def backward(dys: Tuple[Any, ...], needs: Tuple[bool, ...]) -> List[Any]:
            return split(dys[0], sizes, axis=ax)

        _tape.record("ConcatV2", tuple(xs), (out,), backward, (ax,))
    return out


def stack(values: Sequence[Any], axis: int = 0, name: Optional[str] = None) -> Tensor:
    """Joins same-shape tensors along a new axis (``tf.stack``)."""
    xs = [to_tensor(v) for v in values]
    if not xs:
        raise ValueError("stack needs at least one tensor")
    n = xs[0]._a.ndim
    if not -(n + 1) <= axis <= n:
        raise ValueError(f"Argument `axis` = {axis} not in range [{-(n + 1)}, {n + 1})")
    return concat([expand_dims(x, axis) for x in xs], axis)


def unstack(value: Any, num: Optional[int] = None, axis: int = 0,
            name: Optional[str] = None) -> List[Tensor]:
    """Splits a tensor into its slices along an axis (``tf.unstack``)."""
    x = to_tensor(value)
    if x._a.ndim == 0:
        raise ValueError("Input shape axis 0 must have rank at least 1")
    ax = axis % x._a.ndim
    n = x._a.shape[ax]
    if num is not None and num != n:
        raise ValueError(f"num={num} does not match the axis length {n}")
    key = (slice(None),) * ax
    return [slice_helper(x, key + (i,)) for i in builtins.range(n)]


def split(value: Any, num_or_size_splits: Any, axis: int = 0, num: Optional[int] = None,
          name: Optional[str] = None) -> List[Tensor]:
    """Splits into equal parts or given sizes along an axis (``tf.split``)."""
    x = to_tensor(value)
    ax = int(axis) % x._a.ndim
    n = x._a.shape[ax]
    if isinstance(num_or_size_splits, (int, np.integer)):
        k = int(num_or_size_splits)
        if k <= 0 or n % k:
            raise errors.InvalidArgumentError(
                None, None, f"Number of ways to split should evenly divide the split "
                f"dimension, but got split_dim {ax} (size = {n}) and num_split {k}")
        sizes = [n // k] * k
    else:
        sizes = [int(s) for s in (num_or_size_splits.numpy() if isinstance(
            num_or_size_splits, Tensor) else num_or_size_splits)]
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
    mult = _shape_arg(multiples)
    out = wrap(_C.tile(x._a, mult))
    if _tape.active and out._a.dtype_index <= MAX_FLOAT_INDEX:
        in_shape = x._a.shape

        def grad(dy: Tensor) -> Tensor:
            split_shape = [d for pair in zip(mult, in_shape) for d in pair]
            return math_ops.reduce_sum(reshape(dy, split_shape),
                                       list(builtins.range(0, 2 * len(mult), 2)))

        _record1("Tile", x, out, grad, tuple(mult))
    return out


def repeat(input: Any, repeats: int, axis: Optional[int] = None,
           name: Optional[str] = None) -> Tensor:
    """Repeats each element (``tf.repeat``) with a scalar count."""
    x = to_tensor(input)
    if axis is None:
        x, axis = reshape(x, [-1]), 0
    ax = axis % x._a.ndim
    idx = np.repeat(np.arange(x._a.shape[ax]), int(repeats))
    return gather(x, idx, axis=ax)


def pad(tensor: Any, paddings: Any, mode: str = "CONSTANT", constant_values: Any = 0,
        name: Optional[str] = None) -> Tensor:
    """Pads a tensor (``tf.pad``): CONSTANT, REFLECT or SYMMETRIC."""
    x = to_tensor(tensor)
    pads = [(int(a), int(b)) for a, b in (paddings.numpy() if isinstance(paddings, Tensor)
                                         else paddings)]
    mode = mode.upper()
    if mode == "CONSTANT":
        out = wrap(_C.pad(x._a, pads, float(to_tensor(constant_values).numpy())))
        key = tuple(slice(a, a + d) for (a, _), d in zip(pads, x._a.shape))
        return _record1("Pad", x, out, lambda dy: slice_helper(dy, key),
                        tuple(p for pair in pads for p in pair))
    if mode not in ("REFLECT", "SYMMETRIC"):
        raise ValueError(f"Unknown padding mode: {mode}")
    out = x
    for ax, (a, b) in enumerate(pads):
        if a or b:
            idx = np.pad(np.arange(x._a.shape[ax]), (a, b), mode=mode.lower())
            out = gather(out, idx, axis=ax)
    return out


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
    ax = 0 if axis is None else int(axis)
    out = wrap(_C.gather(x._a, idx._a, ax))
    if _tape.active and out._a.dtype_index <= MAX_FLOAT_INDEX:
        in_shape = x._a.shape

        def grad(dy: Tensor) -> Tensor:
            return _scatter_add(idx, dy, in_shape, ax)

        _record1("GatherV2", x, out, grad, (ax, idx))
    return out


def _scatter_add(indices: Tensor, updates: Tensor, shape: Tuple[int, ...], axis: int) -> Tensor:
    """The adjoint of gather (TF's UnsortedSegmentSum), itself differentiable."""
    out = wrap(_C.scatter_add(indices._a, updates._a, list(shape), axis))
    return _record1("ScatterAdd", updates, out,
                    lambda dy: gather(dy, indices, axis=axis))


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
    return wrap(_C.one_hot(idx._a, int(depth), on, off, -1 if axis is None else int(axis),
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
    if v is None or isinstance(v, int):
        return v
    if isinstance(v, np.integer):
        return int(v)
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
    if isinstance(key, (Tensor, np.ndarray)) and to_tensor(key).dtype is dtypes.bool:
        return boolean_mask(x, key)
    if isinstance(key, list):
        key = tuple(key)
    items, new_axes = _index_items(x, key)
    out = wrap(_C.slice(x._a, items))
    if _tape.active and out._a.dtype_index <= MAX_FLOAT_INDEX:
        zeros_shape = x._a.shape
        dtype = x.dtype

        def grad(dy: Tensor) -> Tensor:
            return _slice_scatter(dy, zeros_shape, dtype, items)

        _record1("StridedSlice", x, out, grad, items)
    if new_axes:
        shape = list(out._a.shape)
        for pos in new_axes:
            shape.insert(pos, 1)
        out = reshape(out, shape)
    return out


def _slice_scatter(dy: Tensor, shape: Tuple[int, ...], dtype: Any, items: Tuple[Any, ...]) -> Tensor:
    """Zeros of `shape` with dy written at x[items] (the gradient of a slice)."""
    out = wrap(_C.slice_assign(_C.full(list(shape), dtype._core, 0.0), items, dy._a))
    return _record1("StridedSliceGrad", dy, out, lambda g: slice_helper(g, items))
