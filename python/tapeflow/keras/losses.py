"""``keras.losses``: Keras 3's losses, computed with tapeflow ops.

Every loss is built from differentiable tapeflow ops, so it can sit inside a
``tf.GradientTape`` training step. Semantics follow Keras 3 with its TensorFlow
backend: ``Loss.__call__`` casts its inputs to the loss dtype (float32), computes the
per-sample losses with ``call`` and reduces them ("sum_over_batch_size" by default);
probabilities are clipped to ``[1e-7, 1 - 1e-7]`` and categorical crossentropy
renormalises its probabilities first.
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any, Callable, Dict, Optional, Tuple

import tapeflow as tf
from tapeflow.keras.utils.registry import deserialize_object, register_builtins
from tapeflow.keras.utils.naming import auto_name, reset_uids, to_snake_case  # noqa: F401

EPSILON = 1e-7  # keras.backend.epsilon()
FLOATX = "float32"  # keras.backend.floatx()

_REDUCTIONS = (
    "sum_over_batch_size", "sum", None, "none", "mean", "mean_with_sample_weight")


# ---- helpers shared with keras.metrics -------------------------------------------
def standardize_dtype(dtype: Any) -> str:
    """A dtype argument as Keras's string name; None is floatx (``"float32"``)."""
    if dtype is None:
        return FLOATX
    name = getattr(dtype, "name", dtype)
    if not isinstance(name, str):
        raise ValueError(f"Invalid dtype. Received: dtype={dtype}")
    return tf.as_dtype(name).name


def to_tensor(x: Any, dtype: Any = None) -> tf.Tensor:
    """x as a Tensor, cast to dtype when one is given (float64 -> float32)."""
    t = tf.convert_to_tensor(x)
    if dtype is not None and t.dtype != dtype:
        t = tf.cast(t, dtype)
    return t


def _float_tensor(x: Any) -> tf.Tensor:
    """x as a Tensor; integer and bool inputs become floatx, as Keras's math does."""
    t = tf.convert_to_tensor(x)
    return t if t.dtype.is_floating else tf.cast(t, FLOATX)


def squeeze_or_expand_to_same_rank(
    x1: tf.Tensor, x2: tf.Tensor, expand_rank_1: bool = True
) -> Tuple[tf.Tensor, tf.Tensor]:
    """Squeezes (or, for rank 1, expands) a trailing axis of size 1 when the ranks of
    x1 and x2 differ by exactly one, as Keras does."""
    r1, r2 = len(x1.shape), len(x2.shape)
    if r1 == r2:
        return x1, x2
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = tf.expand_dims(x2, -1)
        else:
            x1 = tf.squeeze(x1, -1)
    if r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = tf.expand_dims(x1, -1)
        else:
            x2 = tf.squeeze(x2, -1)
    return x1, x2


def standardize_reduction(reduction: Any) -> Any:
    """Validates a reduction name (Keras's ValueError otherwise)."""
    if reduction not in _REDUCTIONS:
        raise ValueError("Invalid value for argument `reduction`. Expected one of "
                         f"{set(_REDUCTIONS)}. Received: reduction={reduction}")
    return reduction


def _num_elements(t: tf.Tensor) -> int:
    n = 1
    for d in t.shape:
        n *= int(d)
    return n


def reduce_values(values: tf.Tensor, sample_weight: Optional[tf.Tensor] = None,
                  reduction: Any = "sum_over_batch_size") -> tf.Tensor:
    """Sums the (weighted) losses and divides as the reduction asks; "none", scalars
    and empty vectors are returned as they are."""
    shape = tuple(values.shape)
    if reduction is None or reduction == "none" or shape == () or shape == (0,):
        return values
    loss = tf.reduce_sum(values)
    if reduction in ("sum_over_batch_size", "mean", "mean_with_sample_weight"):
        if reduction == "mean_with_sample_weight" and sample_weight is not None:
            divisor = tf.cast(tf.reduce_sum(sample_weight), loss.dtype)
            loss = tf.math.divide_no_nan(loss, divisor)
        else:
            count = _num_elements(values)  # known here: a plain division unless 0
            loss = loss / float(count) if count else tf.zeros_like(loss)
    return loss


def apply_mask(sample_weight: Optional[tf.Tensor], mask: Optional[tf.Tensor],
               dtype: Any, reduction: Any) -> Optional[tf.Tensor]:
    """Folds a boolean mask of valid entries into the sample weights; for the mean
    reductions valid entries weigh total/valid, so the mean runs over them only."""
    if mask is None:
        return sample_weight
    if reduction in ("mean", "sum_over_batch_size"):
        total = tf.constant(float(_num_elements(mask)), dtype=dtype)
        valid = tf.reduce_sum(tf.cast(mask, dtype))
        weight = tf.math.divide_no_nan(total, valid)
        float_mask = tf.where(tf.cast(mask, "bool"), weight, tf.zeros_like(weight))
    else:
        float_mask = tf.cast(mask, dtype)
    if sample_weight is None:
        return float_mask
    sample_weight = tf.cast(sample_weight, dtype)
    float_mask, sample_weight = squeeze_or_expand_to_same_rank(
        float_mask, sample_weight)
    return sample_weight * float_mask


def reduce_weighted_values(values: Any, sample_weight: Any = None, mask: Any = None,
                           reduction: Any = "sum_over_batch_size",
                           dtype: Any = None) -> tf.Tensor:
    """Weights per-sample losses (broadcasting sample_weight as Keras does) and reduces
    them."""
    reduction = standardize_reduction(reduction)
    values = to_tensor(values, dtype)
    if sample_weight is not None:
        sample_weight = to_tensor(sample_weight, dtype)
    sample_weight = apply_mask(sample_weight, mask, values.dtype, reduction)
    if sample_weight is not None:
        sample_weight = tf.cast(sample_weight, values.dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        values = values * sample_weight
    return reduce_values(values, sample_weight, reduction)


# ---- base classes ----------------------------------------------------------------
class Loss:
    """Base class of losses (``keras.losses.Loss``).

    Subclasses implement ``call(y_true, y_pred)`` returning per-sample losses;
    ``__call__`` casts the inputs to ``dtype``, applies ``sample_weight`` and reduces.

    Args:
        name: Name of the loss; the snake-cased class name by default.
        reduction: "sum_over_batch_size" (default), "sum", "mean",
            "mean_with_sample_weight", or "none"/None for per-sample losses.
        dtype: Dtype of the computation; float32 by default.
    """

    def __init__(self, name: Optional[str] = None,
                 reduction: Any = "sum_over_batch_size", dtype: Any = None) -> None:
        self.name = name or auto_name(self.__class__.__name__)
        self.reduction = standardize_reduction(reduction)
        self._dtype = standardize_dtype(dtype)

    @property
    def dtype(self) -> str:
        return self._dtype

    def __call__(self, y_true: Any, y_pred: Any,
                 sample_weight: Any = None) -> tf.Tensor:
        """The reduced loss of a batch (a scalar unless reduction is "none")."""
        y_pred = to_tensor(y_pred, self._dtype)
        y_true = to_tensor(y_true, self._dtype)
        losses = self.call(y_true, y_pred)
        mask = self._mask(y_true, y_pred)
        return reduce_weighted_values(losses, sample_weight, mask=mask,
                                      reduction=self.reduction, dtype=self._dtype)

    def _mask(self, y_true: tf.Tensor, y_pred: tf.Tensor) -> Optional[tf.Tensor]:
        """The valid entries of the per-sample losses (None: all)."""
        return None

    def call(self, y_true: Any, y_pred: Any) -> tf.Tensor:
        """Per-sample losses; implemented by subclasses."""
        raise NotImplementedError

    def get_config(self) -> Dict[str, Any]:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "Loss":
        return cls(**config)


class LossFunctionWrapper(Loss):
    """A ``Loss`` calling ``fn(y_true, y_pred, **kwargs)`` for its per-sample losses."""

    def __init__(self, fn: Callable[..., Any], reduction: Any = "sum_over_batch_size",
                 name: Optional[str] = None, dtype: Any = None, **kwargs: Any) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true: Any, y_pred: Any) -> tf.Tensor:
        y_true, y_pred = squeeze_or_expand_to_same_rank(
            to_tensor(y_true), to_tensor(y_pred))
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config["fn"] = serialize_function(self.fn)
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "Loss":
        config = dict(config)
        if "fn" in config:
            config["fn"] = deserialize_function(config["fn"])
        return cls(**config)

    def __repr__(self) -> str:
        return f"<LossFunctionWrapper({self.fn}, kwargs={self._fn_kwargs})>"


def serialize_function(fn: Callable[..., Any]) -> Any:
    """A built-in loss function as Keras's serialized form of a function."""
    name = getattr(fn, "__name__", None)
    if name is None:
        raise ValueError(f"Cannot serialize {fn!r}: not a named function.")
    return {"module": "builtins", "class_name": "function", "config": name,
            "registered_name": "function"}


def deserialize_function(spec: Any) -> Callable[..., Any]:
    """The loss function named by a string or a serialized-function dict."""
    if callable(spec):
        return spec
    name = spec.get("config") if isinstance(spec, dict) else spec
    fn = ALL_OBJECTS_DICT.get(name) if isinstance(name, str) else None
    if fn is None or inspect.isclass(fn):
        raise ValueError(f"Could not interpret loss function: {spec}")
    return fn


# ---- regression losses -----------------------------------------------------------
def _regression_inputs(y_true: Any, y_pred: Any) -> Tuple[tf.Tensor, tf.Tensor]:
    y_pred = _float_tensor(y_pred)
    y_true = to_tensor(y_true, y_pred.dtype)
    return squeeze_or_expand_to_same_rank(y_true, y_pred)


def mean_squared_error(y_true: Any, y_pred: Any) -> tf.Tensor:
    """mean(square(y_true - y_pred), axis=-1): one loss per sample."""
    y_true, y_pred = _regression_inputs(y_true, y_pred)
    return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true: Any, y_pred: Any) -> tf.Tensor:
    """mean(abs(y_true - y_pred), axis=-1): one loss per sample."""
    y_true, y_pred = _regression_inputs(y_true, y_pred)
    return tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)


def mean_absolute_percentage_error(y_true: Any, y_pred: Any) -> tf.Tensor:
    """100 * mean(abs((y_true - y_pred) / max(abs(y_true), eps)), axis=-1)."""
    y_true, y_pred = _regression_inputs(y_true, y_pred)
    diff = tf.abs((y_true - y_pred) / tf.maximum(tf.abs(y_true), EPSILON))
    return 100.0 * tf.reduce_mean(diff, axis=-1)


def mean_squared_logarithmic_error(y_true: Any, y_pred: Any) -> tf.Tensor:
    """mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1)."""
    y_true, y_pred = _regression_inputs(y_true, y_pred)
    first_log = tf.math.log(tf.maximum(y_pred, EPSILON) + 1.0)
    second_log = tf.math.log(tf.maximum(y_true, EPSILON) + 1.0)
    return tf.reduce_mean(tf.square(first_log - second_log), axis=-1)


def huber(y_true: Any, y_pred: Any, delta: float = 1.0) -> tf.Tensor:
    """Mean over the last axis of 0.5 x^2 where |x| <= delta, else
    delta |x| - 0.5 delta^2, with x = y_pred - y_true."""
    y_true, y_pred = _regression_inputs(y_true, y_pred)
    delta_t = tf.constant(delta, dtype=y_pred.dtype)
    error = y_pred - y_true
    abs_error = tf.abs(error)
    half = tf.constant(0.5, dtype=y_pred.dtype)
    return tf.reduce_mean(
        tf.where(abs_error <= delta_t, half * tf.square(error),
                 delta_t * abs_error - half * tf.square(delta_t)),
        axis=-1)


def log_cosh(y_true: Any, y_pred: Any) -> tf.Tensor:
    """mean(log(cosh(y_pred - y_true)), axis=-1), computed without overflow."""
    y_true, y_pred = _regression_inputs(y_true, y_pred)
    x = y_pred - y_true
    log2 = tf.constant(0.6931471805599453, dtype=y_pred.dtype)
    return tf.reduce_mean(x + tf.math.softplus(x * -2.0) - log2, axis=-1)


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> tf.Tensor:
    """-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)."""
    y_true, y_pred = _regression_inputs(y_true, y_pred)
    products = _l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis)
    return -tf.reduce_sum(products, axis)


def _l2_normalize(x: tf.Tensor, axis: int) -> tf.Tensor:
    """x * min(rsqrt(sum(x^2)), 1 / eps), as ``keras.ops.normalize``."""
    if len(x.shape) == 0:
        x = tf.expand_dims(x, 0)
    inv_norm = tf.math.rsqrt(tf.reduce_sum(tf.square(x), axis=axis, keepdims=True))
    return x * tf.minimum(inv_norm, 1.0 / EPSILON)


# ---- hinge losses ----------------------------------------------------------------
def _hinge_labels(y_true: tf.Tensor) -> tf.Tensor:
    """Binary 0/1 labels become -1/1; other labels are kept."""
    binary = tf.reduce_all(tf.logical_or(tf.equal(y_true, 0.0), tf.equal(y_true, 1.0)))
    return 2.0 * y_true - 1.0 if bool(binary) else y_true


def hinge(y_true: Any, y_pred: Any) -> tf.Tensor:
    """mean(maximum(1 - y_true * y_pred, 0), axis=-1), 0/1 labels taken as -1/1."""
    y_pred = _float_tensor(y_pred)
    y_true = _hinge_labels(tf.cast(y_true, y_pred.dtype))
    return tf.reduce_mean(tf.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


def squared_hinge(y_true: Any, y_pred: Any) -> tf.Tensor:
    """mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1)."""
    y_pred = _float_tensor(y_pred)
    y_true = _hinge_labels(tf.cast(y_true, y_pred.dtype))
    return tf.reduce_mean(tf.square(tf.maximum(1.0 - y_true * y_pred, 0.0)), axis=-1)


def categorical_hinge(y_true: Any, y_pred: Any) -> tf.Tensor:
    """maximum(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0) per sample."""
    y_pred = _float_tensor(y_pred)
    y_true = tf.cast(y_true, y_pred.dtype)
    pos = tf.reduce_sum(y_true * y_pred, axis=-1)
    neg = tf.reduce_max((1.0 - y_true) * y_pred, axis=-1)
    return tf.maximum(neg - pos + 1.0, 0.0)


# ---- probabilistic losses --------------------------------------------------------
def kl_divergence(y_true: Any, y_pred: Any) -> tf.Tensor:
    """sum(y_true * log(y_true / y_pred), axis=-1), both clipped to [eps, 1]."""
    y_pred = _float_tensor(y_pred)
    y_true = to_tensor(y_true, y_pred.dtype)
    y_true = tf.clip_by_value(y_true, EPSILON, 1.0)
    y_pred = tf.clip_by_value(y_pred, EPSILON, 1.0)
    return tf.reduce_sum(y_true * tf.math.log(y_true / y_pred), axis=-1)


def poisson(y_true: Any, y_pred: Any) -> tf.Tensor:
    """mean(y_pred - y_true * log(y_pred + eps), axis=-1)."""
    y_pred = _float_tensor(y_pred)
    y_true = to_tensor(y_true, y_pred.dtype)
    return tf.reduce_mean(y_pred - y_true * tf.math.log(y_pred + EPSILON), axis=-1)


def _check_same_shape(target: tf.Tensor, output: tf.Tensor) -> None:
    received = f"Received: target.shape={target.shape}, output.shape={output.shape}"
    if len(target.shape) != len(output.shape):
        raise ValueError("Arguments `target` and `output` must have the same rank "
                         f"(ndim). {received}")
    if tuple(target.shape) != tuple(output.shape):
        raise ValueError("Arguments `target` and `output` must have the same shape. "
                         f"{received}")


def _get_logits(output: tf.Tensor, from_logits: bool, op_type: str,
                fn_name: str) -> Tuple[Any, bool]:
    """Keras's rule (TF backend): an output made by keras.activations.softmax/sigmoid
    carries its logits, and the loss uses them (with a warning if from_logits was
    already True)."""
    logits = getattr(output, "_keras_logits", None)
    if logits is None:
        return output, from_logits
    if from_logits:
        warnings.warn(f'"`{fn_name}` received `from_logits=True`, but the `output` '
                      f"argument was produced by a {op_type} activation and thus does "
                      "not represent logits. Was this intended?", stacklevel=3)
    return tf.convert_to_tensor(logits), True


def _sigmoid_cross_entropy_with_logits(labels: tf.Tensor,
                                       logits: tf.Tensor) -> tf.Tensor:
    """max(x, 0) - x z + log1p(exp(-|x|)) written with TF's selects, so the gradient at
    x = 0 is sigmoid(0) - z as in TF (relu'(0) = abs'(0) = 0 would drop the 0.5)."""
    zeros = tf.zeros_like(logits)
    positive = logits >= zeros
    relu_logits = tf.where(positive, logits, zeros)
    neg_abs_logits = tf.where(positive, -logits, logits)
    return relu_logits - logits * labels + tf.math.log1p(tf.exp(neg_abs_logits))


def binary_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                        label_smoothing: float = 0.0, axis: int = -1) -> tf.Tensor:
    """Binary crossentropy averaged over `axis` (one loss per sample).

    Probabilities are clipped to [1e-7, 1 - 1e-7]; with `from_logits` the stable
    sigmoid form is used. `label_smoothing` squeezes the labels towards 0.5.
    """
    y_pred = _float_tensor(y_pred)
    y_true = tf.cast(y_true, y_pred.dtype)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    _check_same_shape(y_true, y_pred)
    y_pred, from_logits = _get_logits(y_pred, from_logits, "Sigmoid", "binary_crossentropy")
    if from_logits:
        bce = _sigmoid_cross_entropy_with_logits(y_true, y_pred)
    else:
        output = tf.clip_by_value(y_pred, EPSILON, 1.0 - EPSILON)
        bce = -(y_true * tf.math.log(output)
                + (1.0 - y_true) * tf.math.log(1.0 - output))
    return tf.reduce_mean(bce, axis=axis)


def categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                             label_smoothing: float = 0.0, axis: int = -1) -> tf.Tensor:
    """Categorical crossentropy along `axis` with one-hot (or soft) labels.

    Probabilities are renormalised to sum to 1 and clipped to [1e-7, 1 - 1e-7];
    `label_smoothing` mixes the labels with the uniform distribution.
    """
    if isinstance(axis, bool):
        raise ValueError(f"`axis` must be of type `int`. Received: axis={axis} of type "
                         f"{type(axis)}")
    y_pred = _float_tensor(y_pred)
    y_true = tf.cast(y_true, y_pred.dtype)
    if len(y_pred.shape) and y_pred.shape[-1] == 1:
        warnings.warn(
            "In loss categorical_crossentropy, expected y_pred.shape to be "
            "(batch_size, num_classes) with num_classes > 1. Received: "
            f"y_pred.shape={y_pred.shape}. Consider using 'binary_crossentropy' if you "
            "only have 2 classes.",
            SyntaxWarning, stacklevel=2)
    if label_smoothing:
        num_classes = tf.constant(float(y_true.shape[-1]), dtype=y_pred.dtype)
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / num_classes
    if len(y_true.shape) < 1:
        raise ValueError("Arguments `target` and `output` must be at least rank 1. "
                         f"Received: target.shape={y_true.shape}, "
                         f"output.shape={y_pred.shape}")
    _check_same_shape(y_true, y_pred)
    y_pred, from_logits = _get_logits(y_pred, from_logits, "Softmax",
                                      "categorical_crossentropy")
    if from_logits:
        return tf.nn.softmax_cross_entropy_with_logits(
            labels=y_true, logits=y_pred, axis=axis)
    output = y_pred / tf.reduce_sum(y_pred, axis, keepdims=True)
    output = tf.clip_by_value(output, EPSILON, 1.0 - EPSILON)
    return -tf.reduce_sum(y_true * tf.math.log(output), axis)


def sparse_categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                                    ignore_class: Optional[int] = None,
                                    axis: int = -1) -> tf.Tensor:
    """Categorical crossentropy with integer labels (one loss per sample).

    Probabilities are clipped to [1e-7, 1 - 1e-7] and renormalised; entries whose label
    is `ignore_class` get a loss of 0.
    """
    y_pred = _float_tensor(y_pred)
    y_true = tf.convert_to_tensor(y_true)
    rank = len(y_pred.shape)
    if axis != -1 and axis != rank - 1:
        raise ValueError(f"Only axis=-1 is currently supported. Received: axis={axis}")
    if len(y_true.shape) == rank and y_true.shape[-1] == 1:
        y_true = tf.squeeze(y_true, -1)
    valid = None
    if ignore_class is not None:
        valid = tf.not_equal(y_true, tf.cast(ignore_class, y_true.dtype))
        y_true = tf.where(valid, y_true, tf.zeros_like(y_true))
        y_pred = tf.where(tf.expand_dims(valid, -1), y_pred, tf.zeros_like(y_pred))
    if rank < 1:
        raise ValueError(f"Argument `output` must be at least rank 1. Received: "
                         f"output.shape={y_pred.shape}")
    if tuple(y_true.shape) != tuple(y_pred.shape[:-1]):
        raise ValueError("Arguments `target` and `output` must have the same shape up "
                         f"until the last dimension: target.shape={y_true.shape}, "
                         f"output.shape={y_pred.shape}")
    y_pred, from_logits = _get_logits(y_pred, from_logits, "Softmax",
                                      "sparse_categorical_crossentropy")
    logits = y_pred if from_logits else tf.math.log(
        tf.clip_by_value(y_pred, EPSILON, 1.0 - EPSILON))
    res = tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.cast(y_true, "int64"), logits=logits)
    if valid is not None:
        res = tf.where(valid, res, tf.zeros_like(res))
    return res


# ---- loss classes ----------------------------------------------------------------
class MeanSquaredError(LossFunctionWrapper):
    """mean(square(y_true - y_pred)) (``keras.losses.MeanSquaredError``)."""

    def __init__(self, reduction: Any = "sum_over_batch_size",
                 name: str = "mean_squared_error", dtype: Any = None) -> None:
        super().__init__(mean_squared_error, name=name, reduction=reduction,
                         dtype=dtype)

    def get_config(self) -> Dict[str, Any]:
        return Loss.get_config(self)


class MeanAbsoluteError(LossFunctionWrapper):
    """mean(abs(y_true - y_pred)) (``keras.losses.MeanAbsoluteError``)."""

    def __init__(self, reduction: Any = "sum_over_batch_size",
                 name: str = "mean_absolute_error", dtype: Any = None) -> None:
        super().__init__(mean_absolute_error, name=name, reduction=reduction,
                         dtype=dtype)

    def get_config(self) -> Dict[str, Any]:
        return Loss.get_config(self)


class MeanAbsolutePercentageError(LossFunctionWrapper):
    """100 * mean(abs((y_true - y_pred) / y_true))."""

    def __init__(self, reduction: Any = "sum_over_batch_size",
                 name: str = "mean_absolute_percentage_error",
                 dtype: Any = None) -> None:
        super().__init__(mean_absolute_percentage_error, name=name, reduction=reduction,
                         dtype=dtype)

    def get_config(self) -> Dict[str, Any]:
        return Loss.get_config(self)


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """mean(square(log(y_true + 1) - log(y_pred + 1)))."""

    def __init__(self, reduction: Any = "sum_over_batch_size",
                 name: str = "mean_squared_logarithmic_error",
                 dtype: Any = None) -> None:
        super().__init__(mean_squared_logarithmic_error, name=name, reduction=reduction,
                         dtype=dtype)

    def get_config(self) -> Dict[str, Any]:
        return Loss.get_config(self)


class CosineSimilarity(LossFunctionWrapper):
    """-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)."""

    def __init__(self, axis: int = -1, reduction: Any = "sum_over_batch_size",
                 name: str = "cosine_similarity", dtype: Any = None) -> None:
        super().__init__(cosine_similarity, name=name, reduction=reduction, dtype=dtype,
                         axis=axis)

    def get_config(self) -> Dict[str, Any]:
        return Loss.get_config(self)


class Huber(LossFunctionWrapper):
    """Quadratic for |error| <= delta, linear beyond (``keras.losses.Huber``)."""

    def __init__(self, delta: float = 1.0, reduction: Any = "sum_over_batch_size",
                 name: str = "huber_loss", dtype: Any = None) -> None:
        super().__init__(huber, name=name, reduction=reduction, dtype=dtype,
                         delta=delta)

    def get_config(self) -> Dict[str, Any]:
        return Loss.get_config(self)


class LogCosh(LossFunctionWrapper):
    """mean(log(cosh(y_pred - y_true)))."""

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str = "log_cosh",
                 dtype: Any = None) -> None:
        super().__init__(log_cosh, name=name, reduction=reduction, dtype=dtype)

    def get_config(self) -> Dict[str, Any]:
        return Loss.get_config(self)


class Hinge(LossFunctionWrapper):
    """mean(maximum(1 - y_true * y_pred, 0))."""

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str = "hinge",
                 dtype: Any = None) -> None:
        super().__init__(hinge, name=name, reduction=reduction, dtype=dtype)

    def get_config(self) -> Dict[str, Any]:
        return Loss.get_config(self)


class SquaredHinge(LossFunctionWrapper):
    """mean(square(maximum(1 - y_true * y_pred, 0)))."""

    def __init__(self, reduction: Any = "sum_over_batch_size",
                 name: str = "squared_hinge", dtype: Any = None) -> None:
        super().__init__(squared_hinge, name=name, reduction=reduction, dtype=dtype)

    def get_config(self) -> Dict[str, Any]:
        return Loss.get_config(self)


class CategoricalHinge(LossFunctionWrapper):
    """maximum(neg - pos + 1, 0) with pos/neg the true/best wrong class scores."""

    def __init__(self, reduction: Any = "sum_over_batch_size",
                 name: str = "categorical_hinge", dtype: Any = None) -> None:
        super().__init__(categorical_hinge, name=name, reduction=reduction, dtype=dtype)

    def get_config(self) -> Dict[str, Any]:
        return Loss.get_config(self)


class KLDivergence(LossFunctionWrapper):
    """sum(y_true * log(y_true / y_pred))."""

    def __init__(self, reduction: Any = "sum_over_batch_size",
                 name: str = "kl_divergence", dtype: Any = None) -> None:
        super().__init__(kl_divergence, name=name, reduction=reduction, dtype=dtype)

    def get_config(self) -> Dict[str, Any]:
        return Loss.get_config(self)


class Poisson(LossFunctionWrapper):
    """mean(y_pred - y_true * log(y_pred))."""

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str = "poisson",
                 dtype: Any = None) -> None:
        super().__init__(poisson, name=name, reduction=reduction, dtype=dtype)

    def get_config(self) -> Dict[str, Any]:
        return Loss.get_config(self)


class _CrossentropyConfig:
    from_logits: bool
    label_smoothing: float
    axis: int

    def get_config(self) -> Dict[str, Any]:
        config = Loss.get_config(self)  # type: ignore[arg-type]
        config.update({"from_logits": self.from_logits,
                       "label_smoothing": self.label_smoothing, "axis": self.axis})
        return config


class BinaryCrossentropy(_CrossentropyConfig, LossFunctionWrapper):
    """Crossentropy of 0/1 labels and probabilities, or logits with `from_logits`
    (``keras.losses.BinaryCrossentropy``)."""

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0,
                 axis: int = -1, reduction: Any = "sum_over_batch_size",
                 name: str = "binary_crossentropy", dtype: Any = None) -> None:
        super().__init__(binary_crossentropy, name=name, reduction=reduction,
                         dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis


class CategoricalCrossentropy(_CrossentropyConfig, LossFunctionWrapper):
    """Crossentropy of one-hot labels and class probabilities (or logits)
    (``keras.losses.CategoricalCrossentropy``)."""

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0,
                 axis: int = -1, reduction: Any = "sum_over_batch_size",
                 name: str = "categorical_crossentropy", dtype: Any = None) -> None:
        super().__init__(categorical_crossentropy, name=name, reduction=reduction,
                         dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Crossentropy of integer labels and class probabilities (or logits)
    (``keras.losses.SparseCategoricalCrossentropy``). Entries labelled
    `ignore_class` are left out of the loss and of the mean."""

    def __init__(self, from_logits: bool = False, ignore_class: Optional[int] = None,
                 reduction: Any = "sum_over_batch_size", axis: int = -1,
                 name: str = "sparse_categorical_crossentropy",
                 dtype: Any = None) -> None:
        super().__init__(sparse_categorical_crossentropy, name=name,
                         reduction=reduction, dtype=dtype, from_logits=from_logits,
                         ignore_class=ignore_class, axis=axis)
        self.from_logits = from_logits
        self.ignore_class = ignore_class

    def _mask(self, y_true: tf.Tensor, y_pred: tf.Tensor) -> Optional[tf.Tensor]:
        if self.ignore_class is None:
            return None
        if len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] == 1:
            y_true = tf.squeeze(y_true, -1)
        return tf.not_equal(y_true, tf.cast(self.ignore_class, y_true.dtype))

    def get_config(self) -> Dict[str, Any]:
        config = Loss.get_config(self)
        config.update({"from_logits": self.from_logits,
                       "ignore_class": self.ignore_class})
        return config


# ---- aliases and lookup ----------------------------------------------------------
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
bce = BCE = binary_crossentropy

ALL_OBJECTS = (
    Loss, LossFunctionWrapper, KLDivergence, Poisson, BinaryCrossentropy,
    CategoricalCrossentropy, SparseCategoricalCrossentropy, MeanSquaredError,
    MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError,
    CosineSimilarity, LogCosh, Huber, Hinge, SquaredHinge, CategoricalHinge,
    kl_divergence, poisson, binary_crossentropy, categorical_crossentropy,
    sparse_categorical_crossentropy, mean_squared_error, mean_absolute_error,
    mean_absolute_percentage_error, mean_squared_logarithmic_error, cosine_similarity,
    log_cosh, huber, hinge, squared_hinge, categorical_hinge)
ALL_OBJECTS_DICT: Dict[str, Any] = {obj.__name__: obj for obj in ALL_OBJECTS}
ALL_OBJECTS_DICT.update({
    "bce": binary_crossentropy, "BCE": binary_crossentropy,
    "kld": kl_divergence, "KLD": kl_divergence,
    "mae": mean_absolute_error, "MAE": mean_absolute_error,
    "mse": mean_squared_error, "MSE": mean_squared_error,
    "mape": mean_absolute_percentage_error, "MAPE": mean_absolute_percentage_error,
    "msle": mean_squared_logarithmic_error, "MSLE": mean_squared_logarithmic_error,
})


def serialize(loss: Any) -> Dict[str, Any]:
    """A loss object or built-in function as Keras's serialized dict."""
    if type(loss) is LossFunctionWrapper:
        return {"module": "keras.src.losses.losses",
                "class_name": "LossFunctionWrapper", "config": loss.get_config(),
                "registered_name": "LossFunctionWrapper"}
    if isinstance(loss, Loss):
        return {"module": "keras.losses", "class_name": type(loss).__name__,
                "config": loss.get_config(), "registered_name": None}
    return serialize_function(loss)


def deserialize(config: Any, custom_objects: Optional[Dict[str, Any]] = None) -> Any:
    """The loss a name or a serialized dict describes (``keras.losses.deserialize``)."""
    return deserialize_object(config, ALL_OBJECTS_DICT, "loss", deserialize_function, custom_objects)


def get(identifier: Any) -> Any:
    """A loss from a name ("mse", "binary_crossentropy", "Huber"...), a config dict, a
    function or a Loss; class names give a new instance (``keras.losses.get``)."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = ALL_OBJECTS_DICT.get(identifier, None)
    else:
        obj = identifier
    if callable(obj):
        return obj() if inspect.isclass(obj) else obj
    raise ValueError(f"Could not interpret loss identifier: {identifier}")


register_builtins("loss", ALL_OBJECTS)  # (the classes: functions are skipped)
