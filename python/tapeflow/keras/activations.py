"""``keras.activations``: activation functions by name (Keras 3's set)."""

from __future__ import annotations

from typing import Any, Callable, Optional

import tapeflow as tf


def linear(x: Any) -> Any:
    return tf.convert_to_tensor(x)


def relu(x: Any, negative_slope: float = 0.0, max_value: Optional[float] = None,
         threshold: float = 0.0) -> Any:
    """max(x, 0), with Keras's optional slope, cap and threshold."""
    x = tf.convert_to_tensor(x)
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return tf.nn.relu(x)
    out = tf.where(x > threshold, x, (x - threshold) * negative_slope)
    if max_value is not None:
        out = tf.minimum(out, max_value)
    return out


def _with_logits(output: Any, x: Any) -> Any:
    """Keras 3 caches an activation's input on its output (``_keras_logits``): the
    crossentropy losses then compute from the logits (stabler, no clipping)."""
    try:
        output._keras_logits = x
    except AttributeError:
        pass
    return output


def sigmoid(x: Any) -> Any:
    return _with_logits(tf.math.sigmoid(x), x)


def tanh(x: Any) -> Any:
    return tf.math.tanh(x)


def softmax(x: Any, axis: int = -1) -> Any:
    return _with_logits(tf.nn.softmax(x, axis=axis), x)


def log_softmax(x: Any, axis: int = -1) -> Any:
    return tf.nn.log_softmax(x, axis=axis)


def elu(x: Any, alpha: float = 1.0) -> Any:
    x = tf.convert_to_tensor(x)
    return tf.where(x > 0, x, tf.math.expm1(tf.minimum(x, 0.0)) * alpha)


def selu(x: Any) -> Any:
    return tf.nn.selu(x)


def gelu(x: Any, approximate: bool = True) -> Any:
    """Keras 3's gelu defaults to the tanh approximation."""
    return tf.nn.gelu(x, approximate=approximate)


def silu(x: Any) -> Any:
    return tf.nn.silu(x)


swish = silu


def leaky_relu(x: Any, negative_slope: float = 0.2) -> Any:
    return tf.nn.leaky_relu(x, alpha=negative_slope)


def relu6(x: Any) -> Any:
    return tf.nn.relu6(x)


def softplus(x: Any) -> Any:
    return tf.math.softplus(x)


def softsign(x: Any) -> Any:
    x = tf.convert_to_tensor(x)
    return x / (tf.abs(x) + 1.0)


def exponential(x: Any) -> Any:
    return tf.exp(x)


def hard_sigmoid(x: Any) -> Any:
    """relu6(x + 3) / 6, as Keras 3."""
    return tf.nn.relu6(tf.convert_to_tensor(x) + 3.0) / 6.0


_BY_NAME = {f.__name__: f for f in (
    linear, relu, sigmoid, tanh, softmax, log_softmax, elu, selu, gelu, silu, leaky_relu,
    relu6, softplus, softsign, exponential, hard_sigmoid)}
_BY_NAME["swish"] = silu


def get(identifier: Any) -> Callable[..., Any]:
    """An activation from a name, a callable or None (linear)."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        try:
            return _BY_NAME[identifier]
        except KeyError:
            raise ValueError(f"Could not interpret activation function identifier: "
                             f"{identifier}") from None
    if isinstance(identifier, dict):
        return get(identifier.get("config", identifier.get("class_name")))
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret activation function identifier: {identifier}")


def serialize(activation: Callable[..., Any]) -> Any:
    """The name of a built-in activation (Keras stores activations by name)."""
    for name, f in _BY_NAME.items():
        if f is activation:
            return name
    return getattr(activation, "__name__", str(activation))
