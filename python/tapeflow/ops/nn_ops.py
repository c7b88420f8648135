"""Neural-network ops (``tf.nn``): activations, softmax and cross-entropies.

Composite ops are built from differentiable primitives, so their gradients (and second
derivatives) come from the tape; the max subtracted for stability is a stop_gradient
constant, which leaves the gradient exact.
"""

from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np

from tapeflow import _core
from tapeflow.framework import errors
from tapeflow.autodiff import tape as _tape
from tapeflow.framework.tensor import Tensor, wrap
from tapeflow.ops import array_ops, math_ops
from tapeflow.ops._base import MAX_FLOAT_INDEX, name_ops, binary, to_tensor, unary

m = math_ops

relu_grad = binary(_core.relu_grad, "ReluGrad", lambda dy, x, z, dz: relu_grad(dz, x), None,
                   "TF's ReluGrad(gradients, features): gradients where features > 0, "
                   "else 0 (one fused op; its own gradient flows to `gradients` only).",
                   broadcast=False)
relu = unary(_core.relu, "Relu", lambda x, y, dy: relu_grad(dy, x),
             "max(x, 0) (``tf.nn.relu``); its gradient at 0 is 0, as TF.")
sigmoid = m.sigmoid
tanh = m.tanh
softplus = m.softplus


relu6_grad = binary(_core.relu6_grad, "Relu6Grad", lambda dy, x, z, dz: relu6_grad(dz, x),
                    None, "TF's Relu6Grad(gradients, features): gradients where 0 < "
                    "features < 6, else 0.", broadcast=False)
relu6 = unary(_core.relu6, "Relu6", lambda x, y, dy: relu6_grad(dy, x),
              "min(max(x, 0), 6) (``tf.nn.relu6``); its gradient is 0 at 0 and at 6, "
              "as TF's.")


def leaky_relu(features: Any, alpha: float = 0.2, name: Optional[str] = None) -> Tensor:
    """x for x > 0, alpha * x otherwise (``tf.nn.leaky_relu``)."""
    x = to_tensor(features)
    return m.where(m.greater(x, 0), x, m.multiply(x, alpha))


def elu(features: Any, name: Optional[str] = None) -> Tensor:
    """x for x > 0, exp(x) - 1 otherwise (``tf.nn.elu``)."""
    x = to_tensor(features)
    return m.where(m.greater(x, 0), x, m.expm1(m.minimum(x, 0)))


def selu(features: Any, name: Optional[str] = None) -> Tensor:
    """Scaled ELU with the self-normalising constants (``tf.nn.selu``)."""
    alpha, scale = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
    x = to_tensor(features)
    # x < 0 picks the exponential branch, so the gradient at 0 is `scale` (TF's SeluGrad).
    return m.multiply(m.where(m.less(x, 0), m.multiply(m.expm1(m.minimum(x, 0)), alpha), x),
                      scale)


def silu(features: Any, beta: float = 1.0, name: Optional[str] = None) -> Tensor:
    """x * sigmoid(beta * x) (``tf.nn.silu``, a.k.a. swish)."""
    x = to_tensor(features)
    return m.multiply(x, m.sigmoid(m.multiply(x, beta)))


swish = silu


def gelu(features: Any, approximate: bool = False, name: Optional[str] = None) -> Tensor:
    """Gaussian error linear unit (``tf.nn.gelu``): 0.5 x (1 + erf(x / sqrt 2)), or
    the tanh approximation when ``approximate``."""
    x = to_tensor(features)
    if approximate:
        inner = m.multiply(m.add(x, m.multiply(m.pow(x, 3), 0.044715)), float(np.sqrt(2 / np.pi)))
        return m.multiply(m.multiply(x, 0.5), m.add(m.tanh(inner), 1))
    return m.multiply(m.multiply(x, 0.5), m.add(m.erf(m.multiply(x, float(1 / np.sqrt(2)))), 1))


def softmax(logits: Any, axis: int = -1, name: Optional[str] = None) -> Tensor:
    """exp(x) / sum(exp(x)) along an axis, computed stably (``tf.nn.softmax``): one
    native call; the gradient is TF's SoftmaxGrad, (dy - sum(dy * y)) * y."""
    x = to_tensor(logits)
    ax = int(axis)
    out = wrap(_core.softmax(x._a, ax))
    if _tape.active:
        _tape.record("Softmax", (x,), (out,), ax)
    return out


@_tape.gradient("Softmax")
def _softmax_grad(inputs: Any, outputs: Any, dys: Any, needs: Any, axis: int) -> Tuple[Any]:
    dy, out = dys[0], outputs[0]
    return (m.multiply(m.subtract(dy, m.reduce_sum(m.multiply(dy, out), axis, keepdims=True)),
                       out),)


def log_softmax(logits: Any, axis: int = -1, name: Optional[str] = None) -> Tensor:
    """Log of softmax along an axis (``tf.nn.log_softmax``), in TF's max-shifted form
    (x - max) - log(sum(exp(x - max))): x - logsumexp(x) would round the small log term
    away next to large logits ([4194299., 4194303.] gives [-4.018, -0.018], not [-4, 0]).
    Its gradient is TF's LogSoftmax rule, dy - sum(dy) * exp(out)."""
    x = to_tensor(logits)
    ax = int(axis)
    xa = x._a
    if xa.ndim == 0:  # TF: logits must have at least one dimension
        raise errors.InvalidArgumentError(
            None, None, "logits must have >= 1 dimension, got [] [Op:LogSoftmax]")
    if not -xa.ndim <= ax < xa.ndim:
        raise errors.InvalidArgumentError(
            None, None, f"`dim` must be in the range [{-xa.ndim}, {xa.ndim}) where {xa.ndim} "
            f"is the number of dimensions in the input. Received: dim={ax}")
    if xa.dtype_index > MAX_FLOAT_INDEX:
        raise errors.InvalidArgumentError(
            None, None, f"Value for attr 'T' of {x.dtype.name} is not in the list of allowed "
            "values: half, bfloat16, float, double [Op:LogSoftmax]")
    shifted = _core.sub(xa, _core.reduce("max", xa, [ax], True))
    out = wrap(_core.sub(shifted, _core.log(_core.reduce("sum", _core.exp(shifted), [ax],
                                                         True))))
    if _tape.active:
        _tape.record("LogSoftmax", (x,), (out,), ax)
    return out


@_tape.gradient("LogSoftmax")
def _log_softmax_grad(inputs: Any, outputs: Any, dys: Any, needs: Any, axis: int) -> Tuple[Any]:
    dy = dys[0]
    return (m.subtract(dy, m.multiply(m.reduce_sum(dy, axis, keepdims=True), m.exp(outputs[0]))),)


def sigmoid_cross_entropy_with_logits(labels: Any = None, logits: Any = None,
                                      name: Optional[str] = None) -> Tensor:
    """Elementwise logistic loss, stable for any logit (``tf.nn.sigmoid_cross_entropy_
    with_logits``): max(x, 0) - x * z + log(1 + exp(-|x|))."""
    x = to_tensor(logits)
    z = m.cast(to_tensor(labels), x.dtype)
    if z._a.shape != x._a.shape:
        raise ValueError(f"`logits` and `labels` must have the same shape, received "
                         f"({x.shape} vs {z.shape}).")
    # TF's form: selecting with x >= 0 (not relu/abs) keeps the gradient at x = 0 exact.
    nonneg = m.greater_equal(x, 0)
    relu_x = m.where(nonneg, x, m.zeros_like(x))
    neg_abs = m.where(nonneg, m.negative(x), x)
    return m.add(m.subtract(relu_x, m.multiply(x, z)), m.log1p(m.exp(neg_abs)))


def softmax_cross_entropy_with_logits(labels: Any, logits: Any, axis: int = -1,
                                      name: Optional[str] = None) -> Tensor:
    """-sum(labels * log_softmax(logits)) along the class axis
    (``tf.nn.softmax_cross_entropy_with_logits``)."""
    x = to_tensor(logits)
    z = m.cast(to_tensor(labels), x.dtype)
    return m.negative(m.reduce_sum(m.multiply(z, log_softmax(x, axis)), axis))


def sparse_softmax_cross_entropy_with_logits(labels: Any, logits: Any,
                                             name: Optional[str] = None) -> Tensor:
    """Cross-entropy with integer class labels (``tf.nn.sparse_softmax_cross_entropy_
    with_logits``), one fused native pass as TF's kernel: the loss and its gradient
    softmax - one_hot together. A label outside [0, classes) is an InvalidArgumentError."""
    x = to_tensor(logits)
    y = to_tensor(labels)
    if y._a.shape != x._a.shape[:-1]:
        raise errors.InvalidArgumentError(
            None, None, f"labels shape {y.shape} must equal logits shape {x.shape} minus "
            "the last dimension")
    loss_a, backprop_a = _core.sparse_softmax_xent(x._a, y._a)
    out = wrap(loss_a)
    if _tape.active and x.dtype.is_floating:
        # TF's op has a second output, its gradient softmax - one_hot: a saved input here.
        _tape.record("SparseSoftmaxCrossEntropyWithLogits", (x, y, wrap(backprop_a)), (out,))
    return out


@_tape.gradient("SparseSoftmaxCrossEntropyWithLogits")
def _sparse_xent_grad(inputs: Any, outputs: Any, dys: Any, needs: Any, attrs: Any) -> Tuple[Any, ...]:
    (x, labels, backprop), dy = inputs, array_ops.expand_dims(dys[0], -1)
    if _tape.active:  # an outer tape differentiates this: the gradient as recorded ops
        return (m.multiply(dy, m.subtract(softmax(x), array_ops.one_hot(
            labels, x._a.shape[-1], dtype=x.dtype))), None, None)
    return m.multiply(dy, backprop), None, None


def l2_loss(t: Any, name: Optional[str] = None) -> Tensor:
    """sum(t^2) / 2 (``tf.nn.l2_loss``)."""
    return m.multiply(m.reduce_sum(m.square(t)), 0.5)


def moments(x: Any, axes: Any, keepdims: bool = False, name: Optional[str] = None) -> Any:
    """Mean and variance over axes (``tf.nn.moments``)."""
    mean = m.reduce_mean(x, axes, keepdims=True)
    var = m.reduce_mean(m.square(m.subtract(x, array_ops.stop_gradient(mean))), axes,
                        keepdims=True)
    if not keepdims:
        mean = array_ops.squeeze(mean, axes)
        var = array_ops.squeeze(var, axes)
    return mean, var


def bias_add(value: Any, bias: Any, data_format: Optional[str] = None,
             name: Optional[str] = None) -> Tensor:
    """value + bias along the channel axis (``tf.nn.bias_add``): the last one, or the
    second for an ``NC...`` data_format; TF's checks: value at least 2-D, bias 1-D
    with one entry per channel, both of one dtype."""
    x, b = to_tensor(value), to_tensor(bias)
    fmt = data_format or "N...C"
    if not (fmt.startswith("N") and (fmt.endswith("C") or fmt[1:2] == "C")):
        raise ValueError("`data_format` must be of the form `N...C` or `NC...`. "
                         f"Received: data_format={data_format}")
    channels_first = not fmt.endswith("C")

    def dims(t: Any) -> str:
        return "[" + ",".join(map(str, t._a.shape)) + "]"

    if x._a.ndim < 2:
        raise errors.InvalidArgumentError(
            None, None, f"Input tensor must be at least 2D: {dims(x)} [Op:BiasAdd]")
    if b._a.ndim != 1:
        raise errors.InvalidArgumentError(
            None, None, f"Biases must be 1D: {dims(b)} [Op:BiasAdd]")
    c = x._a.shape[1] if channels_first else x._a.shape[-1]
    if b._a.shape[0] != c:
        raise errors.InvalidArgumentError(
            None, None, "Must provide as many biases as the last dimension of the input "
            f"tensor: {dims(b)} vs. {dims(x)} [Op:BiasAdd]")
    if channels_first and x._a.ndim > 2:
        b = array_ops.reshape(b, [c] + [1] * (x._a.ndim - 2))
    return m.add(x, b)


def _fused_batch_norm(x: Tensor, gamma: Tensor, beta: Tensor,
                      epsilon: float) -> Tuple[Tensor, Tensor, Tensor]:
    """Keras's BatchNormalization in training over the last axis, fused (one native op:
    three passes forward, two backward, against about fifteen for the composite):
    ``(y, mean, var)`` with the batch statistics of every axis but the last (biased
    variance). mean and var come out as constants (Keras's moving averages read them
    under stop_gradient); y's gradient is the composite's."""
    y, mean, var = (wrap(a) for a in _core.batch_norm(x._a, gamma._a, beta._a, float(epsilon)))
    if _tape.active and y._a.dtype_index <= MAX_FLOAT_INDEX:
        _tape.record("FusedBatchNorm", (x, gamma, beta, mean, var), (y,), float(epsilon))
    return y, mean, var


def _batch_norm_grad(dy: Tensor, x: Tensor, gamma: Tensor, mean: Tensor, var: Tensor,
                     epsilon: float) -> Tuple[Tensor, Tensor, Tensor]:
    dx, dgamma, dbeta = (wrap(a) for a in _core.batch_norm_grad(
        dy._a, x._a, gamma._a, mean._a, var._a, float(epsilon)))
    if _tape.active:
        _tape.record("FusedBatchNormGrad", (dy, x, gamma, mean, var), (dx, dgamma, dbeta),
                     float(epsilon))
    return dx, dgamma, dbeta


@_tape.gradient("FusedBatchNorm")
def _fused_batch_norm_rule(inputs: Any, outputs: Any, dys: Any, needs: Any,
                           epsilon: float) -> Tuple[Any, ...]:
    x, gamma, beta, mean, var = inputs
    dx, dgamma, dbeta = _batch_norm_grad(dys[0], x, gamma, mean, var, epsilon)
    return dx, dgamma, dbeta, None, None


@_tape.gradient("FusedBatchNormGrad")
def _fused_batch_norm_grad_rule(inputs: Any, outputs: Any, dys: Any, needs: Any,
                                attrs: Any) -> Any:
    # TF's FusedBatchNormGradV3 gradient has no kernel here yet.
    raise LookupError("No gradient defined for operation 'FusedBatchNormGrad' (second "
                      "derivatives through a training-mode BatchNormalization are not "
                      "supported yet)")


def local_response_normalization(input: Any, depth_radius: int = 5, bias: float = 1.0,
                                 alpha: float = 1.0, beta: float = 0.5,
                                 name: Optional[str] = None) -> Tensor:
    """``tf.nn.local_response_normalization`` (``tf.nn.lrn``): input / (bias + alpha *
    sqr_sum) ** beta, sqr_sum the sum of squares over channels d - depth_radius ..
    d + depth_radius of a 4-D input. A sum of shifted slices of the zero-padded squares
    (exact, differentiable), not TF's fused kernel."""
    x = to_tensor(input)
    if x._a.ndim != 4:
        raise errors.InvalidArgumentError(None, None, "in must be 4-dimensional [Op:LRN]")
    r, c = int(depth_radius), x._a.shape[-1]
    sq = array_ops.pad(m.square(x), [[0, 0], [0, 0], [0, 0], [r, r]])
    total = sq[..., 0:c]
    for k in range(1, 2 * r + 1):
        total = m.add(total, sq[..., k:k + c])
    return m.divide(x, m.pow(m.add(m.multiply(total, float(alpha)), float(bias)), float(beta)))


lrn = local_response_normalization


def dropout(x: Any, rate: float, noise_shape: Any = None, seed: Optional[int] = None,
            name: Optional[str] = None) -> Tensor:
    """Zeroes elements with probability `rate`, scaling the rest by 1 / (1 - rate)."""
    from tapeflow.ops import random_ops

    x = to_tensor(x)
    if not 0 <= rate < 1:
        raise ValueError(f"rate must be a scalar tensor or a float in the range [0, 1), "
                         f"got {rate}")
    if rate == 0:
        return x
    shape = x._a.shape if noise_shape is None else noise_shape
    keep = m.greater_equal(random_ops.uniform(shape, dtype=x.dtype, seed=seed), rate)
    return m.where(keep, m.multiply(x, 1.0 / (1.0 - rate)), m.zeros_like(x))

name_ops(globals())
