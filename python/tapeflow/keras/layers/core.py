"""Built-in layers: Dense, Activation, Dropout, Flatten, Reshape, Input/InputLayer,
Concatenate, Add, Embedding, BatchNormalization, Normalization (Keras 3 semantics)."""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence, Tuple

import numpy as np

import tapeflow as tf
from tapeflow.keras import activations, initializers, regularizers
from tapeflow.keras.layers.input_spec import InputSpec
from tapeflow.keras.layers.layer import KerasTensor, Layer, unique_name
from tapeflow.keras.utils.argument_validation import standardize_data_format


def _ser(obj: Any, module: str) -> Any:
    if obj is None:
        return None
    return {"module": module, "class_name": type(obj).__name__, "config": obj.get_config(),
            "registered_name": None}


class Dense(Layer):
    """``activation(inputs @ kernel + bias)``; kernel 'glorot_uniform', bias 'zeros'."""

    def __init__(self, units: int, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if not isinstance(units, (int, np.integer)) or units <= 0:
            raise ValueError(f"Received an invalid value for `units`, expected a positive "
                             f"integer. Received: units={units}")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint

    def build(self, input_shape: Any) -> None:
        input_dim = input_shape[-1]
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})
        self.kernel = self.add_weight(shape=(input_dim, self.units), name="kernel",
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer)
        self.bias = self.add_weight(shape=(self.units,), name="bias",
                                    initializer=self.bias_initializer,
                                    regularizer=self.bias_regularizer) if self.use_bias else None

    def call(self, inputs: Any) -> Any:
        if not inputs.dtype.is_floating:  # ints and bools: as Keras's matmul promotes them
            inputs = tf.cast(inputs, self.kernel.dtype)
        if inputs.ndim == 2:
            x = tf.matmul(inputs, self.kernel)
        else:  # apply to the last axis of higher-rank inputs, as Keras
            x = _dense_nd(inputs, self.kernel)
        if self.bias is not None:
            x = x + self.bias
        return self.activation(x)

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "units": self.units,
                "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": _ser(self.kernel_initializer, "keras.initializers"),
                "bias_initializer": _ser(self.bias_initializer, "keras.initializers"),
                "kernel_regularizer": _ser(self.kernel_regularizer, "keras.regularizers"),
                "bias_regularizer": _ser(self.bias_regularizer, "keras.regularizers"),
                "kernel_constraint": None, "bias_constraint": None,
                "quantization_config": None}

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "Dense":
        config = dict(config)
        config.pop("quantization_config", None)
        config.pop("kernel_constraint", None)
        config.pop("bias_constraint", None)
        return super().from_config(config)  # type: ignore[return-value]


def _dense_nd(x: Any, kernel: Any) -> Any:
    shape = x.shape.as_list()
    flat = tf.reshape(x, (-1, shape[-1]))
    out = tf.matmul(flat, kernel)
    return tf.reshape(out, shape[:-1] + [kernel.shape[-1]])


class Activation(Layer):
    def __init__(self, activation: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs: Any) -> Any:
        return self.activation(inputs)

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Dropout(Layer):
    """Zeroes a fraction `rate` of inputs when training, scaling the rest up."""

    def __init__(self, rate: float, noise_shape: Any = None, seed: Optional[int] = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not 0 <= rate <= 1:
            raise ValueError(f"Invalid value received for argument `rate`. Expected a float "
                             f"value between 0 and 1. Received: rate={rate}")
        self.rate, self.noise_shape, self.seed = float(rate), noise_shape, seed

    def call(self, inputs: Any, training: Any = None) -> Any:
        if training and self.rate > 0:
            if self.rate >= 1:
                return tf.zeros_like(inputs)
            noise_shape = self._get_noise_shape(inputs)
            return tf.nn.dropout(inputs, self.rate, noise_shape=noise_shape)
        return inputs

    def _get_noise_shape(self, inputs: Any) -> Any:
        """The shape of the keep/drop mask, broadcast over `inputs` (Keras's hook,
        overridden by the SpatialDropout layers)."""
        return self.noise_shape

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed,
                "noise_shape": self.noise_shape}


class Flatten(Layer):
    """Flattens each sample, keeping the batch axis (``keras.layers.Flatten``).

    As Keras 3: ``data_format="channels_first"`` moves the channels axis (axis 1) last
    before flattening, so the result matches a channels_last model's; a rank-1 input
    ``(batch,)`` becomes ``(batch, 1)``; unknown non-batch dims give an unknown
    flattened dim in symbolic shapes; the symbolic output keeps the input's dtype.

    Args:
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
    """

    _symbolic_keeps_dtype = True

    def __init__(self, data_format: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs: Any) -> Any:
        shape = inputs.shape.as_list()
        if self.data_format == "channels_first" and len(shape) > 2:
            inputs = tf.transpose(inputs, (0, *range(2, len(shape)), 1))
        # The product of the non-batch dims, not -1: right for empty batches too.
        return tf.reshape(inputs, (shape[0], int(np.prod(shape[1:], dtype=np.int64))))

    def compute_output_shape(self, input_shape: Any) -> Tuple[Optional[int], ...]:
        """``(batch, product of the other dims)``; None if any of them is unknown."""
        rest = tuple(input_shape)[1:]
        known = all(d is not None for d in rest)
        flat = int(np.prod(rest, dtype=np.int64)) if known else None
        return (tuple(input_shape)[0], flat)

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    def __init__(self, target_shape: Sequence[int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target_shape = tuple(target_shape)

    def call(self, inputs: Any) -> Any:
        return tf.reshape(inputs, (inputs.shape[0],) + self.target_shape)

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "target_shape": self.target_shape}


class InputLayer(Layer):
    """The entry of a functional model; ``keras.Input`` makes one and returns its
    symbolic output."""

    def __init__(self, shape: Any = None, batch_size: Optional[int] = None, dtype: Any = None,
                 sparse: Any = None, batch_shape: Any = None, input_tensor: Any = None,
                 optional: bool = False, name: Optional[str] = None, **kwargs: Any) -> None:
        kwargs.pop("input_shape", None)
        super().__init__(name=name or unique_name("input_layer"), dtype=dtype)
        if batch_shape is None:
            if shape is None:
                raise ValueError("You must pass a `shape` argument.")
            batch_shape = (batch_size,) + tuple(shape)
        self.batch_shape = tuple(batch_shape)
        self.built = True
        tensor = KerasTensor(self.batch_shape, self._dtype, name=self.name,
                             history=(self, None, {}))
        object.__setattr__(self, "_first_call", (tensor, tensor))  # .input and .output

    def get_config(self) -> Dict[str, Any]:
        return {"batch_shape": self.batch_shape, "dtype": self.dtype, "sparse": False,
                "ragged": False, "name": self.name, "optional": False}

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "InputLayer":
        config = {k: v for k, v in config.items() if k not in ("ragged", "optional")}
        return cls(**config)


def Input(shape: Any = None, batch_size: Optional[int] = None, dtype: Any = None,
          sparse: Any = None, batch_shape: Any = None, name: Optional[str] = None,
          tensor: Any = None, optional: bool = False) -> KerasTensor:
    """A symbolic input for the functional API (``keras.Input``)."""
    return InputLayer(shape=shape, batch_size=batch_size, dtype=dtype,
                      batch_shape=batch_shape, name=name).output


class _Merge(Layer):
    def build(self, input_shape: Any) -> None:
        if not isinstance(input_shape, (list, tuple)) or not isinstance(input_shape[0], tuple):
            raise ValueError(f"A merge layer should be called on a list of inputs. Received: "
                             f"input_shape={input_shape} (not a list of shapes)")


class Add(_Merge):
    def call(self, inputs: Any) -> Any:
        return tf.add_n(list(inputs))


class Subtract(_Merge):
    def call(self, inputs: Any) -> Any:
        return inputs[0] - inputs[1]


class Multiply(_Merge):
    def call(self, inputs: Any) -> Any:
        out = inputs[0]
        for x in inputs[1:]:
            out = out * x
        return out


class Average(_Merge):
    def call(self, inputs: Any) -> Any:
        return tf.add_n(list(inputs)) / float(len(inputs))


class Maximum(_Merge):
    """Elementwise maximum of its inputs (``keras.layers.Maximum``)."""

    def call(self, inputs: Any) -> Any:
        out = inputs[0]
        for x in inputs[1:]:
            out = tf.maximum(out, x)
        return out


class Minimum(_Merge):
    """Elementwise minimum of its inputs (``keras.layers.Minimum``)."""

    def call(self, inputs: Any) -> Any:
        out = inputs[0]
        for x in inputs[1:]:
            out = tf.minimum(out, x)
        return out


class Concatenate(_Merge):
    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs: Any) -> Any:
        return tf.concat(list(inputs), axis=self.axis)

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}


# Keras's functional forms of the merge layers: ``layers.add([x, y])`` is
# ``layers.Add()([x, y])`` (keyword arguments go to the layer).
def add(inputs: Any, **kwargs: Any) -> Any:
    """``keras.layers.add``: the sum of the inputs."""
    return Add(**kwargs)(inputs)


def subtract(inputs: Any, **kwargs: Any) -> Any:
    """``keras.layers.subtract``: inputs[0] - inputs[1]."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs: Any, **kwargs: Any) -> Any:
    """``keras.layers.multiply``: the elementwise product of the inputs."""
    return Multiply(**kwargs)(inputs)


def average(inputs: Any, **kwargs: Any) -> Any:
    """``keras.layers.average``: the mean of the inputs."""
    return Average(**kwargs)(inputs)


def maximum(inputs: Any, **kwargs: Any) -> Any:
    """``keras.layers.maximum``: the elementwise maximum of the inputs."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs: Any, **kwargs: Any) -> Any:
    """``keras.layers.minimum``: the elementwise minimum of the inputs."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs: Any, axis: int = -1, **kwargs: Any) -> Any:
    """``keras.layers.concatenate``: the inputs joined along `axis`."""
    return Concatenate(axis=axis, **kwargs)(inputs)


class Embedding(Layer):
    """Maps integer ids to dense vectors (``embeddings_initializer`` 'uniform')."""

    def __init__(self, input_dim: int, output_dim: int, embeddings_initializer: Any = "uniform",
                 embeddings_regularizer: Any = None, mask_zero: bool = False, **kwargs: Any) -> None:
        kwargs.pop("input_length", None)
        super().__init__(**kwargs)
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        init = "random_uniform" if embeddings_initializer == "uniform" else embeddings_initializer
        self.embeddings_initializer = initializers.get(init)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.mask_zero = mask_zero

    def build(self, input_shape: Any = None) -> None:
        self.embeddings = self.add_weight(shape=(self.input_dim, self.output_dim),
                                          initializer=self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer,
                                          name="embeddings")

    def call(self, inputs: Any) -> Any:
        ids = inputs if inputs.dtype.is_integer else tf.cast(inputs, tf.int32)
        return tf.gather(self.embeddings, ids)

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "input_dim": self.input_dim,
                "output_dim": self.output_dim, "mask_zero": self.mask_zero,
                "embeddings_initializer": _ser(self.embeddings_initializer, "keras.initializers"),
                "embeddings_regularizer": _ser(self.embeddings_regularizer, "keras.regularizers")}


class BatchNormalization(Layer):
    """Normalises with batch statistics when training and moving averages otherwise."""

    def __init__(self, axis: int = -1, momentum: float = 0.99, epsilon: float = 1e-3,
                 center: bool = True, scale: bool = True, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", moving_mean_initializer: Any = "zeros",
                 moving_variance_initializer: Any = "ones", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis, self.momentum, self.epsilon = axis, float(momentum), float(epsilon)
        self.center, self.scale = center, scale
        self._inits = (beta_initializer, gamma_initializer, moving_mean_initializer,
                       moving_variance_initializer)

    def build(self, input_shape: Any) -> None:
        dim = input_shape[self.axis]
        beta_i, gamma_i, mean_i, var_i = self._inits
        self.gamma = self.add_weight(shape=(dim,), name="gamma", initializer=gamma_i) \
            if self.scale else None
        self.beta = self.add_weight(shape=(dim,), name="beta", initializer=beta_i) \
            if self.center else None
        self.moving_mean = self.add_weight(shape=(dim,), name="moving_mean",
                                           initializer=mean_i, trainable=False)
        self.moving_variance = self.add_weight(shape=(dim,), name="moving_variance",
                                               initializer=var_i, trainable=False)

    def call(self, inputs: Any, training: Any = None) -> Any:
        rank = inputs.shape.rank
        axis = self.axis % rank
        reduce_axes = [a for a in range(rank) if a != axis]
        shape = [1] * rank
        shape[axis] = inputs.shape[axis]
        if training and self.trainable and axis == rank - 1 and inputs.dtype.is_floating:
            # channels last (Keras's default): one fused native op, same formula
            from tapeflow.ops.nn_ops import _fused_batch_norm

            c = inputs.shape[-1]
            gamma = self.gamma if self.gamma is not None else tf.ones((c,), inputs.dtype)
            beta = self.beta if self.beta is not None else tf.zeros((c,), inputs.dtype)
            out, mean, var = _fused_batch_norm(inputs, tf.convert_to_tensor(gamma),
                                               tf.convert_to_tensor(beta), self.epsilon)
            self._update_moving_stats(mean, var)
            return out
        if training and self.trainable:
            mean, var = tf.nn.moments(inputs, reduce_axes)
            self._update_moving_stats(mean, var)
        else:
            mean, var = self.moving_mean, self.moving_variance
        out = (inputs - tf.reshape(mean, shape)) * tf.math.rsqrt(tf.reshape(var, shape) + self.epsilon)
        if self.gamma is not None:
            out = out * tf.reshape(self.gamma, shape)
        if self.beta is not None:
            out = out + tf.reshape(self.beta, shape)
        return out

    def _update_moving_stats(self, mean: Any, var: Any) -> None:
        """moving = moving * momentum + batch statistic * (1 - momentum), no gradient."""
        m = self.momentum
        self.moving_mean.assign(self.moving_mean * m + tf.stop_gradient(mean) * (1 - m))
        self.moving_variance.assign(self.moving_variance * m + tf.stop_gradient(var) * (1 - m))

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum,
                "epsilon": self.epsilon, "center": self.center, "scale": self.scale}


class Normalization(Layer):
    """(x - mean) / sqrt(variance), with mean and variance given or learnt by
    ``adapt(data)``."""

    def __init__(self, axis: Any = -1, mean: Any = None, variance: Any = None,
                 invert: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = axis
        self.invert = invert
        self._init_mean, self._init_var = mean, variance

    def build(self, input_shape: Any) -> None:
        dim = input_shape[self.axis] if self.axis is not None else 1
        shape = (dim,) if self.axis is not None else ()
        self.mean = self.add_weight(shape=shape, name="mean", initializer="zeros",
                                    trainable=False)
        self.variance = self.add_weight(shape=shape, name="variance", initializer="ones",
                                        trainable=False)
        if self._init_mean is not None:
            self.mean.assign(np.broadcast_to(np.asarray(self._init_mean, np.float32), shape))
            self.variance.assign(np.broadcast_to(np.asarray(self._init_var, np.float32), shape))

    def adapt(self, data: Any, batch_size: Any = None, steps: Any = None) -> None:
        """Learns the mean and variance of `data` over all but the normalised axis."""
        arr = np.asarray(data, dtype=np.float64)
        if not self.built:
            self._maybe_build(arr.shape)
        axis = None if self.axis is None else self.axis % arr.ndim
        red = tuple(a for a in range(arr.ndim) if a != axis)
        self.mean.assign(arr.mean(axis=red).astype(np.float32))
        self.variance.assign(arr.var(axis=red).astype(np.float32))

    def call(self, inputs: Any) -> Any:
        inputs = tf.convert_to_tensor(inputs)
        if not inputs.dtype.is_floating:  # uint8 images and int features: as Keras, in float
            inputs = tf.cast(inputs, self.mean.dtype)
        rank = inputs.shape.rank
        shape = [1] * rank
        if self.axis is not None:
            shape[self.axis % rank] = inputs.shape[self.axis]
        mean = tf.reshape(self.mean, shape if self.axis is not None else [])
        var = tf.reshape(self.variance, shape if self.axis is not None else [])
        std = tf.maximum(tf.sqrt(var), 1e-7)
        if self.invert:
            return inputs * std + mean
        return (inputs - mean) / std

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "axis": self.axis, "invert": self.invert,
                "mean": self._init_mean, "variance": self._init_var}
