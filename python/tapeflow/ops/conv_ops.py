"""Convolutions and pooling (``tf.nn.conv1d/2d/3d``, transposed, depthwise and separable
convolutions, ``max_pool*``, ``avg_pool*``).

Native ops do the work (csrc/cpu/conv.cpp, csrc/cuda/conv.cu): ``conv`` (any of 1-3
spatial dims, channels-last, grouped when the filter's input depth divides the input's:
depthwise is groups == channels) and ``conv_bias_act`` (the same with a bias and an
optional ReLU applied in its output pass: Keras's Conv layers), its two backward
convolutions (``conv_backprop_input``, which is also the transposed convolution, and
``conv_backprop_filter``), the two pools, ``max_pool_with_argmax``, and the pools'
gradients. Each is recorded with its window as plain data, and each gradient is written
once below in terms of the others, so second derivatives follow (max pooling's raises
LookupError: no MaxPoolGradGrad yet).

Mirrors TF 2.21: argument forms (an int, N ints, or N + 2 ints with 1 at batch and
channels), "SAME"/"VALID" and explicit padding, TF's output sizes and its errors for
impossible windows. Channels-first formats (``NCHW``...) run as channels-last between two
transposes. Float32 and float64 only (TF's CPU also takes int32 for Conv2D and integer
max pools).
"""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from tapeflow import _core
from tapeflow.autodiff import tape as _tape
from tapeflow.framework import errors
from tapeflow.framework.tensor import Tensor, wrap
from tapeflow.ops import array_ops
from tapeflow.ops._base import MAX_FLOAT_INDEX, binary_operands, to_tensor

# (strides, dilations, pad_before, pad_after), one entry per spatial dim: a record's attrs.
WindowAttrs = Tuple[Tuple[int, ...], Tuple[int, ...], Tuple[int, ...], Tuple[int, ...]]


def _window(attrs: WindowAttrs) -> Any:
    return _core.Window(*attrs)


def _record(op: str, inputs: Tuple[Tensor, ...], out: Tensor, attrs: Any) -> Tensor:
    if _tape.active and out._a.dtype_index <= MAX_FLOAT_INDEX:
        _tape.record(op, inputs, (out,), attrs)
    return out


# ---- the recorded primitives ---------------------------------------------------------
def _conv(x: Tensor, w: Tensor, win: WindowAttrs) -> Tensor:
    return _record("Conv", (x, w), wrap(_core.conv(x._a, w._a, _window(win))), win)


def _conv_bias_act(x: Tensor, w: Tensor, bias: Tensor, win: WindowAttrs, relu: bool) -> Tensor:
    """relu(conv(x, w) + bias) (relu optional) as one native op: the bias and activation
    run on each output tile in cache, the same bits as the three ops (Keras's Conv layers
    with a bias)."""
    out = wrap(_core.conv_bias_act(x._a, w._a, bias._a, _window(win), bool(relu)))
    return _record("ConvBiasAct", (x, w, bias), out, (win, bool(relu)))


@_tape.gradient("ConvBiasAct")
def _conv_bias_act_grad(inputs: Any, outputs: Any, dys: Any, needs: Any,
                        attrs: Any) -> Tuple[Any, Any, Any]:
    from tapeflow.ops import math_ops, nn_ops

    (x, w, bias), (win, relu), dy = inputs, attrs, dys[0]
    # y > 0 exactly where the pre-activation is: ReLU's gradient read from the output
    dz = nn_ops.relu_grad(dy, outputs[0]) if relu else dy
    dx = _conv_backprop_input(x._a.shape, w, dz, win) if needs[0] else None
    dw = _conv_backprop_filter(x, w._a.shape, dz, win) if needs[1] else None
    db = math_ops.reduce_sum(dz, list(range(dz._a.ndim - 1))) if needs[2] else None
    return dx, dw, db


def _conv_backprop_input(x_shape: Sequence[int], w: Tensor, dy: Tensor,
                         win: WindowAttrs) -> Tensor:
    shape = tuple(int(d) for d in x_shape)
    out = wrap(_core.conv_backprop_input(list(shape), w._a, dy._a, _window(win)))
    return _record("ConvBackpropInput", (w, dy), out, (win, shape))


def _conv_backprop_filter(x: Tensor, w_shape: Sequence[int], dy: Tensor,
                          win: WindowAttrs) -> Tensor:
    shape = tuple(int(d) for d in w_shape)
    out = wrap(_core.conv_backprop_filter(x._a, list(shape), dy._a, _window(win)))
    return _record("ConvBackpropFilter", (x, dy), out, (win, shape))


@_tape.gradient("Conv")
def _conv_grad(inputs: Any, outputs: Any, dys: Any, needs: Any, win: Any) -> Tuple[Any, Any]:
    (x, w), dy = inputs, dys[0]
    dx = _conv_backprop_input(x._a.shape, w, dy, win) if needs[0] else None
    dw = _conv_backprop_filter(x, w._a.shape, dy, win) if needs[1] else None
    return dx, dw


@_tape.gradient("ConvBackpropInput")
def _conv_backprop_input_grad(inputs: Any, outputs: Any, dys: Any, needs: Any,
                              attrs: Any) -> Tuple[Any, Any]:
    (w, dy), (win, _), g = inputs, attrs, dys[0]
    dw = _conv_backprop_filter(g, w._a.shape, dy, win) if needs[0] else None
    ddy = _conv(g, w, win) if needs[1] else None
    return dw, ddy


@_tape.gradient("ConvBackpropFilter")
def _conv_backprop_filter_grad(inputs: Any, outputs: Any, dys: Any, needs: Any,
                               attrs: Any) -> Tuple[Any, Any]:
    (x, dy), (win, _), g = inputs, attrs, dys[0]
    dx = _conv_backprop_input(x._a.shape, g, dy, win) if needs[0] else None
    ddy = _conv(x, g, win) if needs[1] else None
    return dx, ddy


def _max_pool(x: Tensor, ksize: Tuple[int, ...], win: WindowAttrs) -> Tensor:
    out = wrap(_core.max_pool(x._a, list(ksize), _window(win)))
    return _record("MaxPool", (x,), out, (ksize, win))


def _avg_pool(x: Tensor, ksize: Tuple[int, ...], win: WindowAttrs) -> Tensor:
    out = wrap(_core.avg_pool(x._a, list(ksize), _window(win)))
    return _record("AvgPool", (x,), out, (ksize, win))


def _avg_pool_grad(x_shape: Sequence[int], dy: Tensor, ksize: Tuple[int, ...],
                   win: WindowAttrs) -> Tensor:
    shape = tuple(int(d) for d in x_shape)
    out = wrap(_core.avg_pool_grad(list(shape), dy._a, list(ksize), _window(win)))
    return _record("AvgPoolGrad", (dy,), out, (ksize, win, shape))


@_tape.gradient("MaxPool")
def _max_pool_grad(inputs: Any, outputs: Any, dys: Any, needs: Any, attrs: Any) -> Tuple[Any]:
    (ksize, win), x = attrs, inputs[0]
    out = wrap(_core.max_pool_grad(x._a, dys[0]._a, list(ksize), _window(win)))
    return (_record("MaxPoolGrad", (x, dys[0]), out, (ksize, win)),)


@_tape.gradient("MaxPoolGrad")
def _max_pool_grad_grad(inputs: Any, outputs: Any, dys: Any, needs: Any, attrs: Any) -> Any:
    # TF's MaxPoolGradGrad (g read at each window's argmax) has no kernel here yet.
    raise LookupError("No gradient defined for operation 'MaxPoolGrad' (second derivatives "
                      "through max pooling are not supported yet)")


@_tape.gradient("AvgPool")
def _avg_pool_grad_rule(inputs: Any, outputs: Any, dys: Any, needs: Any, attrs: Any) -> Tuple[Any]:
    ksize, win = attrs
    return (_avg_pool_grad(inputs[0]._a.shape, dys[0], ksize, win),)


@_tape.gradient("AvgPoolGrad")
def _avg_pool_grad_grad(inputs: Any, outputs: Any, dys: Any, needs: Any, attrs: Any) -> Tuple[Any]:
    ksize, win, _ = attrs
    return (_avg_pool(dys[0], ksize, win),)


# ---- argument handling (as TF's nn_ops) ------------------------------------------------
def _ints(value: Any, n: int, name: str, channels_last: bool = True) -> Tuple[int, ...]:
    """TF's _get_sequence: an int, a list of 1, of n, or of n + 2 ints (whose batch and
    channel entries must be 1). Returns n ints."""
    if value is None:
        return (1,) * n
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    vals = [int(v) for v in (value.numpy().tolist() if hasattr(value, "numpy") else value)]
    if len(vals) == 1:
        return (vals[0],) * n
    if len(vals) == n:
        return tuple(vals)
    if len(vals) == n + 2:
        inner = vals[1:-1] if channels_last else vals[2:]
        outer = (vals[0], vals[-1]) if channels_last else (vals[0], vals[1])
        if outer != (1, 1):
            if name == "ksize":
                raise errors.UnimplementedError(
                    None, None, "Pooling is not yet supported on the batch dimension.")
            raise errors.UnimplementedError(
                None, None, "Current implementation does not yet support strides in the "
                "batch and depth dimensions.")
        return tuple(inner)
    raise ValueError(f"{name} should be of length 1, {n} or {n + 2}. Received: "
                     f"{name}={value} of length {len(vals)}")


def _channels_last(data_format: Optional[str], n: int) -> bool:
    if data_format is None:
        return True
    fmt = str(data_format)
    if fmt in ("NWC", "NHWC", "NDHWC", "NHC", "N...C") or (fmt.startswith("N") and fmt.endswith("C")):
        return True
    if fmt.startswith("NC"):
        return False
    raise ValueError(f"`data_format` must be 'N...C' or 'NC...'. Received: data_format={data_format}")


def _padding(padding: Any, in_sizes: Sequence[int], ksize: Sequence[int], strides: Sequence[int],
             dilations: Sequence[int], channels_last: bool) -> Tuple[Tuple[int, ...], Tuple[int, ...]]:
    """(pad_before, pad_after) per spatial dim: TF's GetWindowedOutputSize for "SAME"
    (half the total before, the odd one after) and "VALID", or explicit pairs."""
    n = len(in_sizes)
    if isinstance(padding, str):
        mode = padding.upper()
        if mode == "VALID":
            return (0,) * n, (0,) * n
        if mode == "SAME":
            before, after = [], []
            for size, k, s, d in zip(in_sizes, ksize, strides, dilations):
                eff = (k - 1) * d + 1
                out = -(-size // s)
                total = max((out - 1) * s + eff - size, 0)
                before.append(total // 2)
                after.append(total - total // 2)
            return tuple(before), tuple(after)
        raise errors.InvalidArgumentError(
            None, None, f"Value for attr 'padding' of \"{padding}\" is not in the list of "
            "allowed values: \"SAME\", \"VALID\", \"EXPLICIT\"")
    pairs = [tuple(int(v) for v in p) for p in padding]
    if len(pairs) == n + 2:
        outer = (pairs[0], pairs[-1]) if channels_last else (pairs[0], pairs[1])
        if any(p != (0, 0) for p in outer):
            raise ValueError(f"The padding in the batch and channel dimensions must be 0. "
                             f"Received: padding={padding}")
        pairs = pairs[1:-1] if channels_last else pairs[2:]
    if len(pairs) != n or any(len(p) != 2 for p in pairs):
        raise ValueError(f"When padding is explicit, it must be a list of {n + 2} pairs of "
                         f"ints. Received: padding={padding}")
    if any(v < 0 for p in pairs for v in p):
        raise errors.InvalidArgumentError(
            None, None, f"All elements of explicit_paddings must be nonnegative, got {padding}")
    return tuple(p[0] for p in pairs), tuple(p[1] for p in pairs)


def _to_last(x: Tensor, channels_last: bool) -> Tensor:
    if channels_last:
        return x
    r = x._a.ndim
    return array_ops.transpose(x, [0] + list(range(2, r)) + [1])


def _from_last(x: Tensor, channels_last: bool) -> Tensor:
    if channels_last:
        return x
    r = x._a.ndim
    return array_ops.transpose(x, [0, r - 1] + list(range(1, r - 1)))


def _operands(first: Any, second: Any, tf_name: str, index: int = 1) -> Tuple[Tensor, Tensor]:
    """An op's two same-dtype inputs as TF converts them: a non-tensor (a numpy filter)
    takes the other's dtype; two tensors of different dtypes are TF's
    InvalidArgumentError, naming the second one's input position."""
    try:
        return binary_operands(first, second, tf_name)
    except errors.InvalidArgumentError as e:
        if index == 1:
            raise
        raise errors.InvalidArgumentError(
            None, None, e.message.replace("input #1(", f"input #{index}(")) from None


def _check_rank(x: Tensor, n: int, op: str) -> None:
    if x._a.ndim != n + 2:
        raise ValueError(f"`{op}` expects a {n + 2}-D input (batch, {n} spatial, channels), "
                         f"received input of rank {x._a.ndim} with shape {tuple(x._a.shape)}")


def _conv_nd(input: Any, filters: Any, strides: Any, padding: Any, data_format: Optional[str],
             dilations: Any, n: int, op: str) -> Tensor:
    x, w = _operands(input, filters, "Conv3D" if n == 3 else "Conv2D")
    last = _channels_last(data_format, n)
    _check_rank(x, n, op)
    if w._a.ndim != n + 2:
        raise ValueError(f"`{op}` expects a {n + 2}-D filter, received shape "
                         f"{tuple(w._a.shape)}")
    s = _ints(strides, n, "strides", last)
    d = _ints(dilations, n, "dilations", last)
    xl = _to_last(x, last)
    sizes = tuple(xl._a.shape[1:-1])
    before, after = _padding(padding, sizes, tuple(w._a.shape[:n]), s, d, last)
    return _from_last(_conv(xl, w, (s, d, before, after)), last)


# ---- tf.nn -------------------------------------------------------------------------
def conv1d(input: Any, filters: Any, stride: Any, padding: Any, data_format: str = "NWC",
           dilations: Any = None, name: Optional[str] = None) -> Tensor:
    """1-D convolution (``tf.nn.conv1d``): input (batch, width, in_channels), filters
    (width, in_channels / groups, out_channels)."""
    return _conv_nd(input, filters, stride, padding, data_format, dilations, 1, "conv1d")


def conv2d(input: Any, filters: Any, strides: Any, padding: Any, data_format: str = "NHWC",
           dilations: Any = None, name: Optional[str] = None) -> Tensor:
    """2-D convolution (``tf.nn.conv2d``): input (batch, h, w, in_channels), filters
    (kh, kw, in_channels / groups, out_channels); padding "SAME", "VALID" or explicit
    pairs."""
    return _conv_nd(input, filters, strides, padding, data_format, dilations, 2, "conv2d")


def conv3d(input: Any, filters: Any, strides: Any, padding: Any, data_format: str = "NDHWC",
           dilations: Any = None, name: Optional[str] = None) -> Tensor:
    """3-D convolution (``tf.nn.conv3d``)."""
    return _conv_nd(input, filters, strides, padding, data_format, dilations, 3, "conv3d")


def convolution(input: Any, filters: Any, strides: Any = None, padding: str = "VALID",
                data_format: Optional[str] = None, dilations: Any = None,
                name: Optional[str] = None) -> Tensor:
    """N-d convolution (``tf.nn.convolution``): the rank of the filter picks 1, 2 or 3
    spatial dims."""
    n = to_tensor(filters)._a.ndim - 2
    if n not in (1, 2, 3):
        raise ValueError(f"`filters` must be 3-D to 5-D, received rank {n + 2}")
    return _conv_nd(input, filters, strides, padding, data_format, dilations, n, "convolution")


def atrous_conv2d(value: Any, filters: Any, rate: int, padding: str,
                  name: Optional[str] = None) -> Tensor:
    """Dilated 2-D convolution (``tf.nn.atrous_conv2d``): unit strides, dilation `rate`."""
    if int(rate) < 1:
        raise ValueError(f"rate {rate} cannot be less than one")
    return conv2d(value, filters, 1, padding, dilations=int(rate))


def _conv_transpose_nd(input: Any, filters: Any, output_shape: Any, strides: Any,
                       padding: Any, data_format: Optional[str], dilations: Any, n: int,
                       op: str) -> Tensor:
    # TF's inputs: (input_sizes, filter, out_backprop), the dtype set by the filter
    w, x = _operands(filters, input, "Conv3DBackpropInputV2" if n == 3 else
                     "Conv2DBackpropInput", index=2)
    last = _channels_last(data_format, n)
    _check_rank(x, n, op)
    shape = [int(v) for v in (output_shape.numpy().tolist() if hasattr(output_shape, "numpy")
                              else output_shape)]
    if len(shape) != n + 2:
        raise ValueError(f"output_shape must have length {n + 2}, received {output_shape}")
    if w._a.ndim != n + 2:
        raise ValueError(f"`{op}` expects a {n + 2}-D filter, received shape "
                         f"{tuple(w._a.shape)}")
    s = _ints(strides, n, "strides", last)
    d = _ints(dilations, n, "dilations", last)
    out_last = shape if last else [shape[0]] + shape[2:] + [shape[1]]
    before, after = _padding(padding, out_last[1:-1], tuple(w._a.shape[:n]), s, d, last)
    y = _conv_backprop_input(out_last, w, _to_last(x, last), (s, d, before, after))
    return _from_last(y, last)


def conv1d_transpose(input: Any, filters: Any, output_shape: Any, strides: Any,
                     padding: str = "SAME", data_format: str = "NWC", dilations: Any = None,
                     name: Optional[str] = None) -> Tensor:
    """Transposed 1-D convolution (``tf.nn.conv1d_transpose``): the gradient of conv1d
    w.r.t. its input; filters (width, output_channels, in_channels)."""
    return _conv_transpose_nd(input, filters, output_shape, strides, padding, data_format,
                              dilations, 1, "conv1d_transpose")


def conv2d_transpose(input: Any, filters: Any, output_shape: Any, strides: Any,
                     padding: str = "SAME", data_format: str = "NHWC", dilations: Any = None,
                     name: Optional[str] = None) -> Tensor:
    """Transposed 2-D convolution (``tf.nn.conv2d_transpose``): filters (kh, kw,
    output_channels, in_channels); output_shape as TF requires it (the full shape)."""
    return _conv_transpose_nd(input, filters, output_shape, strides, padding, data_format,
                              dilations, 2, "conv2d_transpose")


def conv3d_transpose(input: Any, filters: Any, output_shape: Any, strides: Any,
                     padding: str = "SAME", data_format: str = "NDHWC", dilations: Any = None,
                     name: Optional[str] = None) -> Tensor:
    """Transposed 3-D convolution (``tf.nn.conv3d_transpose``)."""
    return _conv_transpose_nd(input, filters, output_shape, strides, padding, data_format,
                              dilations, 3, "conv3d_transpose")


def conv_transpose(input: Any, filters: Any, output_shape: Any, strides: Any,
                   padding: str = "SAME", data_format: Optional[str] = None,
                   dilations: Any = None, name: Optional[str] = None) -> Tensor:
    """N-d transposed convolution (``tf.nn.conv_transpose``)."""
    n = to_tensor(filters)._a.ndim - 2
    return _conv_transpose_nd(input, filters, output_shape, strides, padding, data_format,
                              dilations, n, "conv_transpose")


def depthwise_conv2d(input: Any, filter: Any, strides: Any, padding: Any,
                     data_format: Optional[str] = None, dilations: Any = None,
                     name: Optional[str] = None) -> Tensor:
    """Depthwise 2-D convolution (``tf.nn.depthwise_conv2d``): filter (kh, kw,
    in_channels, channel_multiplier); output channel c * multiplier + m is input channel c
    convolved with filter[..., c, m]. Runs as a grouped convolution (groups = channels)."""
    x, f = _operands(input, filter, "DepthwiseConv2dNative")
    if f._a.ndim != 4:
        raise ValueError(f"`depthwise_conv2d` expects a 4-D filter, received shape "
                         f"{tuple(f._a.shape)}")
    kh, kw, c, mult = f._a.shape
    w = array_ops.reshape(f, [kh, kw, 1, c * mult])
    last = _channels_last(data_format, 2)
    channels = x._a.shape[-1 if last else 1] if x._a.ndim == 4 else None
    if channels is not None and channels != c:
        raise errors.InvalidArgumentError(
            None, None, f"input and filter must have the same depth: {channels} vs {c}")
    return _conv_nd(x, w, strides, padding, data_format, dilations, 2, "depthwise_conv2d")


def separable_conv2d(input: Any, depthwise_filter: Any, pointwise_filter: Any, strides: Any,
                     padding: Any, data_format: Optional[str] = None, dilations: Any = None,
                     name: Optional[str] = None) -> Tensor:
    """Depthwise then 1x1 convolution (``tf.nn.separable_conv2d``)."""
    y = depthwise_conv2d(input, depthwise_filter, strides, padding, data_format, dilations)
    return _conv_nd(y, pointwise_filter, 1, "VALID", data_format, None, 2, "separable_conv2d")


def _pool_nd(input: Any, ksize: Any, strides: Any, padding: Any, data_format: Optional[str],
             n: int, kind: str) -> Tensor:
    x = to_tensor(input)
    last = _channels_last(data_format, n)
    _check_rank(x, n, f"{kind}_pool{n}d")
    k = _ints(ksize, n, "ksize", last)
    s = _ints(strides, n, "strides", last)
    xl = _to_last(x, last)
    if isinstance(padding, str) and padding.upper() not in ("SAME", "VALID"):
        raise errors.InvalidArgumentError(
            None, None, f"Value for attr 'padding' of \"{padding}\" is not in the list of "
            "allowed values: \"SAME\", \"VALID\"")
    before, after = _padding(padding, tuple(xl._a.shape[1:-1]), k, s, (1,) * n, last)
    win = (s, (1,) * n, before, after)
    y = _max_pool(xl, k, win) if kind == "max" else _avg_pool(xl, k, win)
    return _from_last(y, last)


def max_pool1d(input: Any, ksize: Any, strides: Any, padding: Any, data_format: str = "NWC",
               name: Optional[str] = None) -> Tensor:
    """1-D max pooling (``tf.nn.max_pool1d``)."""
    return _pool_nd(input, ksize, strides, padding, data_format, 1, "max")


def max_pool2d(input: Any, ksize: Any, strides: Any, padding: Any, data_format: str = "NHWC",
               name: Optional[str] = None) -> Tensor:
    """2-D max pooling (``tf.nn.max_pool2d``); its gradient goes to each window's first
    maximum, as TF's MaxPoolGrad."""
    return _pool_nd(input, ksize, strides, padding, data_format, 2, "max")


def max_pool3d(input: Any, ksize: Any, strides: Any, padding: Any, data_format: str = "NDHWC",
               name: Optional[str] = None) -> Tensor:
    """3-D max pooling (``tf.nn.max_pool3d``)."""
    return _pool_nd(input, ksize, strides, padding, data_format, 3, "max")


def avg_pool1d(input: Any, ksize: Any, strides: Any, padding: Any, data_format: str = "NWC",
               name: Optional[str] = None) -> Tensor:
    """1-D average pooling (``tf.nn.avg_pool1d``); SAME windows average their positions
    inside the input only."""
    return _pool_nd(input, ksize, strides, padding, data_format, 1, "avg")


def avg_pool2d(input: Any, ksize: Any, strides: Any, padding: Any, data_format: str = "NHWC",
               name: Optional[str] = None) -> Tensor:
    """2-D average pooling (``tf.nn.avg_pool2d``); SAME windows average their positions
    inside the input only (PyTorch's default counts the padding)."""
    return _pool_nd(input, ksize, strides, padding, data_format, 2, "avg")


def avg_pool3d(input: Any, ksize: Any, strides: Any, padding: Any, data_format: str = "NDHWC",
               name: Optional[str] = None) -> Tensor:
    """3-D average pooling (``tf.nn.avg_pool3d``)."""
    return _pool_nd(input, ksize, strides, padding, data_format, 3, "avg")


def max_pool_with_argmax(input: Any, ksize: Any, strides: Any, padding: Any,
                         data_format: str = "NHWC", output_dtype: Any = "int64",
                         include_batch_in_index: bool = False,
                         name: Optional[str] = None) -> Tuple[Tensor, Tensor]:
    """2-D max pooling and the flat index of each window's first maximum
    (``tf.nn.max_pool_with_argmax``): ``(y * width + x) * channels + c``, plus
    ``batch * height * width * channels`` with include_batch_in_index. NHWC only, as TF.
    The pooled output's gradient is max_pool2d's (the same first maxima)."""
    from tapeflow.framework import dtypes

    if data_format != "NHWC":
        raise ValueError("`data_format` values other  than 'NHWC' are not supported. "
                         f"Received: data_format={data_format}")
    x = to_tensor(input)
    if x._a.ndim != 4:
        raise errors.InvalidArgumentError(
            None, None, f"tensor_in must be 4-dimensional ({x._a.ndim}) "
            "[Op:MaxPoolWithArgmax]")
    out_dtype = dtypes.as_dtype(output_dtype)
    if out_dtype not in (dtypes.int32, dtypes.int64):
        raise TypeError(f"output_dtype must be int32 or int64, got {out_dtype.name}")
    k = _ints(ksize, 2, "ksize")
    s = _ints(strides, 2, "strides")
    if isinstance(padding, str) and padding.upper() not in ("SAME", "VALID"):
        raise errors.InvalidArgumentError(
            None, None, f"Value for attr 'padding' of \"{padding}\" is not in the list of "
            "allowed values: \"SAME\", \"VALID\"")
    before, after = _padding(padding, tuple(x._a.shape[1:-1]), k, s, (1, 1), True)
    win = (s, (1, 1), before, after)
    y, idx = _core.max_pool_with_argmax(x._a, list(k), _window(win), bool(include_batch_in_index))
    out = _record("MaxPool", (x,), wrap(y), (k, win))  # the same gradient as max_pool2d
    argmax = wrap(idx)
    if out_dtype != dtypes.int64:
        from tapeflow.ops import math_ops

        argmax = math_ops.cast(argmax, out_dtype)
    return out, argmax


def _pool_any(kind: str) -> Any:
    def pool(input: Any, ksize: Any, strides: Any, padding: Any, data_format: Optional[str] = None,
             name: Optional[str] = None) -> Tensor:
        n = to_tensor(input)._a.ndim - 2
        if n not in (1, 2, 3):
            raise ValueError(f"`input` must be 3-D to 5-D, received rank {n + 2}")
        return _pool_nd(input, ksize, strides, padding, data_format, n, kind)

    pool.__name__ = pool.__qualname__ = f"{kind}_pool"
    pool.__doc__ = (f"N-d {'max' if kind == 'max' else 'average'} pooling (``tf.nn.{kind}_pool``): "
                    "the input's rank picks 1, 2 or 3 spatial dims.")
    return pool


max_pool = _pool_any("max")
avg_pool = _pool_any("avg")


def pool(input: Any, window_shape: Sequence[int], pooling_type: str, strides: Any = None,
         padding: str = "VALID", data_format: Optional[str] = None, dilations: Any = None,
         name: Optional[str] = None) -> Tensor:
    """``tf.nn.pool``: "MAX" or "AVG" pooling over window_shape (dilations must be 1)."""
    if dilations is not None and any(int(d) != 1 for d in np.ravel(dilations)):
        raise NotImplementedError("tf.nn.pool with dilation rates other than 1 is not supported")
    kind = {"MAX": "max", "AVG": "avg"}.get(str(pooling_type).upper())
    if kind is None:
        raise ValueError(f"Invalid pooling_type: {pooling_type}")
    n = len(window_shape)
    return _pool_nd(input, list(window_shape), strides if strides is not None else 1, padding,
                    data_format, n, kind)


__all__: List[str] = [
    "conv1d", "conv2d", "conv3d", "convolution", "atrous_conv2d", "conv1d_transpose",
    "conv2d_transpose", "conv3d_transpose", "conv_transpose", "depthwise_conv2d",
    "separable_conv2d", "max_pool", "max_pool1d", "max_pool2d", "max_pool3d", "avg_pool",
    "avg_pool1d", "avg_pool2d", "avg_pool3d", "pool", "max_pool_with_argmax"]
