"""Keras 3's activation layers: ``ReLU``, ``LeakyReLU``, ``ELU``, ``Softmax`` and
``PReLU``, with Keras's arguments, checks, configs and weights (``PReLU``'s ``alpha``)."""

from __future__ import annotations

import warnings
from typing import Any, Dict, Optional, Sequence

import tapeflow as tf
from tapeflow.keras import activations, initializers, regularizers
from tapeflow.keras.layers.core import _ser
from tapeflow.keras.layers.layer import Layer


class ReLU(Layer):
    """``max(x, 0)`` with Keras's ``max_value`` cap, ``negative_slope`` below
    ``threshold`` and ``threshold`` (``keras.layers.ReLU``)."""

    def __init__(self, max_value: Optional[float] = None, negative_slope: float = 0.0,
                 threshold: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0.0:
            raise ValueError("max_value of a ReLU layer cannot be a negative value. "
                             f"Received: max_value={max_value}")
        if negative_slope is None or negative_slope < 0.0:
            raise ValueError("negative_slope of a ReLU layer cannot be None or a negative "
                             f"value. Received: negative_slope={negative_slope}")
        if threshold is None or threshold < 0.0:
            raise ValueError("threshold of a ReLU layer cannot be None or a negative "
                             f"value. Received: threshold={threshold}")
        self.max_value = max_value
        self.negative_slope = negative_slope
        self.threshold = threshold
        self.supports_masking = True
        self.built = True

    def call(self, inputs: Any) -> Any:
        return activations.relu(inputs, negative_slope=self.negative_slope,
                                max_value=self.max_value, threshold=self.threshold)

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "max_value": self.max_value,
                "negative_slope": self.negative_slope, "threshold": self.threshold}


class LeakyReLU(Layer):
    """``x`` above zero, ``negative_slope * x`` below (``keras.layers.LeakyReLU``; the
    old ``alpha`` argument is accepted with Keras's deprecation warning)."""

    def __init__(self, negative_slope: float = 0.3, **kwargs: Any) -> None:
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn("Argument `alpha` is deprecated. Use `negative_slope` instead.")
        super().__init__(**kwargs)
        if negative_slope is None or negative_slope < 0:
            raise ValueError("The negative_slope value of a Leaky ReLU layer cannot be "
                             "None or negative value. Expected a float. Received: "
                             f"negative_slope={negative_slope}")
        self.negative_slope = negative_slope
        self.supports_masking = True
        self.built = True

    def call(self, inputs: Any) -> Any:
        return activations.leaky_relu(inputs, negative_slope=self.negative_slope)

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "negative_slope": self.negative_slope}


class ELU(Layer):
    """``x`` above zero, ``alpha * (exp(x) - 1)`` below (``keras.layers.ELU``)."""

    def __init__(self, alpha: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.alpha = alpha
        self.supports_masking = True
        self.built = True

    def call(self, inputs: Any) -> Any:
        return activations.elu(inputs, alpha=self.alpha)

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "alpha": self.alpha}


class Softmax(Layer):
    """Softmax over ``axis`` (an int, or several axes), with Keras's ``mask``: masked
    positions get a large negative logit and a zero output."""

    def __init__(self, axis: Any = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = axis
        self.supports_masking = True
        self.built = True

    def call(self, inputs: Any, mask: Any = None) -> Any:
        x = tf.convert_to_tensor(inputs)
        if mask is not None:
            mask = tf.convert_to_tensor(mask)
            if mask.dtype != tf.bool:
                mask = tf.greater(mask, tf.cast(0.5, mask.dtype))
            big = -1e9 if x.dtype == tf.float32 or x.dtype == tf.float64 else -3e4
            x = tf.where(mask, x, tf.cast(big, x.dtype))
        if isinstance(self.axis, (tuple, list)):
            if len(self.axis) > 1:
                out = tf.exp(x - tf.reduce_logsumexp(x, axis=list(self.axis), keepdims=True))
            else:
                out = activations.softmax(x, axis=self.axis[0])
        else:
            out = activations.softmax(x, axis=self.axis)
        if mask is not None:
            out = tf.where(mask, out, tf.zeros_like(out))
        return out

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}


class PReLU(Layer):
    """Leaky ReLU with a learned slope per element (``alpha``, shaped as the input
    without the batch axis; ``shared_axes`` share it), as ``keras.layers.PReLU``."""

    def __init__(self, alpha_initializer: Any = "Zeros", alpha_regularizer: Any = None,
                 alpha_constraint: Any = None,
                 shared_axes: Optional[Sequence[int]] = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        if alpha_constraint is not None:
            raise NotImplementedError("PReLU(alpha_constraint=...): tapeflow has no "
                                      "keras.constraints yet")
        self.alpha_constraint = None
        if shared_axes is None:
            self.shared_axes = None
        elif not isinstance(shared_axes, (list, tuple)):
            self.shared_axes = [shared_axes]
        else:
            self.shared_axes = list(shared_axes)

    def build(self, input_shape: Any) -> None:
        param_shape = list(input_shape[1:])
        if self.shared_axes is not None:
            for i in self.shared_axes:
                param_shape[i - 1] = 1
        self.alpha = self.add_weight(shape=param_shape, name="alpha",
                                     initializer=self.alpha_initializer,
                                     regularizer=self.alpha_regularizer)

    def call(self, inputs: Any) -> Any:
        x = tf.convert_to_tensor(inputs)
        return tf.nn.relu(x) - self.alpha * tf.nn.relu(-x)

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(),
                "alpha_initializer": _ser(self.alpha_initializer, "keras.initializers"),
                "alpha_regularizer": _ser(self.alpha_regularizer, "keras.regularizers"),
                "alpha_constraint": None, "shared_axes": self.shared_axes}
