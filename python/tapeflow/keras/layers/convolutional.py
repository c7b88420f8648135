"""Convolution layers (Keras 3): Conv1D/2D/3D, their transposes, depthwise and separable
convolutions. Weights have Keras's layouts and names (``kernel`` (k..., in / groups,
filters); transposes ``(k..., filters, in)``; ``depthwise_kernel`` (k..., in,
multiplier); ``pointwise_kernel`` (1..., in * multiplier, filters)), so ``.keras`` files
cross with real Keras. The work is tapeflow's native convolutions (ops/conv_ops.py)."""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence, Tuple

import numpy as np

import tapeflow as tf
from tapeflow.keras import activations, initializers, regularizers
from tapeflow.keras.layers.input_spec import InputSpec
from tapeflow.keras.layers.layer import Layer
from tapeflow.keras.utils.argument_validation import standardize_data_format, standardize_tuple
from tapeflow.ops import conv_ops


def _ser(obj: Any, module: str) -> Any:
    if obj is None:
        return None
    return {"module": module, "class_name": type(obj).__name__, "config": obj.get_config(),
            "registered_name": None}


def _padding_arg(padding: str, allow_causal: bool) -> str:
    """Keras's standardize_padding: lower-cased, "causal" only where allowed."""
    p = str(padding).lower()
    allowed = {"valid", "same", "causal"} if allow_causal else {"valid", "same"}
    if p not in allowed:
        raise ValueError("The `padding` argument must be a list/tuple or one of "
                         f"{allowed}. Received: {p}")
    return p


def conv_output_length(length: Optional[int], k: int, padding: str, stride: int,
                       dilation: int) -> Optional[int]:
    """Keras's compute_conv_output_shape for one dim (None stays None)."""
    if length is None:
        return None
    if padding == "valid":
        return (length - dilation * (k - 1) - 1) // stride + 1
    return (length - 1) // stride + 1  # same, causal


def deconv_output_length(length: Optional[int], k: int, padding: str,
                         output_padding: Optional[int], stride: int,
                         dilation: int) -> Optional[int]:
    """Keras's deconv_output_length (a transposed convolution's output size)."""
    if length is None:
        return None
    k = k + (k - 1) * (dilation - 1)
    if output_padding is None:
        return length * stride + max(k - stride, 0) if padding == "valid" else length * stride
    pad = k // 2 if padding == "same" else 0
    return (length - 1) * stride + k - 2 * pad + output_padding


class _Windowed(Layer):
    """What every convolution layer shares: rank, sizes, padding, format, activation,
    bias, and the window attributes of the native op."""

    rank = 2
    _allow_causal = False

    def __init__(self, kernel_size: Any, strides: Any, padding: str, data_format: Any,
                 dilation_rate: Any, activation: Any, use_bias: bool,
                 bias_initializer: Any, bias_regularizer: Any, activity_regularizer: Any,
                 bias_constraint: Any, **kwargs: Any) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        r = self.rank
        self.kernel_size = standardize_tuple(kernel_size, r, "kernel_size")
        self.strides = standardize_tuple(strides, r, "strides")
        self.dilation_rate = standardize_tuple(dilation_rate, r, "dilation_rate")
        self.padding = _padding_arg(padding, self._allow_causal)
        self.data_format = standardize_data_format(data_format)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.bias_initializer = initializers.get(bias_initializer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.bias_constraint = bias_constraint
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError("`strides > 1` not supported in conjunction with "
                             f"`dilation_rate > 1`. Received: strides={self.strides} and "
                             f"dilation_rate={self.dilation_rate}")
        self.input_spec = InputSpec(min_ndim=r + 2)

    @property
    def _channel_axis(self) -> int:
        return -1 if self.data_format == "channels_last" else 1

    def _input_channels(self, input_shape: Any) -> int:
        c = input_shape[self._channel_axis]
        if c is None:
            raise ValueError("The channel dimension of the inputs should be defined. "
                             f"Received input shape {tuple(input_shape)}")
        return int(c)

    def _spatial(self, shape: Sequence[Any]) -> Tuple[Any, ...]:
        return tuple(shape[1:-1] if self.data_format == "channels_last" else shape[2:])

    def _out_spatial(self, shape: Sequence[Any]) -> Tuple[Any, ...]:
        """The convolution's output size along each spatial dim of an input shape."""
        return tuple(conv_output_length(n, k, self.padding, s, d) for n, k, s, d in
                     zip(self._spatial(shape), self.kernel_size, self.strides,
                         self.dilation_rate))

    def _with_spatial(self, shape: Sequence[Any], spatial: Sequence[Any], channels: int) -> Tuple[Any, ...]:
        if self.data_format == "channels_last":
            return (shape[0], *spatial, channels)
        return (shape[0], channels, *spatial)

    def _window(self, x_last: Any, ksize: Sequence[int], padding: Optional[str] = None) -> Any:
        """The native op's window for a channels-last input."""
        p = padding or self.padding
        sizes = tuple(x_last.shape[1:-1])
        if p == "causal":
            left = tuple((k - 1) * d for k, d in zip(ksize, self.dilation_rate))
            return (self.strides, self.dilation_rate, left, (0,) * self.rank)
        before, after = conv_ops._padding(p.upper(), sizes, ksize, self.strides,
                                          self.dilation_rate, True)
        return (self.strides, self.dilation_rate, before, after)

    def _finish(self, y_last: Any) -> Any:
        if self.use_bias:
            y_last = y_last + self.bias
        y = conv_ops._from_last(y_last, self.data_format == "channels_last")
        return self.activation(y)

    def _last(self, inputs: Any) -> Any:
        x = tf.convert_to_tensor(inputs)
        if not x.dtype.is_floating:
            x = tf.cast(x, self._dtype)
        return conv_ops._to_last(x, self.data_format == "channels_last")

    def _check_output(self, input_shape: Sequence[Any], kernel_shape: Sequence[int]) -> None:
        for out in self._out_spatial(input_shape):
            if out is not None and out <= 0:
                raise ValueError(
                    "Computed output size would be zero or negative. Received `inputs "
                    f"shape={tuple(input_shape)}`, `kernel shape={tuple(kernel_shape)}`, "
                    f"`dilation_rate={np.array(self.dilation_rate)}`, `strides={self.strides}`, "
                    f"`padding={self.padding}`.")

    def _base_config(self) -> Dict[str, Any]:
        return {"kernel_size": self.kernel_size, "strides": self.strides,
                "padding": self.padding, "data_format": self.data_format,
                "dilation_rate": self.dilation_rate,
                "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias}

    def _weights_config(self, *names: str) -> Dict[str, Any]:
        """The initializer, regularizer and constraint entries of weights `names` and the
        bias, in Keras's order: initializers, regularizers, activity_regularizer,
        constraints (constraints are not kept: None)."""
        names = names + ("bias",)
        cfg: Dict[str, Any] = {}
        for n in names:
            cfg[f"{n}_initializer"] = _ser(getattr(self, f"{n}_initializer"), "keras.initializers")
        for n in names:
            cfg[f"{n}_regularizer"] = _ser(getattr(self, f"{n}_regularizer"), "keras.regularizers")
        cfg["activity_regularizer"] = _ser(self.activity_regularizer, "keras.regularizers")
        for n in names:
            cfg[f"{n}_constraint"] = None
        return cfg

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "Layer":
        config = dict(config)
        for key in [k for k in config if k.endswith("_constraint")]:
            config.pop(key)
        config.pop("quantization_config", None)
        return super().from_config(config)


class _Conv(_Windowed):
    """Keras's BaseConv: ``activation(conv(inputs, kernel) + bias)``."""

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: Any = None, dilation_rate: Any = 1, groups: int = 1,
                 activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation,
                         use_bias, bias_initializer, bias_regularizer, activity_regularizer,
                         bias_constraint, **kwargs)
        if filters is not None and (not isinstance(filters, (int, np.integer)) or filters <= 0):
            raise ValueError("Invalid value for argument `filters`. Expected a strictly "
                             f"positive value. Received filters={filters}.")
        if not isinstance(groups, (int, np.integer)) or groups <= 0:
            raise ValueError("The number of groups must be a positive integer. "
                             f"Received: groups={groups}.")
        if filters is not None and filters % groups != 0:
            raise ValueError("The number of filters must be evenly divisible by the number of "
                             f"groups. Received: groups={groups}, filters={filters}.")
        self.filters, self.groups = int(filters), int(groups)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = kernel_constraint

    def build(self, input_shape: Any) -> None:
        c = self._input_channels(input_shape)
        if c % self.groups != 0:
            raise ValueError("The number of input channels must be evenly divisible by the "
                             f"number of groups. Received groups={self.groups}, but the input "
                             f"has {c} channels (full input shape is {tuple(input_shape)}).")
        shape = self.kernel_size + (c // self.groups, self.filters)
        self._check_output(input_shape, shape)
        self.input_spec = InputSpec(min_ndim=self.rank + 2, axes={self._channel_axis: c})
        self.kernel = self.add_weight(shape=shape, name="kernel",
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer)
        self.bias = self.add_weight(shape=(self.filters,), name="bias",
                                    initializer=self.bias_initializer,
                                    regularizer=self.bias_regularizer) if self.use_bias else None

    def call(self, inputs: Any) -> Any:
        x = self._last(inputs)
        kernel = tf.convert_to_tensor(self.kernel)
        win = self._window(x, self.kernel_size)
        if self.use_bias:  # bias (and a ReLU) applied in the convolution's output pass
            relu = self.activation is activations.relu
            y = conv_ops._conv_bias_act(x, kernel, tf.convert_to_tensor(self.bias), win, relu)
            y = conv_ops._from_last(y, self.data_format == "channels_last")
            return y if relu else self.activation(y)
        return self._finish(conv_ops._conv(x, kernel, win))

    def compute_output_shape(self, input_shape: Any) -> Any:
        shape = tuple(input_shape)
        spatial = self._out_spatial(shape)
        if any(v is not None and v <= 0 for v in spatial):
            self._check_output(shape, self.kernel_size + (shape[self._channel_axis], self.filters))
        return self._with_spatial(shape, spatial, self.filters)

    def get_config(self) -> Dict[str, Any]:
        base = self._base_config()
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": base["kernel_size"], "strides": base["strides"],
                "padding": base["padding"], "data_format": base["data_format"],
                "dilation_rate": base["dilation_rate"], "groups": self.groups,
                "activation": base["activation"], "use_bias": self.use_bias,
                **self._weights_config("kernel")}


class Conv1D(_Conv):
    """1-D convolution (``keras.layers.Conv1D``); padding "valid", "same" or "causal"
    (left-padded by ``(kernel_size - 1) * dilation_rate``, as Keras)."""

    rank = 1
    _allow_causal = True


class Conv2D(_Conv):
    """2-D convolution (``keras.layers.Conv2D``): kernel (kh, kw, in / groups, filters)."""

    rank = 2


class Conv3D(_Conv):
    """3-D convolution (``keras.layers.Conv3D``)."""

    rank = 3


class _ConvTranspose(_Windowed):
    """Keras's BaseConvTranspose: the gradient of a convolution w.r.t. its input, kernel
    (k..., filters, in_channels), output sizes by Keras's deconv_output_length."""

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 output_padding: Any = None, data_format: Any = None, dilation_rate: Any = 1,
                 activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation,
                         use_bias, bias_initializer, bias_regularizer, activity_regularizer,
                         bias_constraint, **kwargs)
        if not isinstance(filters, (int, np.integer)) or filters <= 0:
            raise ValueError("Invalid value for argument `filters`. Expected a strictly "
                             f"positive value. Received filters={filters}.")
        self.filters = int(filters)
        self.output_padding = (None if output_padding is None else
                               standardize_tuple(output_padding, self.rank, "output_padding",
                                                 allow_zero=True))
        if self.output_padding is not None:
            for i, (op, s) in enumerate(zip(self.output_padding, self.strides)):
                if op >= s:
                    raise ValueError(
                        "`output_padding` must be strictly less than `strides` for all "
                        f"dimensions. At dimension {i}, `output_padding` is {op} but "
                        f"`strides` is {s}. Received: output_padding={self.output_padding}, "
                        f"strides={self.strides}")
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = kernel_constraint

    def build(self, input_shape: Any) -> None:
        c = self._input_channels(input_shape)
        self.input_spec = InputSpec(min_ndim=self.rank + 2, axes={self._channel_axis: c})
        self.kernel = self.add_weight(shape=self.kernel_size + (self.filters, c), name="kernel",
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer)
        self.bias = self.add_weight(shape=(self.filters,), name="bias",
                                    initializer=self.bias_initializer,
                                    regularizer=self.bias_regularizer) if self.use_bias else None

    def _out_spatial(self, spatial: Sequence[Any]) -> Tuple[Any, ...]:
        ops = self.output_padding or (None,) * self.rank
        return tuple(deconv_output_length(n, k, self.padding, op, s, d) for n, k, op, s, d in
                     zip(spatial, self.kernel_size, ops, self.strides, self.dilation_rate))

    def call(self, inputs: Any) -> Any:
        x = self._last(inputs)
        out_spatial = self._out_spatial(tuple(x.shape[1:-1]))
        out_shape = (x.shape[0], *out_spatial, self.filters)
        before, after = conv_ops._padding(self.padding.upper(), out_spatial, self.kernel_size,
                                          self.strides, self.dilation_rate, True)
        win = (self.strides, self.dilation_rate, before, after)
        kernel = tf.convert_to_tensor(self.kernel)
        return self._finish(conv_ops._conv_backprop_input(out_shape, kernel, x, win))

    def compute_output_shape(self, input_shape: Any) -> Any:
        shape = tuple(input_shape)
        return self._with_spatial(shape, self._out_spatial(self._spatial(shape)), self.filters)

    def get_config(self) -> Dict[str, Any]:
        base = self._base_config()
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": base["kernel_size"], "strides": base["strides"],
                "padding": base["padding"], "output_padding": self.output_padding,
                "data_format": base["data_format"], "dilation_rate": base["dilation_rate"],
                "activation": base["activation"], "use_bias": self.use_bias,
                **self._weights_config("kernel")}


class Conv1DTranspose(_ConvTranspose):
    """Transposed 1-D convolution (``keras.layers.Conv1DTranspose``)."""

    rank = 1


class Conv2DTranspose(_ConvTranspose):
    """Transposed 2-D convolution (``keras.layers.Conv2DTranspose``): kernel (kh, kw,
    filters, in_channels)."""

    rank = 2


class Conv3DTranspose(_ConvTranspose):
    """Transposed 3-D convolution (``keras.layers.Conv3DTranspose``)."""

    rank = 3

    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1, 1),
                 padding: str = "valid", data_format: Any = None, output_padding: Any = None,
                 dilation_rate: Any = (1, 1, 1), activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        # Keras's argument order here: data_format before output_padding
        super().__init__(filters, kernel_size, strides, padding, output_padding, data_format,
                         dilation_rate, activation, use_bias, kernel_initializer,
                         bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)


class _DepthwiseConv(_Windowed):
    """Keras's BaseDepthwiseConv: each input channel convolved with depth_multiplier
    filters of its own (a grouped convolution with groups = channels)."""

    _weight_names: Tuple[str, ...] = ("depthwise",)  # what get_config lists, in order

    def __init__(self, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 depth_multiplier: int = 1, data_format: Any = None, dilation_rate: Any = 1,
                 activation: Any = None, use_bias: bool = True,
                 depthwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, depthwise_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation,
                         use_bias, bias_initializer, bias_regularizer, activity_regularizer,
                         bias_constraint, **kwargs)
        if not isinstance(depth_multiplier, (int, np.integer)) or depth_multiplier <= 0:
            raise ValueError("Invalid value for argument `depth_multiplier`. Expected a "
                             f"strictly positive value. Received "
                             f"depth_multiplier={depth_multiplier}.")
        self.depth_multiplier = int(depth_multiplier)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.depthwise_constraint = depthwise_constraint

    def build(self, input_shape: Any) -> None:
        c = self._input_channels(input_shape)
        shape = self.kernel_size + (c, self.depth_multiplier)
        # (Keras's message shows the kernel as (k..., in, in * multiplier))
        self._check_output(input_shape, self.kernel_size + (c, c * self.depth_multiplier))
        self.input_spec = InputSpec(min_ndim=self.rank + 2, axes={self._channel_axis: c})
        self.kernel = self.add_weight(shape=shape, name="kernel",
                                      initializer=self.depthwise_initializer,
                                      regularizer=self.depthwise_regularizer)
        self.bias = self.add_weight(shape=(c * self.depth_multiplier,), name="bias",
                                    initializer=self.bias_initializer,
                                    regularizer=self.bias_regularizer) if self.use_bias else None

    def _depthwise(self, x: Any, kernel: Any) -> Any:
        c = kernel.shape[-2]
        w = tf.reshape(tf.convert_to_tensor(kernel),
                       self.kernel_size + (1, c * self.depth_multiplier))
        return conv_ops._conv(x, w, self._window(x, self.kernel_size))

    def call(self, inputs: Any) -> Any:
        x = self._last(inputs)
        return self._finish(self._depthwise(x, self.kernel))

    def compute_output_shape(self, input_shape: Any) -> Any:
        shape = tuple(input_shape)
        spatial = self._out_spatial(shape)
        c = shape[self._channel_axis]
        return self._with_spatial(shape, spatial, None if c is None else c * self.depth_multiplier)

    def get_config(self) -> Dict[str, Any]:
        base = self._base_config()
        return {**super().get_config(), "depth_multiplier": self.depth_multiplier,
                "kernel_size": base["kernel_size"], "strides": base["strides"],
                "padding": base["padding"], "data_format": base["data_format"],
                "dilation_rate": base["dilation_rate"], "activation": base["activation"],
                "use_bias": self.use_bias, **self._weights_config(*self._weight_names)}


class DepthwiseConv1D(_DepthwiseConv):
    """Depthwise 1-D convolution (``keras.layers.DepthwiseConv1D``)."""

    rank = 1


class DepthwiseConv2D(_DepthwiseConv):
    """Depthwise 2-D convolution (``keras.layers.DepthwiseConv2D``): kernel (kh, kw,
    in_channels, depth_multiplier)."""

    rank = 2


class _SeparableConv(_DepthwiseConv):
    """Keras's BaseSeparableConv: a depthwise convolution, then a pointwise (1x1) one to
    `filters` channels, then bias and activation."""

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: Any = None, dilation_rate: Any = 1, depth_multiplier: int = 1,
                 activation: Any = None, use_bias: bool = True,
                 depthwise_initializer: Any = "glorot_uniform",
                 pointwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, pointwise_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 depthwise_constraint: Any = None, pointwise_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(kernel_size, strides, padding, depth_multiplier, data_format,
                         dilation_rate, activation, use_bias, depthwise_initializer,
                         bias_initializer, depthwise_regularizer, bias_regularizer,
                         activity_regularizer, depthwise_constraint, bias_constraint, **kwargs)
        if not isinstance(filters, (int, np.integer)) or filters <= 0:
            raise ValueError("Invalid value for argument `filters`. Expected a strictly "
                             f"positive value. Received filters={filters}.")
        self.filters = int(filters)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.pointwise_constraint = pointwise_constraint

    def build(self, input_shape: Any) -> None:
        c = self._input_channels(input_shape)
        shape = self.kernel_size + (c, self.depth_multiplier)
        self._check_output(input_shape, self.kernel_size + (c, self.filters))  # as Keras
        self.input_spec = InputSpec(min_ndim=self.rank + 2, axes={self._channel_axis: c})
        self.depthwise_kernel = self.add_weight(shape=shape, name="depthwise_kernel",
                                                initializer=self.depthwise_initializer,
                                                regularizer=self.depthwise_regularizer)
        self.pointwise_kernel = self.add_weight(
            shape=(1,) * self.rank + (c * self.depth_multiplier, self.filters),
            name="pointwise_kernel", initializer=self.pointwise_initializer,
            regularizer=self.pointwise_regularizer)
        self.bias = self.add_weight(shape=(self.filters,), name="bias",
                                    initializer=self.bias_initializer,
                                    regularizer=self.bias_regularizer) if self.use_bias else None

    def call(self, inputs: Any) -> Any:
        x = self._last(inputs)
        y = self._depthwise(x, self.depthwise_kernel)
        ones = (1,) * self.rank
        zeros = (0,) * self.rank
        y = conv_ops._conv(y, tf.convert_to_tensor(self.pointwise_kernel),
                           (ones, ones, zeros, zeros))
        return self._finish(y)

    def compute_output_shape(self, input_shape: Any) -> Any:
        shape = tuple(input_shape)
        spatial = self._out_spatial(shape)
        return self._with_spatial(shape, spatial, self.filters)

    _weight_names = ("depthwise", "pointwise")

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()  # Keras's order: depth_multiplier, filters, kernel_size...
        head = {k: cfg.pop(k) for k in list(cfg) if k in ("name", "trainable", "dtype",
                                                         "depth_multiplier")}
        return {**head, "filters": self.filters, **cfg}


class SeparableConv1D(_SeparableConv):
    """Depthwise-separable 1-D convolution (``keras.layers.SeparableConv1D``)."""

    rank = 1


class SeparableConv2D(_SeparableConv):
    """Depthwise-separable 2-D convolution (``keras.layers.SeparableConv2D``)."""

    rank = 2


# Keras's aliases.
Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D
Convolution1DTranspose, Convolution2DTranspose, Convolution3DTranspose = (
    Conv1DTranspose, Conv2DTranspose, Conv3DTranspose)
SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D
